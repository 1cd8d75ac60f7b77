"""Fixtures. The schema is built by the migrations (as in production), once per run, on SQLite or on
the PostgreSQL server named by TEST_DATABASE_URL; each test starts from reference data only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

# Tasks run at once in the test that queues them (Huey's immediate mode); tests/test_jobs.py starts
# a real worker. Set before the app is imported, so no queue file is created.
os.environ.setdefault("STAGEMATCH_JOBS_IMMEDIATE", "1")
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import delete, select, text, update

from stagematch import create_app
from stagematch.extensions import db
from stagematch.models import (
    Accreditation,
    Company,
    Mentor,
    Placement,
    Qualification,
    School,
    StudentProfile,
    User,
)
from stagematch.models.enums import Leerweg, MentorRole, PlacementStatus, Role
from stagematch.reference import load_reference_data
from stagematch.timeutil import today, utcnow

PASSWORD = "goed-wachtwoord-123"
REFERENCE_TABLES = {"qualification", "school", "work_process", "alembic_version"}


def _reset_database() -> None:
    """Drop everything, so the migrations build the schema from nothing."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


class IsolatedClient(FlaskClient):
    """Tests keep an app context open (to use db.session directly), and Flask reuses it for the
    requests they make; Flask-Login caches the user in `g` of that context, Flask-Babel the locale.
    Forget them before each request, so every request loads its user from its own session cookie
    and chooses its own language, like a real browser (and after it, so code a test runs outside a
    request speaks Dutch again)."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("_flask_babel", None)
        try:
            return super().open(*args, **kwargs)
        finally:
            if has_app_context():
                g.pop("_flask_babel", None)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    overrides = {}
    if not os.environ.get("TEST_DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'test.db'}"
    os.environ["STAGEMATCH_INSTANCE"] = str(instance)
    app = create_app("test", overrides)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _reset_database()
        upgrade()
        load_reference_data()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(app):
    """Every test starts with only reference data (qualifications and schools)."""
    with app.app_context():
        yield
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(delete(table))
        # The one setting a coordinator keeps on a reference row: back to the register's value.
        db.session.execute(update(School).values(brin=None))
        _restore_work_processes()
        db.session.commit()
        db.session.remove()


def _restore_work_processes() -> None:
    """Work processes are reference data, but a test may replace a dossier's (kerntaken instead
    of work processes) or add a foreign one: back to the shipped list, so the next test — in any
    order, on either database — sees what a fresh `load-reference` gives."""
    from stagematch.models import WorkProcess
    from stagematch.reference import load_work_processes, work_process_rows

    shipped = {(r["dossier_crebo"], r["code"]) for r in work_process_rows()}
    added = [
        row.id
        for row in db.session.execute(
            select(WorkProcess.id, WorkProcess.dossier_crebo, WorkProcess.code)
        )
        if (row.dossier_crebo, row.code) not in shipped
    ]
    if added:
        db.session.execute(delete(WorkProcess).where(WorkProcess.id.in_(added)))
        load_work_processes()


@pytest.fixture
def outbox(app):
    """The development mail folder, emptied before and after the test; calling it reads it."""
    from stagematch.mailer import read_outbox

    folder = Path(app.config["MAIL_FILE_PATH"])
    shutil.rmtree(folder, ignore_errors=True)
    yield lambda: read_outbox(folder)
    shutil.rmtree(folder, ignore_errors=True)


def mailed_link(message, part: str) -> str:
    """The first link in a mail whose URL contains `part` (e.g. "/account/bevestigen/")."""
    return next(
        line.strip()
        for line in message.get_content().splitlines()
        if part in line and "://" in line
    )


@pytest.fixture
def rate_limits(app):
    """Rate limits and login throttling on, with empty counters, for one test (one limiter object
    serves every app)."""
    from stagematch.extensions import limiter

    limiter.enabled = True
    limiter.reset()
    yield limiter
    limiter.reset()
    limiter.enabled = False


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Builds valid domain objects with sensible defaults; tests override what they care about."""

    def __init__(self):
        self.counter = 0

    def _n(self) -> int:
        self.counter += 1
        return self.counter

    def qualification(self, crebo: str | None = None) -> Qualification:
        stmt = select(Qualification).order_by(Qualification.crebo)
        if crebo:
            stmt = stmt.where(Qualification.crebo == crebo)
        else:  # one that both leerwegen offer, so tests can pick either
            stmt = stmt.where(Qualification.leerwegen == "BOL/BBL", Qualification.level == 2)
        return db.session.scalars(stmt).first()

    def school(self, name: str = "ROC van Twente") -> School:
        return db.session.scalar(select(School).where(School.name == name))

    def user(self, role: Role, **fields) -> User:
        n = self._n()
        user = User(
            email=fields.pop("email", f"{role}{n}@test.nl"),
            name=fields.pop("name", f"Test {role} {n}"),
            role=role,
            **fields,
        )
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        return user

    def student(
        self,
        *,
        town: str | None = "Hengelo",
        qualification: Qualification | None = None,
        leerweg: str = Leerweg.BOL,
        school: School | None = None,
        name: str | None = None,
        **profile,
    ) -> User:
        from stagematch import geo

        school = school or self.school()
        qualification = qualification or self.qualification()
        t = geo.find_town(town) if town else None
        user = self.user(Role.STUDENT, school=school, **({"name": name} if name else {}))
        user.profile = StudentProfile(
            school=school,
            qualification=qualification,
            level=qualification.level,
            leerweg=leerweg,
            city=t.name if t else None,
            lat=t.lat if t else None,
            lon=t.lon if t else None,
            **profile,
        )
        db.session.flush()
        return user

    def company(
        self,
        *,
        town: str = "Enschede",
        qualifications: list[Qualification] | None = None,
        name: str | None = None,
    ) -> Company:
        from stagematch import geo

        n = self._n()
        t = geo.find_town(town)
        company = Company(
            name=name or f"Bedrijf {n}",
            kvk_number=f"{10000000 + n}",
            city=t.name,
            lat=t.lat,
            lon=t.lon,
            sector="Zorg en welzijn",
            size_band="2-9",
        )
        for q in qualifications or [self.qualification()]:
            company.accreditations.append(
                Accreditation(qualification=q, valid_from=today() - timedelta(days=365))
            )
        db.session.add(company)
        db.session.flush()
        return company

    def company_user(self, company: Company | None = None) -> User:
        return self.user(Role.COMPANY, company=company or self.company())

    def coordinator(self, school: School | None = None) -> User:
        return self.user(Role.COORDINATOR, school=school or self.school())

    def admin(self) -> User:
        return self.user(Role.ADMIN)

    def meester(self, company: Company, **fields) -> Mentor:
        defaults = dict(
            name="Jan Meester",
            function="eigenaar",
            years_experience=10,
            trained=True,
            trained_on=date(2020, 3, 1),
            hours_per_week=4,
            capacity=2,
        )
        mentor = Mentor(company=company, role=MentorRole.MEESTER, **{**defaults, **fields})
        db.session.add(mentor)
        db.session.flush()
        return mentor

    def placement(self, company: Company, meester: Mentor, **fields) -> Placement:
        qualification = fields.pop("qualification", None) or company.accreditations[0].qualification
        defaults = dict(
            title="Stage",
            description="",
            tasks="Meewerken",
            leerweg=Leerweg.BOL,
            level=qualification.level,
            city=company.city,
            lat=company.lat,
            lon=company.lon,
            start_date=today() + timedelta(days=30),
            duration_weeks=20,
            hours_per_week=32,
            pay_per_month=250,
            seats=1,
            status=PlacementStatus.OPEN,
            published_at=utcnow(),
            confirmed_at=utcnow(),
        )
        placement = Placement(company=company, meester=meester, **{**defaults, **fields})
        placement.qualifications.append(qualification)
        db.session.add(placement)
        db.session.flush()
        return placement

    def internship(self, student: User, placement: Placement, *, start_date, end_date):
        """The student taken on at the place (an application accepted, as the services do),
        running from `start_date` to `end_date`; committed."""
        from stagematch.models import Application
        from stagematch.services import applications as application_service

        db.session.commit()
        application = Application(student=student.profile, placement=placement, motivation="Graag.")
        db.session.add(application)
        db.session.commit()
        internship = application_service.accept(application.id)
        internship.start_date, internship.end_date = start_date, end_date
        db.session.commit()
        return internship


@pytest.fixture
def make(app) -> Factory:
    return Factory()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password: str = PASSWORD):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        db.session.commit()
        return self.client.post("/account/inloggen", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/account/uitloggen")


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture
def company_user(make, auth):
    """A logged-in user of a new leerbedrijf."""
    user = make.company_user()
    auth.login(user)
    return user


OK, REFUSED = "ok", "refused"


def run_together(app, jobs: list[Callable[[], object]]) -> list[str]:
    """Run every job in its own thread and app context, all released at once; per job 'ok',
    'refused' (a DomainError) or the repr of any other exception."""
    from stagematch.services import DomainError

    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = [""] * len(jobs)

    def run(i: int, job) -> None:
        with app.app_context():
            barrier.wait()
            try:
                job()
                outcomes[i] = OK
            except DomainError:
                outcomes[i] = REFUSED
            except Exception as error:  # noqa: BLE001 - reported, so the test shows it
                outcomes[i] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on a free port (skipped without the binary, unless
    STAGEMATCH_REQUIRE_REDIS=1); stopped whatever happens."""
    import redis

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).is_file():
        if os.environ.get("STAGEMATCH_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is not installed (STAGEMATCH_REQUIRE_REDIS=1)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(10)


@pytest.fixture
def server(app):
    """The app behind werkzeug's threaded server (one thread per request), as in production."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    srv = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()

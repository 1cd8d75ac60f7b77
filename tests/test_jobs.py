"""The job queue (stagematch/jobs.py): the job page (its owner sees the progress and the report,
others nothing, a failure a clean message), mail through the queue with retries, training, large
allocation rounds and large exports as jobs, the scheduled jobs, and a real worker
(`huey_consumer stagematch.worker.huey`) against the SQLite queue file and against Redis.

Everywhere else the suite runs tasks at once (Huey's immediate mode); the real-worker tests start
the consumer as a subprocess on the test database and queue into its storage from here."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from stagematch import exports, jobs, mailer, tasks
from stagematch.extensions import db
from stagematch.jobs import huey
from stagematch.models import AllocationRound, Job, ModelVersion, RoundStatus, User
from stagematch.services import allocation_rounds as rounds
from stagematch.services.coordinators import StudentFilters
from stagematch.timeutil import today, utcnow

ROOT = Path(__file__).resolve().parent.parent


# Tasks for these tests only (immediate mode; the real worker does not know them).
@jobs.job_task()
def _fails_with_details(job):
    raise RuntimeError("geheime details: SELECT * FROM user")


@jobs.job_task()
def _refuses(job):
    raise jobs.JobFailed("Deze taak kan nu niet: <b>echt niet</b>.")


@jobs.job_task()
def _counts(job, n: int):
    for i in range(n):
        jobs.progress(job, i + 1, total=n, message=f"regel {i + 1}")
    return {"counted": n}


@pytest.fixture(autouse=True)
def _empty_queue_and_exports(app):
    huey.flush()  # the in-memory queue of immediate mode: no retries left over from other tests
    shutil.rmtree(Path(app.instance_path) / "exports", ignore_errors=True)
    yield
    huey.flush()
    shutil.rmtree(Path(app.instance_path) / "exports", ignore_errors=True)


def _job(owner, **fields) -> Job:
    job = Job(id=uuid.uuid4().hex, kind=fields.pop("kind", "export"), owner_id=owner.id, **fields)
    db.session.add(job)
    db.session.commit()
    return job


# --- the job page ------------------------------------------------------------------------------


def test_the_owner_sees_the_progress_others_get_404(client, make, auth):
    owner, other, admin = make.coordinator(), make.coordinator(), make.admin()
    job = _job(owner, status="running", done=30, total=120, message="regel 30")
    url = f"/taken/{job.id}"
    assert client.get(url).status_code == 302  # to the login page
    auth.login(owner)
    page = client.get(url).get_data(as_text=True)
    assert "Bezig: 25% klaar." in page and "regel 30" in page
    assert 'value="25"' in page and 'http-equiv="refresh"' in page
    assert client.get(f"/taken/{uuid.uuid4().hex}").status_code == 404
    assert client.get("/taken/niet-een-id").status_code == 404
    auth.logout()
    auth.login(other)  # same school, same role: still not theirs
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/bestand").status_code == 404
    auth.logout()
    auth.login(admin)
    assert client.get(url).status_code == 200


def test_progress_and_report_of_a_job(make):
    owner = make.coordinator()
    db.session.commit()
    job = jobs.submit("export", _counts, 3, owner=owner, context={"name": "proef"})
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert job.result == {"name": "proef", "counted": 3}  # the context stays in the report
    assert job.started_at and job.finished_at and job.percent == 100
    # Finding a job again by its context: only queued or running ones.
    assert jobs.unfinished("export", name="proef") is None
    waiting = _job(owner, result={"name": "proef", "params": {"weeks": 6}})
    assert (
        jobs.unfinished("export", owner=owner, name="proef", params={"weeks": 6}).id == waiting.id
    )
    assert jobs.unfinished("export", name="proef", params={"weeks": 7}) is None


def test_a_failed_job_shows_a_clean_message(client, make, auth, caplog):
    owner = make.coordinator()
    db.session.commit()
    job = jobs.submit("export", _fails_with_details, owner=owner)
    assert job.status == "failed" and job.message is None and job.finished_at
    assert "geheime details" in caplog.text  # logged for the administrator, with the traceback
    auth.login(owner)
    page = client.get(f"/taken/{job.id}").get_data(as_text=True)
    assert "Dit is niet gelukt, en er is niets opgeslagen." in page
    assert "geheime" not in page and "SELECT" not in page and 'http-equiv="refresh"' not in page
    # A task's own reason is shown instead, as text (never as HTML).
    refused = jobs.submit("export", _refuses, owner=owner)
    page = client.get(f"/taken/{refused.id}").get_data(as_text=True)
    assert "Deze taak kan nu niet: &lt;b&gt;echt niet&lt;/b&gt;." in page and "<b>echt" not in page


def test_jobs_lost_for_a_day_are_marked_failed(make):
    owner = make.coordinator()
    lost = _job(owner, status="running", created_at=utcnow() - timedelta(days=2))
    fresh = _job(owner, status="queued")
    assert jobs.fail_abandoned() == 1
    db.session.expire_all()
    assert (lost.status, fresh.status) == ("failed", "queued")


# --- mail ---------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens there once the socket is closed


def test_a_failing_mail_server_is_retried_with_growing_pauses_then_logged(
    app, client, make, outbox, monkeypatch, caplog
):
    user = make.student()
    db.session.commit()
    state = app.extensions["mailman"]  # a real SMTP backend, on a port where nobody listens
    monkeypatch.setattr(state, "backend", "smtp")
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", _closed_port())
    response = client.post("/account/wachtwoord-vergeten", data={"email": user.email})
    assert response.status_code == 302 and "/account/inloggen" in response.location  # it worked
    assert outbox() == []
    pauses = []
    later = huey._get_timestamp() + timedelta(days=2)
    for left in range(len(mailer.RETRY_DELAYS) - 1, -1, -1):
        (retry,) = huey.read_schedule(later)  # what the worker would pick up after the pause
        assert retry.retries == left and retry.args[2] == [user.email]
        pauses.append(retry.retry_delay)
        huey.execute(retry, later)
    assert pauses == list(mailer.RETRY_DELAYS) and pauses == sorted(pauses)
    assert huey.read_schedule(later) == [] and outbox() == []
    given_up = [
        r for r in caplog.records if r.name == "stagematch.mailer" and r.levelname == "ERROR"
    ]
    assert len(given_up) == 1 and "not sent after 6 attempts" in given_up[0].getMessage()
    assert user.email in given_up[0].getMessage()


def test_mail_is_sent_directly_when_the_queue_is_away(client, make, outbox, monkeypatch):
    user = make.student()
    db.session.commit()

    def queue_away(task):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(huey, "enqueue", queue_away)
    response = client.post("/account/wachtwoord-vergeten", data={"email": user.email})
    assert response.status_code == 302
    assert [m["To"] for m in outbox()] == [user.email]


# --- training -------------------------------------------------------------------------------------


def _fake_training(calls: list):
    """train_and_register as it is today: registers a version, makes it active, says 5 things."""

    def train_and_register(progress=None):
        from stagematch.ranking import activate

        for step in ("kenmerken", "model 1", "model 2", "kalibreren", "belang"):
            progress(step)
        version = ModelVersion(family="logistic regression", n_examples=80, date_from="2024-01-01",
                               date_to="2025-06-01", features="[]", importances="{}",
                               metrics='[{"name": "", "kind": "gate", "passed": true, "checks": []}]',
                               artifact="model-test.joblib")  # fmt: skip
        db.session.add(version)
        db.session.flush()
        activate(version)
        calls.append(version.id)
        model = type("Model", (), {"family": version.family, "n_examples": 80})()
        return version, model

    return train_and_register


def test_training_from_the_model_page_is_a_job(client, make, auth, monkeypatch):
    import stagematch.ranking

    calls = []
    monkeypatch.setattr(stagematch.ranking, "train_and_register", _fake_training(calls))
    admin = make.admin()
    auth.login(admin)
    response = client.post("/beheer/model", data={"actie": "trainen"})
    assert response.status_code == 302 and response.location.startswith("/taken/")
    job = db.session.get(Job, response.location.rsplit("/", 1)[1])
    assert (job.kind, job.status, job.owner_id) == ("model_train", "done", admin.id)
    assert job.done == job.total == tasks.TRAIN_STEPS and job.result["version"] == calls[0]
    page = client.get(response.location).get_data(as_text=True)
    assert f"Versie {calls[0]} is getraind" in page and "/beheer/model" in page


def test_training_with_too_little_data_fails_with_a_plain_reason(client, make, auth):
    admin = make.admin()
    auth.login(admin)
    response = client.post("/beheer/model", data={"actie": "trainen"})
    job = db.session.get(Job, response.location.rsplit("/", 1)[1])
    assert job.status == "failed"
    page = client.get(response.location).get_data(as_text=True)
    assert "Te weinig afgeronde stages om te trainen" in page
    assert db.session.scalar(select(ModelVersion.id)) is None


def test_the_weekly_training_registers_a_version_without_activating_it(monkeypatch):
    import stagematch.ranking

    calls = []
    monkeypatch.setattr(stagematch.ranking, "train_and_register", _fake_training(calls))
    tasks.weekly_training.call_local()  # no model yet: the new one is not made active either
    first = db.session.get(ModelVersion, calls[0])
    assert first.active is False
    stagematch.ranking.activate(first)  # an administrator chose it
    tasks.weekly_training.call_local()
    db.session.expire_all()
    versions = db.session.scalars(select(ModelVersion).order_by(ModelVersion.id)).all()
    assert [(v.id, v.active) for v in versions] == [(calls[0], True), (calls[1], False)]


# --- allocation rounds ---------------------------------------------------------------------------


@pytest.fixture
def round_(make):
    """An open round of four students over three one-seat places, whose choosing has ended."""
    q = make.qualification()
    for town in ("Hengelo", "Enschede", "Almelo", "Borne"):
        make.student(qualification=q, town=town)
    company = make.company(qualifications=[q])
    meester = make.meester(company, capacity=3)
    for title in ("Plek A", "Plek B", "Plek C"):
        make.placement(company, meester, title=title)
    coordinator = make.coordinator()
    db.session.commit()
    opened = rounds.open_round(
        school=coordinator.school, name="Ronde groot", closes_on=today() + timedelta(days=7),
        max_choices=3, cohort=rounds.Cohort(qualification_id=q.id), created_by=coordinator,
    )  # fmt: skip
    return opened


def test_a_large_round_is_computed_in_a_job(app, client, auth, round_, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOCATION_JOB_STUDENTS", 3)  # 4 students: "large"
    coordinator = db.session.get(User, round_.created_by_id)
    auth.login(coordinator)
    response = client.post(f"/coordinator/verdeelrondes/{round_.id}/berekenen")
    assert response.status_code == 302 and response.location.startswith("/taken/")
    job = db.session.get(Job, response.location.rsplit("/", 1)[1])
    assert (job.kind, job.status, job.owner_id) == ("round_compute", "done", coordinator.id)
    assert job.done == job.total == len(rounds.COMPUTE_STEPS) + 1
    assert job.result == {"round_id": round_.id, "students": 4, "assigned": 3, "unassigned": 1,
                          "defaults_used": 4}  # fmt: skip
    db.session.expire_all()
    assert db.session.get(AllocationRound, round_.id).status == RoundStatus.COMPUTED
    page = client.get(response.location).get_data(as_text=True)
    assert "Berekend: 3 van de 4 studenten hebben een plek" in page
    assert f"/coordinator/verdeelrondes/{round_.id}" in page


def test_the_round_page_follows_a_running_computation(app, client, auth, round_, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOCATION_JOB_STUDENTS", 3)
    coordinator = db.session.get(User, round_.created_by_id)
    running = _job(coordinator, kind="round_compute", status="running", done=2, total=5,
                   result={"round_id": round_.id})  # fmt: skip
    auth.login(coordinator)
    page = client.get(f"/coordinator/verdeelrondes/{round_.id}").get_data(as_text=True)
    assert f"/taken/{running.id}" in page and "(40 %)" in page
    assert f"/coordinator/verdeelrondes/{round_.id}/berekenen" not in page
    # Asking again leads to the same job, not a second computation.
    again = client.post(f"/coordinator/verdeelrondes/{round_.id}/berekenen")
    assert again.location == f"/taken/{running.id}"
    assert len(db.session.scalars(select(Job)).all()) == 1


def test_a_round_published_while_it_computed_keeps_its_published_result(round_):
    def publish_meanwhile(step, message):
        if step == 3:  # the allocation is computed, not yet stored: someone publishes
            db.session.execute(AllocationRound.__table__.update().values(status="published"))

    with pytest.raises(rounds.DomainError, match="al gepubliceerd"):
        rounds.compute(round_, progress=publish_meanwhile)
    db.session.expire_all()
    assert all(m.assigned_placement_id is None for m in round_.students)


# --- exports ------------------------------------------------------------------------------------


def test_a_large_export_is_a_job_whose_file_only_its_owner_gets(app, client, make, auth,
                                                                monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 5)
    coordinator, colleague, admin = make.coordinator(), make.coordinator(), make.admin()
    for n in range(8):
        make.student(name=f"Student {n:02d} Groot", leerweg="BBL" if n < 2 else "BOL")
    auth.login(coordinator)
    small = client.get("/coordinator/studenten?leerweg=BBL&formaat=csv")  # 2 rows: at once
    assert small.mimetype == "text/csv" and small.get_data(as_text=True).count("\r\n") == 3
    response = client.get("/coordinator/studenten?formaat=csv")
    assert response.status_code == 303 and response.location.startswith("/taken/")
    job = db.session.get(Job, response.location.rsplit("/", 1)[1])
    assert (job.kind, job.status, job.done, job.total) == ("export", "done", 8, 8)
    assert job.result["rows"] == 8 and job.result["filename"] == "studenten.csv"
    page = client.get(response.location).get_data(as_text=True)
    assert f"/taken/{job.id}/bestand" in page and "Klaar: 8 regels." in page
    download = client.get(f"/taken/{job.id}/bestand")
    assert download.mimetype == "text/csv"
    assert "filename=studenten.csv" in download.headers["Content-Disposition"]
    text = download.get_data().decode("utf-8")
    download.close()
    assert text.startswith("\ufeffstudentnummer;naam") and text.count("\r\n") == 9
    assert all(f"Student {n:02d} Groot" in text for n in range(8))
    for other, job_page in ((colleague, 404), (admin, 200)):
        auth.logout()
        auth.login(other)
        assert client.get(f"/taken/{job.id}").status_code == job_page
        assert f"/taken/{job.id}/bestand" not in client.get(f"/taken/{job.id}").get_data(
            as_text=True
        )
        assert client.get(f"/taken/{job.id}/bestand").status_code == 404
    # After a day the nightly job deletes the file; the page then says so.
    path = exports.folder() / f"{job.id}.csv"
    old = time.time() - 25 * 3600
    os.utime(path, (old, old))
    assert exports.remove_old_files() == 1 and not path.exists()
    auth.logout()
    auth.login(coordinator)
    gone = client.get(f"/taken/{job.id}/bestand", follow_redirects=True)
    assert "Dit bestand is er niet meer" in gone.get_data(as_text=True)


def test_a_large_open_data_export_comes_from_the_workers_snapshot(app, client, make, monkeypatch):
    kok = make.qualification("25180")
    company = make.company(qualifications=[kok])
    meester = make.meester(company, capacity=5)
    for title in ("Plek een", "Plek twee", "Plek drie"):
        make.placement(company, meester, title=title, qualification=kok)
    db.session.commit()
    inline_csv = client.get("/api/v1/export/places.csv").get_data(as_text=True)
    inline_json = client.get("/api/v1/export/places.json").get_json()
    assert inline_json["count"] == 3
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 2)
    # No worker has made the snapshot yet: try again in a minute. The worker is asked once.
    asked = []
    monkeypatch.setattr(exports, "refresh_open_data", lambda: asked.append(1))
    for _ in range(2):
        waiting = client.get("/api/v1/export/places.csv")
        assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "60"
        assert waiting.is_json
    assert asked == [1]
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 2)
    (exports.open_data_file("csv").parent / "requested").unlink()  # five minutes later
    snapshot_csv = client.get("/api/v1/export/places.csv")  # the worker (at once here) made it
    assert snapshot_csv.status_code == 200 and snapshot_csv.mimetype == "text/csv"
    assert snapshot_csv.get_data(as_text=True) == inline_csv
    snapshot_csv.close()
    snapshot_json = client.get("/api/v1/export/places.json")
    assert json.loads(snapshot_json.get_data()) == inline_json
    snapshot_json.close()
    assert exports.open_data_file("csv").is_file()


# --- the scheduled jobs ----------------------------------------------------------------------------


def test_the_nightly_and_weekly_jobs_are_scheduled_in_the_worker():
    names = {huey._registry.task_to_string(task) for task in huey._registry._periodic_tasks}
    for expected in ("nightly_expire_offers", "nightly_compute_rounds", "nightly_search_alerts",
                     "nightly_evaluation_reminders", "nightly_retention", "nightly_cleanup",
                     "hourly_open_data", "weekly_training", "nightly_suggestions"):  # fmt: skip
        assert f"stagematch.tasks.{expected}" in names


def test_a_nightly_job_computes_closed_rounds_and_mails_the_coordinator(round_, outbox):
    round_.closes_on = today() - timedelta(days=1)
    db.session.commit()
    tasks.nightly_compute_rounds()  # queued; the test's queue runs it at once
    db.session.expire_all()
    assert db.session.get(AllocationRound, round_.id).status == RoundStatus.COMPUTED
    (mail,) = outbox()
    assert mail["To"] == db.session.get(User, round_.created_by_id).email
    assert f"/coordinator/verdeelrondes/{round_.id}" in mail.get_content()


def test_the_nightly_cleanup_removes_old_exports_and_lost_jobs(make):
    owner = make.coordinator()
    lost = _job(owner, status="queued", created_at=utcnow() - timedelta(days=3))
    report = _job(owner, status="done", created_at=utcnow() - timedelta(days=31))
    recent = _job(owner, status="done", created_at=utcnow() - timedelta(days=29))
    report_id, recent_id = report.id, recent.id
    old_file, new_file = exports.folder() / "oud.csv", exports.folder() / "nieuw.csv"
    old_file.write_text("x")
    new_file.write_text("y")
    old = time.time() - 2 * 24 * 3600
    os.utime(old_file, (old, old))
    tasks.nightly_cleanup()
    db.session.expire_all()
    assert not old_file.exists() and new_file.exists() and lost.status == "failed"
    # Reports hold personal data: kept for 30 days.
    assert db.session.get(Job, report_id) is None and db.session.get(Job, recent_id) is not None


# --- a real worker -----------------------------------------------------------------------------------


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # Huey: finish the task at hand, then stop
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _worker(app, jobs_url: str, log_path: Path):
    """`huey_consumer stagematch.worker.huey` on the test database and instance folder, as the
    site's own worker would run; stopped whatever happens."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("STAGEMATCH_JOBS_IMMEDIATE", "TEST_DATABASE_URL")}  # fmt: skip
    env.update(
        STAGEMATCH_CONFIG="development", STAGEMATCH_INSTANCE=app.instance_path, JOBS_URL=jobs_url,
        DATABASE_URL=db.engine.url.render_as_string(hide_password=False), MAIL_BACKEND="file",
        MAIL_FILE_PATH=app.config["MAIL_FILE_PATH"], RATELIMIT_ENABLED="0",
    )  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "huey.bin.huey_consumer", "stagematch.worker.huey", "-w", "2",
             "-k", "thread", "-n", "-d", "0.05", "-m", "0.25"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            # Starting takes a few seconds (the app, scikit-learn); the work itself must then be
            # done within 30 s.
            _wait_for(lambda: "consumer started" in log_path.read_text(), process, log_path, 90)
            yield process
        finally:
            _stop(process)


@contextmanager
def _queue_into(storage):
    """Queue from this test into a real storage, as the site does (instead of running at once)."""
    saved = huey.storage, huey._immediate
    huey.storage, huey._immediate = storage, False
    try:
        yield
    finally:
        huey.storage, huey._immediate = saved


def _wait_for(check, process: subprocess.Popen, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # read what the worker committed
        if check():
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"the worker did not do it within {timeout} s; its log:\n"
                f"{log_path.read_text()[-4000:]}")  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_real_worker_delivers_mail_and_runs_jobs(request, app, make, outbox, tmp_path, backend):
    url = (request.getfixturevalue("redis_url") if backend == "redis"
           else f"sqlite:///{tmp_path / 'jobs.db'}")  # fmt: skip
    coordinator = make.coordinator()
    for n in range(3):
        make.student(name=f"Echte Student {n}")
    db.session.commit()
    queue = jobs.make_huey(url)
    log_path = tmp_path / "worker.log"
    with _worker(app, url, log_path) as worker, _queue_into(queue.storage):
        assert mailer.send(coordinator.email, "van de echte worker", "password_reset",
                           user=coordinator, link="http://127.0.0.1:5000/x")  # fmt: skip
        job = jobs.submit(
            "export", exports.build_export, "coordinator_students", asdict(StudentFilters()),
            owner=coordinator, total=3, context={"filename": "studenten.csv"},
        )  # fmt: skip
        assert job.status == "queued"  # queued, not run here
        _wait_for(lambda: len(outbox()) == 1, worker, log_path)
        _wait_for(lambda: db.session.get(Job, job.id).status == "done", worker, log_path)
    (mail,) = outbox()
    assert mail["To"] == coordinator.email and mail["Subject"] == "StageMatch: van de echte worker"
    done = db.session.get(Job, job.id)
    assert done.result["rows"] == 3 and done.finished_at is not None
    text = (Path(app.instance_path) / "exports" / f"{job.id}.csv").read_text(encoding="utf-8")
    assert all(f"Echte Student {n}" in text for n in range(3))
    if backend == "redis":
        queue.storage.conn.close()
    else:
        queue.storage.close()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_real_worker_recomputes_stale_suggestions(request, app, make, tmp_path, backend):
    """The site queues the refresh after the commit that made a student's stored list stale; the
    worker recomputes it, and it holds the change."""
    from stagematch.models import Qualification, StudentProfile
    from stagematch.ranking import Ranker
    from stagematch.services import stored_suggestions as stored

    url = (request.getfixturevalue("redis_url") if backend == "redis"
           else f"sqlite:///{tmp_path / 'jobs.db'}")  # fmt: skip
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    company = make.company(qualifications=[kok])  # in Enschede
    meester = make.meester(company, capacity=5)
    make.placement(company, meester, title="Kok dichtbij", qualification=kok)
    profile_id = make.student(qualification=kok, town="Zwolle").profile.id
    db.session.commit()
    profile = db.session.get(StudentProfile, profile_id)
    assert stored.refresh_all() == 1
    assert stored.fresh(profile, Ranker(profile).version_id).place_ids == []  # 60 km away

    def refreshed() -> bool:
        profile = db.session.get(StudentProfile, profile_id)
        row = stored.fresh(profile, Ranker(profile).version_id)
        return row is not None and len(row.place_ids) == 1

    queue = jobs.make_huey(url)
    log_path = tmp_path / "worker.log"
    app.config["SUGGESTIONS_REFRESH"] = True
    try:
        with _worker(app, url, log_path) as worker, _queue_into(queue.storage):
            profile.max_travel_km = 100
            db.session.commit()  # queues the refresh; not run here
            _wait_for(refreshed, worker, log_path)
    finally:
        app.config["SUGGESTIONS_REFRESH"] = False
    if backend == "redis":
        queue.storage.conn.close()
    else:
        queue.storage.close()

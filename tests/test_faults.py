"""Database outages (issue 15, item 4): while the database is away every page is a clean 503 in the
reader's language with `Retry-After` (never a traceback), the API answers a JSON 503, and the site
works again as soon as the database is back.

The first tests simulate the outage in-process (the dialect's execute raises what the driver raises
when the server is gone), on SQLite and PostgreSQL alike. The last one stops and starts a real
PostgreSQL server under load; it needs the commands to do that in STAGEMATCH_PG_STOP and
STAGEMATCH_PG_START (.ci/run exports them for its throwaway server)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass

import psycopg
import pytest
import requests
from sqlalchemy import exc, text

from stagematch.errors import is_database_outage
from stagematch.extensions import db
from stagematch.models.enums import Leerweg
from stagematch.services.tokens import create_token
from tests.conftest import PASSWORD

LEAKS = ("Traceback", "OperationalError", "psycopg", "sqlite3", "sqlalchemy", 'File "')


def _driver_error(kind: str = "outage") -> Exception:
    """What the driver raises: the server gone (or SQLite locked past its timeout), or a plain
    programming error that is not an outage."""
    dbapi = db.engine.dialect.dbapi
    if db.engine.dialect.name == "sqlite":
        message = "database is locked" if kind == "outage" else "no such table: nothing"
        return dbapi.OperationalError(message)
    if kind == "outage":
        return dbapi.OperationalError("server closed the connection unexpectedly")
    return dbapi.errors.UndefinedTable('relation "nothing" does not exist')


class Outage:
    """Makes every statement fail, from the first one that matches `trip` on (a database going
    away in the middle of a request stays away), until `end()`."""

    def __init__(self, monkeypatch, trip: str | None = None, kind: str = "outage"):
        # Requests share the test's session: empty it, so they load what they need, as they would.
        db.session.close()
        self.down = trip is None
        self.trip = trip
        self.kind = kind
        dialect = db.engine.dialect
        for name in ("do_execute", "do_execute_no_params", "do_executemany"):
            original = getattr(dialect, name)
            monkeypatch.setattr(dialect, name, self._wrap(original))

    def _wrap(self, original):
        def execute(cursor, statement, *args, **kwargs):
            if not self.down and self.trip is not None and self.trip in statement:
                self.down = True
            if self.down:
                raise _driver_error(self.kind)
            return original(cursor, statement, *args, **kwargs)

        return execute

    def end(self) -> None:
        self.down = False
        self.trip = None


def _assert_clean_503(response, *, language: str = "nl") -> str:
    assert response.status_code == 503, response.status_code
    assert response.headers.get("Retry-After") == "30"
    body = response.get_data(as_text=True)
    for leak in LEAKS:
        assert leak not in body, leak
    if not response.is_json:
        assert f'<html lang="{language}">' in body
        assert "503" in body
    return body


def _place(make) -> int:
    company = make.company()
    return make.placement(company, make.meester(company), title="Helpende zorg").id


# --- simulated outages --------------------------------------------------------------------------


def test_pages_during_an_outage_are_a_clean_503_with_retry_after(make, client, monkeypatch):
    place_id = _place(make)
    db.session.commit()
    Outage(monkeypatch)
    for url in ("/plekken/", f"/plekken/{place_id}", "/"):
        body = _assert_clean_503(client.get(url))
        assert "Even niet bereikbaar" in body


def test_a_post_during_an_outage_says_it_may_not_be_saved(make, client, monkeypatch):
    email = make.student().email
    db.session.commit()
    Outage(monkeypatch)
    response = client.post("/account/inloggen", data={"email": email, "password": PASSWORD})
    body = _assert_clean_503(response)
    assert "niet opgeslagen" in body


def test_outage_after_the_user_was_loaded_keeps_their_language_and_needs_no_database(
    make, client, auth, monkeypatch
):
    """The user (English) is loaded, then the database goes: the page must not ask the database
    for the user again (the rolled-back user is expired) and stays in the user's language."""
    student = make.student(leerweg=Leerweg.BOL)
    student.locale = "en"
    _place(make)
    db.session.commit()
    assert auth.login(student).status_code == 302
    Outage(monkeypatch, trip="placement")
    _assert_clean_503(client.get("/plekken/"), language="en")


def test_a_page_served_before_the_interaction_log_fails_is_still_served(
    make, client, auth, monkeypatch
):
    """Seen in the restart test (a 500 on student search): the page was rendered, the database
    went away as the list was logged, the log gave up (a rollback expires the user), and the
    request log line then asked the database for the user's id."""
    student = make.student(leerweg=Leerweg.BOL)
    _place(make)
    db.session.commit()
    assert auth.login(student).status_code == 302
    Outage(monkeypatch, trip="INSERT INTO interaction")
    response = client.get("/plekken/")
    assert response.status_code == 200
    assert "Helpende zorg" in response.get_data(as_text=True)


def test_outage_before_the_user_is_known_uses_the_language_cookie_or_browser(
    make, client, auth, monkeypatch
):
    student = make.student()
    db.session.commit()
    assert auth.login(student).status_code == 302
    Outage(monkeypatch)
    client.set_cookie("taal", "en")
    _assert_clean_503(client.get("/plekken/"), language="en")
    client.delete_cookie("taal")
    _assert_clean_503(client.get("/plekken/", headers={"Accept-Language": "en"}), language="en")
    _assert_clean_503(client.get("/plekken/"), language="nl")


def test_other_error_pages_during_an_outage_do_not_need_the_database(
    make, client, auth, monkeypatch
):
    """A 404 page shows the menu of the logged-in user: during an outage that would ask the
    database. It becomes the outage page instead of a 500."""
    student = make.student()
    db.session.commit()
    assert auth.login(student).status_code == 302
    Outage(monkeypatch)
    _assert_clean_503(client.get("/bestaat-niet"))


def test_if_even_the_outage_page_fails_the_answer_is_a_plain_503(make, client, monkeypatch):
    """Say a later change makes the page template read the database: still no 500."""
    import stagematch.errors

    def broken(*args, **kwargs):
        raise _wrapped_outage()

    place_id = _place(make)
    db.session.commit()
    Outage(monkeypatch)
    monkeypatch.setattr(stagematch.errors, "render_template", broken)
    response = client.get(f"/plekken/{place_id}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "even niet bereikbaar" in response.get_data(as_text=True)


def _wrapped_outage() -> exc.DBAPIError:
    return exc.DBAPIError.instance("SELECT 1", {}, _driver_error(), db.engine.dialect.dbapi.Error)


def test_the_api_answers_a_json_503_with_retry_after(make, client, monkeypatch):
    place_id = _place(make)
    secret = create_token(make.student(), "test")[1]
    db.session.commit()
    Outage(monkeypatch)
    response = client.get(
        f"/api/v1/places/{place_id}", headers={"Authorization": f"Bearer {secret}"}
    )
    _assert_clean_503(response)
    assert response.is_json
    assert response.json["error"]["status"] == 503
    assert "30" in response.json["error"]["detail"]


def test_the_site_works_again_after_the_outage(make, client, auth, monkeypatch):
    student = make.student()
    place_id = _place(make)
    db.session.commit()
    assert auth.login(student).status_code == 302
    outage = Outage(monkeypatch)
    _assert_clean_503(client.get(f"/plekken/{place_id}"))
    outage.end()
    assert client.get(f"/plekken/{place_id}").status_code == 200
    assert client.get("/plekken/").status_code == 200


def test_a_request_that_ends_as_the_database_goes_away_still_ends_cleanly(app, monkeypatch):
    """Seen in the restart test: a page was rendered, then the server went down, and closing the
    request's session (a rollback on the dead connection) turned the finished page into a 500."""
    with app.app_context():  # a request's own context, as the server gives each request
        db.session.execute(text("SELECT 1"))  # its transaction is still open at the end

        def dead(*args, **kwargs):
            raise _driver_error()

        monkeypatch.setattr(db.engine.dialect, "do_rollback", dead)
    # Leaving the context (Flask's teardown) did not raise; the pool works on.
    monkeypatch.undo()
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_a_database_error_that_is_no_outage_stays_a_500(make, app, client, monkeypatch):
    """A programming error (a missing table) is a bug to fix, not a reason to ask for a retry."""
    _place(make)
    db.session.commit()
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    Outage(monkeypatch, kind="bug")
    response = client.get("/plekken/")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    body = response.get_data(as_text=True)
    assert not any(leak in body for leak in LEAKS)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.errors.lookup("57P01")("terminating connection (administrator command)"), True),
        (psycopg.errors.lookup("57P03")("the database system is starting up"), True),
        (psycopg.errors.lookup("53300")("too many connections"), True),
        (psycopg.errors.lookup("40001")("could not serialize access"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (sqlite3.OperationalError("database is locked"), True),
        (psycopg.errors.lookup("42P01")('relation "x" does not exist'), False),
        (psycopg.errors.lookup("23505")("duplicate key value"), False),
        (sqlite3.OperationalError("no such table: x"), False),
        (sqlite3.InterfaceError("Error binding parameter 1"), False),
    ],
)
def test_which_database_errors_are_outages(error, outage):
    assert is_database_outage(error) is outage
    driver_error = psycopg.Error if isinstance(error, psycopg.Error) else sqlite3.Error
    wrapped = exc.DBAPIError.instance("SELECT 1", {}, error, driver_error)
    assert isinstance(wrapped, exc.DBAPIError)
    assert is_database_outage(wrapped) is outage


def test_a_broken_pooled_connection_is_noticed_before_use(app):
    """After an outage every pooled connection is dead: each is pinged when taken from the pool
    and replaced if it does not answer, so the first request after the outage works."""
    assert db.engine.pool._pre_ping is True


# --- a real PostgreSQL restart under load -------------------------------------------------------

STOP, START = os.environ.get("STAGEMATCH_PG_STOP"), os.environ.get("STAGEMATCH_PG_START")


@pytest.fixture
def restartable_postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL (SQLite has no server to restart)")
    if not (STOP and START):
        pytest.skip(
            "needs STAGEMATCH_PG_STOP and STAGEMATCH_PG_START: shell commands that stop (fast) and "
            "start the server of TEST_DATABASE_URL and wait for it (.ci/run exports them)"
        )


@dataclass
class Hit:
    what: str
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all (connection dropped, timeout)
    retry_after: str | None = None
    leak: str | None = None


def _pg(command: str) -> None:
    subprocess.run(command, shell=True, check=True, timeout=120, capture_output=True)


def _database_answers() -> bool:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means: not back yet
        return False


def test_postgres_restart_under_load_gives_503s_then_no_errors(
    app, make, server, restartable_postgres
):
    place_id = _place(make)
    email = make.student().email
    secret = create_token(make.student(), "test")[1]
    db.session.commit()
    db.session.close()  # the test's own connection goes back to the pool, like the others

    logged_in = requests.Session()
    answer = logged_in.post(
        f"{server}/account/inloggen",
        data={"email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    cookies = logged_in.cookies.get_dict()

    def request(kind: int) -> tuple[str, requests.Response]:
        if kind == 0:
            return "search", requests.get(f"{server}/plekken/", params={"q": "zorg"}, timeout=30)
        if kind == 1:
            return "place", requests.get(f"{server}/plekken/{place_id}", timeout=30)
        if kind == 2:
            return "login", requests.post(f"{server}/account/inloggen", timeout=30,
                                          data={"email": email, "password": PASSWORD},
                                          allow_redirects=False)  # fmt: skip
        if kind == 3:
            return "student search", requests.get(f"{server}/plekken/", cookies=cookies, timeout=30)
        return "api", requests.get(f"{server}/api/v1/places/{place_id}", timeout=30,
                                   headers={"Authorization": f"Bearer {secret}"})  # fmt: skip

    hits: list[Hit] = []
    lock = threading.Lock()
    running = threading.Event()
    running.set()

    def client(n: int) -> None:
        i = n
        while running.is_set():
            started = time.monotonic()
            try:
                what, response = request(i % 5)
                body = response.text
                hit = Hit(what, started, time.monotonic(), response.status_code,
                          response.headers.get("Retry-After"),
                          next((leak for leak in LEAKS if leak in body), None))  # fmt: skip
            except requests.RequestException as error:
                hit = Hit(repr(error), started, time.monotonic(), 0)
            with lock:
                hits.append(hit)
            i += 1

    clients = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in clients:
        t.start()

    def settle(seconds: float, since: float) -> None:
        """Let the clients run at least `seconds`, and until 10 requests started after `since`
        have been answered (a busy machine is slow), at most a minute."""
        deadline, give_up = time.monotonic() + seconds, time.monotonic() + 60
        while time.monotonic() < give_up:
            with lock:
                answered = sum(1 for h in hits if h.started > since)
            if answered >= 10 and time.monotonic() >= deadline:
                return
            time.sleep(0.1)

    stop_called = stopped = start_called = restarted = None
    try:
        settle(1.5, since=0)
        stop_called = time.monotonic()
        _pg(STOP)
        stopped = time.monotonic()
        settle(2.5, since=stopped)
        start_called = time.monotonic()
        _pg(START)
        restarted = time.monotonic()
        settle(3, since=restarted)
    finally:
        running.clear()
        for t in clients:
            t.join(timeout=60)
        if restarted is None:  # never leave the server down (harmless if it is running)
            subprocess.run(START, shell=True, timeout=120, capture_output=True)
        for _ in range(60):
            if _database_answers():
                break
            time.sleep(0.5)

    before = [h for h in hits if h.ended < stop_called]
    during = [h for h in hits if h.started > stopped and h.ended < start_called]
    after = [h for h in hits if h.started > restarted]
    assert len(before) >= 10 and len(during) >= 10 and len(after) >= 10, (
        len(before), len(during), len(after))  # fmt: skip
    assert [h for h in before if h.status not in (200, 302)] == []
    assert [h for h in during if h.status != 503] == []
    # Whenever it happened (also while stopping and starting): a 503 is always a clean one, and
    # nothing else goes wrong than a 503.
    assert [h for h in hits if h.status not in (200, 302, 503)] == []
    assert [h for h in hits if h.status == 503 and (h.retry_after != "30" or h.leak)] == []
    assert [h for h in hits if h.leak] == []
    assert [h for h in after if h.status not in (200, 302)] == []
    assert {h.what for h in after} == {"search", "place", "login", "student search", "api"}

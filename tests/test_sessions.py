"""Sessions that can be ended, and login throttling that cannot lock anyone out.

Every session and remember cookie carries the account's session version; a logout, a password
change or reset and "overal uitloggen" bump it, so old cookies (also copies of them) stop working.
Failed logins slow down one client on one account, and one client over all accounts, with the
counters in the rate limiter's storage; the account's owner elsewhere is never blocked."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from stagematch import create_app
from stagematch.extensions import db, limiter
from stagematch.models import AuditEvent, User
from stagematch.services.accounts import session_user
from tests.conftest import PASSWORD, mailed_link

ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
VICTIM = {"REMOTE_ADDR": "198.51.100.2"}
NEW_PASSWORD = "een-heel-nieuw-wachtwoord"


def _login(client, user, password: str = PASSWORD, remember: bool = False, **kwargs):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/account/inloggen", data=data, **kwargs)


def _cookies(client) -> dict[str, str]:
    found = {}
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            found[name] = cookie.value
    return found


def _replayed(app, name: str, value: str):
    """A new browser that has nothing but this one cookie."""
    other = app.test_client()
    other.set_cookie(name, value)
    return other


def _logged_in(client) -> bool:
    status = client.get("/student/").status_code
    assert status in (200, 302)
    return status == 200


def _logged_in_with_remember(app, student) -> tuple:
    client = app.test_client()
    assert _login(client, student, remember=True).status_code == 302
    cookies = _cookies(client)
    assert set(cookies) == {"session", "remember_token"}
    for name, value in cookies.items():  # each cookie alone logs in, before the event
        assert _logged_in(_replayed(app, name, value)), name
    return client, cookies


def _assert_dead(app, cookies: dict) -> None:
    for name, value in cookies.items():
        assert not _logged_in(_replayed(app, name, value)), f"the old {name} cookie still works"


# --- ending sessions ---------------------------------------------------------------------------


def test_logout_makes_replayed_session_and_remember_cookies_useless(app, make):
    student = make.student()
    db.session.commit()
    client, cookies = _logged_in_with_remember(app, student)
    assert client.post("/account/uitloggen").status_code == 302
    assert not _logged_in(client)
    _assert_dead(app, cookies)
    assert _login(app.test_client(), student).status_code == 302  # a new login works


def test_changing_the_password_ends_other_sessions_but_keeps_this_browser(app, make):
    student = make.student()
    db.session.commit()
    client, cookies = _logged_in_with_remember(app, student)
    elsewhere = app.test_client()
    _login(elsewhere, student)
    response = client.post(
        "/account/",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert _logged_in(client)
    assert client.get_cookie("remember_token").value != cookies["remember_token"]  # renewed
    assert not _logged_in(elsewhere)
    _assert_dead(app, cookies)
    assert _logged_in(_replayed(app, "remember_token", client.get_cookie("remember_token").value))
    assert "passen niet" in _login(app.test_client(), student).text
    assert _login(app.test_client(), student, NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_changes_nothing(client, auth, make):
    student = make.student()
    auth.login(student)
    response = client.post(
        "/account/",
        data={
            "current_password": "niet-mijn-ww",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422 and "Dit wachtwoord klopt niet" in response.text
    assert _logged_in(client)
    db.session.expire_all()
    assert db.session.get(User, student.id).check_password(PASSWORD)


def test_a_password_reset_ends_every_earlier_session(app, make, outbox):
    student = make.student()
    db.session.commit()
    _client, cookies = _logged_in_with_remember(app, student)
    resetting = app.test_client()
    resetting.post("/account/wachtwoord-vergeten", data={"email": student.email})
    link = mailed_link(outbox()[0], "/account/wachtwoord/")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    response = resetting.post(path, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and _logged_in(resetting)
    _assert_dead(app, cookies)


def test_overal_uitloggen_ends_every_session_including_this_one(app, make):
    student = make.student()
    db.session.commit()
    client, cookies = _logged_in_with_remember(app, student)
    elsewhere = app.test_client()
    _login(elsewhere, student, remember=True)
    elsewhere_cookies = _cookies(elsewhere)
    page = client.get("/account/").text
    assert "Overal uitloggen" in page and "Weet je het zeker?" in page
    assert "kopie van je inlogcookie" in page  # what plain logging out does is explained
    assert client.get("/account/overal-uitloggen").status_code == 405  # a POST only
    response = client.post("/account/overal-uitloggen")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert not _logged_in(client) and not _logged_in(elsewhere)
    _assert_dead(app, cookies)
    _assert_dead(app, elsewhere_cookies)
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.logout_everywhere")
    )


def test_overal_uitloggen_needs_the_csrf_token(app, make):
    student = make.student()
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = student.get_id()
        assert client.post("/account/overal-uitloggen").status_code == 400
        assert _logged_in(client)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_cookies_from_before_session_versions_work_until_the_first_logout(app, make):
    student = make.student()
    db.session.commit()
    old = app.test_client()
    with old.session_transaction() as session:  # as the site wrote it before: the bare id
        session["_user_id"] = str(student.id)
    saved = _cookies(old)
    assert _logged_in(old)
    client = app.test_client()
    _login(client, student)
    client.post("/account/uitloggen")
    _assert_dead(app, saved)


@pytest.mark.parametrize(
    "value", ["", "x", "1:", ":0", "1:2:3", "1:-1", "²", "1:²", "99999999999", "2147483648:0"]
)
def test_a_strange_session_id_is_nobody(app, make, value):
    make.student()
    db.session.commit()
    assert session_user(value) is None


# --- login throttling --------------------------------------------------------------------------


def test_a_guesser_is_slowed_down_but_the_owner_elsewhere_logs_in(app, make, rate_limits):
    victim = make.student()
    db.session.commit()
    attacker = app.test_client()
    for _ in range(5):
        response = _login(attacker, victim, "geraden-123", environ_base=ATTACKER)
        assert response.status_code == 200 and "passen niet" in response.text
    blocked = _login(attacker, victim, PASSWORD, environ_base=ATTACKER)  # even the right one
    assert blocked.status_code == 429
    assert "te vaak geprobeerd" in blocked.text and "1 seconde" in blocked.text
    assert blocked.headers["Retry-After"] == "1"
    assert f'value="{victim.email}"' in blocked.text  # the form, with the input kept
    assert not _logged_in(attacker)
    owner = app.test_client()
    assert _login(owner, victim, environ_base=VICTIM).status_code == 302


class _Clock:
    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Time as the throttle and the memory storage see it, moved on by the test."""
    import limits.storage.memory

    from stagematch.auth import throttle

    fake = _Clock()
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(throttle, "time", fake)
    return fake


def test_the_wait_doubles_with_each_failure_up_to_15_minutes(app, make, rate_limits, clock):
    victim = make.student()
    db.session.commit()
    attacker = app.test_client()
    for _ in range(4):
        _login(attacker, victim, "fout", environ_base=ATTACKER)
    waits, messages = [], []
    for _ in range(12):
        assert _login(attacker, victim, "fout", environ_base=ATTACKER).status_code == 200
        refused = _login(attacker, victim, "fout", environ_base=ATTACKER)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        messages.append(refused.text)
        clock.now += waits[-1] + 0.5
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert "2 seconden" in messages[1] and "5 minuten" in messages[8]  # 256 s
    assert "15 minuten" in messages[-1]


def test_a_good_login_lets_the_pair_start_afresh(app, make, rate_limits, clock):
    student = make.student()
    db.session.commit()
    client = app.test_client()
    for _ in range(5):
        _login(client, student, "fout", environ_base=ATTACKER)
    clock.now += 2
    assert _login(client, student, environ_base=ATTACKER).status_code == 302
    client.post("/account/uitloggen", environ_base=ATTACKER)
    for _ in range(4):
        assert _login(client, student, "fout", environ_base=ATTACKER).status_code == 200
    assert _login(client, student, environ_base=ATTACKER).status_code == 302


def test_one_client_trying_many_accounts_is_stopped(app, make, rate_limits):
    from stagematch.auth.throttle import IP_FAILURES

    owner = make.student()
    db.session.commit()
    attacker = app.test_client()
    for n in range(IP_FAILURES):
        response = attacker.post(
            "/account/inloggen",
            data={"email": f"iemand{n}@example.nl", "password": "welkom123"},
            environ_base=ATTACKER,
        )
        assert response.status_code == 200
    refused = _login(attacker, owner, environ_base=ATTACKER)
    assert refused.status_code == 429 and "te vaak geprobeerd" in refused.text
    assert _login(app.test_client(), owner, environ_base=VICTIM).status_code == 302


def test_without_proxies_a_forged_forwarded_for_changes_nothing(app, make, rate_limits):
    assert app.config["PROXY_COUNT"] == 0
    victim = make.student()
    db.session.commit()
    attacker = app.test_client()
    for n in range(6):
        forged = {"X-Forwarded-For": f"192.0.2.{n}"}
        response = _login(attacker, victim, "fout", headers=forged, environ_base=ATTACKER)
    assert response.status_code == 429


def test_behind_a_proxy_the_forwarded_client_is_throttled(app, make):
    """PROXY_COUNT=1: every request comes from the proxy's address; the client is the address
    the proxy puts last in X-Forwarded-For."""
    victim = make.student()
    db.session.commit()
    proxied = create_app(
        "test",
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "PROXY_COUNT": 1},
    )
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    limiter.enabled = True
    limiter.reset()
    try:
        attacker, owner = proxied.test_client(), proxied.test_client()
        forwarded_attacker = {"X-Forwarded-For": "1.2.3.4, " + ATTACKER["REMOTE_ADDR"]}
        for _ in range(6):
            response = _login(
                attacker, victim, "fout", headers=forwarded_attacker, environ_base=proxy
            )
        assert response.status_code == 429
        forwarded_owner = {"X-Forwarded-For": VICTIM["REMOTE_ADDR"]}
        response = _login(owner, victim, headers=forwarded_owner, environ_base=proxy)
        assert response.status_code == 302
    finally:
        limiter.reset()
        limiter.enabled = False
        with proxied.app_context():
            db.engine.dispose()


def test_reset_mails_are_limited_per_address_and_client_not_per_address(
    app, make, outbox, rate_limits
):
    """A limit per address alone would let anyone stop its owner from getting a reset link."""
    victim = make.student()
    db.session.commit()
    attacker = app.test_client()
    statuses = [
        attacker.post(
            "/account/wachtwoord-vergeten", data={"email": victim.email}, environ_base=ATTACKER
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    owner = app.test_client()
    response = owner.post(
        "/account/wachtwoord-vergeten", data={"email": victim.email}, environ_base=VICTIM
    )
    assert response.status_code == 302 and len(outbox()) == 4


def test_registering_a_known_address_mails_its_owner_only_so_often(app, make, outbox, rate_limits):
    from tests.test_auth import _student_form

    owner = make.student()
    db.session.commit()
    client = app.test_client()
    form = _student_form(make, email=owner.email)
    bad = client.post(
        "/account/registreren/student",
        data={**form, "town": "Nergenshuizen"},
        environ_base=ATTACKER,
    )
    assert bad.status_code == 200  # a form sent back with errors does not count
    statuses = [
        client.post("/account/registreren/student", data=form, environ_base=ATTACKER).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429] and len(outbox()) == 3
    other = app.test_client().post("/account/registreren/student", data=form, environ_base=VICTIM)
    assert other.status_code == 302


# --- where the counters live -------------------------------------------------------------------


def _production_settings(tmp_path, **overrides) -> dict:
    return {
        "SECRET_KEY": "a-real-secret-from-the-environment",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        "BASE_URL": "https://stagematch.example",
        "RATELIMIT_ENABLED": False,
        **overrides,
    }


def test_production_refuses_per_worker_rate_limit_counters(tmp_path):
    from stagematch.config import ProductionConfig

    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(ProductionConfig, _production_settings(tmp_path))
    allowed = create_app(
        ProductionConfig, _production_settings(tmp_path, RATELIMIT_ALLOW_MEMORY=True)
    )
    assert allowed.config["RATELIMIT_STORAGE_URI"] == "memory://"
    limiter.enabled = False


def test_workers_share_the_throttle_through_redis(app, make, redis_url):
    """Two app objects stand in for two workers: what one counted, the other refuses."""
    victim = make.student()
    db.session.commit()
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_ENABLED": True,
    }
    workers = []
    try:
        first = create_app("test", settings)
        workers.append(first)
        for _ in range(5):
            _login(first.test_client(), victim, "fout", environ_base=ATTACKER)
        second = create_app("test", settings)  # a fresh limiter storage, same Redis
        workers.append(second)
        assert type(limiter.storage).__name__ == "RedisStorage"
        refused = _login(second.test_client(), victim, environ_base=ATTACKER)
        assert refused.status_code == 429
        assert _login(second.test_client(), victim, environ_base=VICTIM).status_code == 302
    finally:
        limiter.enabled = False
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()
        # Back to a memory storage for the rest of the run.
        restored = create_app(
            "test", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
        )
        with restored.app_context():
            db.engine.dispose()
        limiter.enabled = False

"""Web security: CSRF end to end, cookies, headers, rate limits, password rules and resets,
the production secret-key guard."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from stagematch import create_app
from stagematch.extensions import db
from stagematch.models import User
from tests.conftest import PASSWORD


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_csrf_protects_every_form_end_to_end(app, make):
    user = make.student()
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        refused = client.post("/account/inloggen", data={"email": user.email, "password": PASSWORD})
        assert refused.status_code == 400 and "Het formulier was verlopen" in refused.get_data(
            as_text=True
        )
        token = _token(client.get("/account/inloggen").get_data(as_text=True))
        ok = client.post(
            "/account/inloggen",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert ok.status_code == 302
        # Logged in: a state change without the token is refused too.
        assert client.post("/account/uitloggen").status_code == 400
        assert client.get("/student/").status_code == 200
        page = client.get("/student/profiel").get_data(as_text=True)
        assert (
            client.post("/account/uitloggen", data={"csrf_token": _token(page)}).status_code == 302
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_session_cookie_flags(client, make):
    user = make.student()
    db.session.commit()
    response = client.post("/account/inloggen", data={"email": user.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_the_default_secret_and_sets_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from stagematch.config import ProductionConfig

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(ProductionConfig, {"SECRET_KEY": "a-real-secret-from-the-environment",
                                      "BASE_URL": "https://stagematch.example",
                                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})  # fmt: skip
    app = create_app(ProductionConfig, {"SECRET_KEY": "a-real-secret-from-the-environment",
                                        "BASE_URL": "https://stagematch.example",
                                        "RATELIMIT_ALLOW_MEMORY": True,
                                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})  # fmt: skip
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_security_headers(client):
    headers = client.get("/plekken/").headers
    csp = headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp
        and "frame-ancestors 'none'" in csp
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_login_is_rate_limited_per_account_with_a_clear_message(client, make):
    from stagematch.extensions import limiter

    user = make.student()
    other = make.student()
    db.session.commit()
    limiter.enabled = True
    limiter.reset()
    try:
        statuses = [
            client.post(
                "/account/inloggen", data={"email": user.email, "password": "fout"}
            ).status_code
            for _ in range(6)
        ]
        assert statuses[:5] == [200] * 5 and statuses[5] == 429
        blocked = client.post("/account/inloggen", data={"email": user.email, "password": PASSWORD})
        assert blocked.status_code == 429 and "te vaak geprobeerd" in blocked.get_data(as_text=True)
        # Another account from the same address is not blocked by this account's limit.
        assert (
            client.post(
                "/account/inloggen", data={"email": other.email, "password": PASSWORD}
            ).status_code
            == 302
        )
    finally:
        limiter.enabled = False
        limiter.reset()


@pytest.mark.parametrize("password", ["password1", "qwerty123", "aaaaaaaaaa", "12121212"])
def test_common_passwords_are_refused(client, make, password):
    data = {"name": "A", "email": "a@b.nl", "password": password, "password2": password, "school": str(make.school().id),
            "qualification": "25180", "leerweg": "BOL", "town": "Enschede"}  # fmt: skip
    page = client.post("/account/registreren/student", data=data).get_data(as_text=True)
    assert "heel vaak gebruikt" in page
    assert db.session.scalar(select(User).where(User.email == "a@b.nl")) is None


def test_password_reset_by_single_use_expiring_link(client, make, outbox):
    user = make.student()
    db.session.commit()
    response = client.post("/account/wachtwoord-vergeten", data={"email": user.email})
    assert response.status_code == 302
    unknown = client.post(
        "/account/wachtwoord-vergeten", data={"email": "niemand@nergens.nl"}, follow_redirects=True
    )
    assert "Als er een account is met dit adres" in unknown.get_data(as_text=True)
    [message] = outbox()  # only the real account got mail
    link = next(
        line.strip()
        for line in message.get_content().splitlines()
        if "/account/wachtwoord/" in line
    )
    path = link.split("localhost", 1)[-1]
    assert client.get(path).status_code == 200
    assert (
        client.post(
            path, data={"password": "nieuw-geheim-42", "password2": "nieuw-geheim-42"}
        ).status_code
        == 302
    )
    db.session.refresh(user)
    assert user.check_password("nieuw-geheim-42")
    client.post("/account/uitloggen")
    again = client.get(path, follow_redirects=True)  # used once: no longer valid
    assert "Deze link werkt niet meer" in again.get_data(as_text=True)


def test_expired_password_link_is_refused(app, make):
    from stagematch.services.accounts import password_token, user_from_password_token

    user = make.student()
    db.session.commit()
    token = password_token(user)
    assert user_from_password_token(token) == user
    assert user_from_password_token(token, max_age=-1) is None
    assert user_from_password_token(token + "x") is None


def test_healthz_and_request_ids(client):
    response = client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert response.json == {"status": "ok", "database": "ok"}
    assert response.headers["X-Request-Id"] == "abc123"
    generated = client.get("/").headers["X-Request-Id"]
    assert len(generated) == 32


@pytest.mark.parametrize(
    "path",
    [
        "/stage/overeenkomst/ouder/not-a-token",
        "/account/wachtwoord/not-a-token",
        "/account/bevestigen/not-a-token",
        "/leerbedrijf/uitnodiging/not-a-token",
    ],
)
def test_pages_reached_through_a_mailed_link_are_never_cached(client, path):
    """A used or expired link must show the server's current answer, not a copy the browser kept
    (Chromium keeps a 410 without Cache-Control: found by the placement walk)."""
    response = client.get(path)
    assert "no-store" in response.headers.get("Cache-Control", ""), response.status_code

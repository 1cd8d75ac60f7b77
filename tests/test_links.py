"""Links that leave the site come from BASE_URL, never from the request's Host header; production
answers only to its own host names; redirects stay on the site; drafts stay with their company."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from stagematch import create_app
from stagematch.extensions import db
from stagematch.models import Application, Flag
from stagematch.models.enums import PlacementStatus
from stagematch.services.tokens import create_token
from stagematch.timeutil import today
from stagematch.urls import external_url, safe_next

EVIL = {"Host": "evil.example"}
ROOT = Path(__file__).resolve().parent.parent


def forged(client) -> dict:
    """Headers for a request with a forged Host; the test client keeps cookies per host, so the
    logged-in session is copied to that host."""
    cookie = client.get_cookie("session")
    if cookie is not None:
        client.set_cookie("session", cookie.value, domain="evil.example")
    return EVIL


def _links(body: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", body)


def _assert_links_on_base(app, body: str) -> None:
    links = _links(body)
    assert links, body
    assert "evil.example" not in body
    for link in links:
        assert link.startswith(app.config["BASE_URL"] + "/"), link


# --- links in mail and the API ---------------------------------------------------------------


def test_password_reset_mail_links_to_base_url_whatever_the_host(app, client, make, outbox):
    user = make.student()
    db.session.commit()
    response = client.post("/account/wachtwoord-vergeten", data={"email": user.email}, headers=EVIL)
    assert response.status_code == 302
    [mail] = outbox()
    body = mail.get_content()
    assert app.config["BASE_URL"] + "/account/wachtwoord/" in body
    _assert_links_on_base(app, body)


def test_application_and_offer_mails_link_to_base_url(app, client, auth, make, outbox):
    company = make.company()
    owner = make.company_user(company)
    place = make.placement(company, make.meester(company), title="Stage keuken")
    student = make.student()
    db.session.commit()
    auth.login(student)
    response = client.post(
        f"/plekken/{place.id}/solliciteren",
        data={"motivation": "Ik kook graag en wil het vak leren."},
        headers=forged(client),
    )
    assert response.status_code == 302
    [new] = [m for m in outbox() if owner.email in m["To"]]
    _assert_links_on_base(app, new.get_content())
    application = db.session.scalar(select(Application))

    auth.logout()
    auth.login(owner)
    respond_by = (today() + timedelta(days=7)).isoformat()
    response = client.post(
        f"/leerbedrijf/sollicitaties/{application.id}/aanbod",
        data={"respond_by": respond_by},
        headers=forged(client),
    )
    assert response.status_code == 302
    [offer] = [m for m in outbox() if student.email in m["To"]]
    _assert_links_on_base(app, offer.get_content())


def test_api_place_url_and_openapi_server_come_from_base_url(app, client, make):
    company = make.company()
    place = make.placement(company, make.meester(company))
    secret = create_token(make.student(), "test")[1]
    db.session.commit()
    headers = {**EVIL, "Authorization": f"Bearer {secret}"}
    data = client.get(f"/api/v1/places/{place.id}", headers=headers).get_json()
    assert data["url"] == f"{app.config['BASE_URL']}/plekken/{place.id}"
    listed = client.get("/api/v1/places", headers=headers).get_json()
    assert listed["items"][0]["url"] == data["url"]
    spec = client.get("/api/v1/openapi.json", headers=EVIL).get_json()
    assert spec["servers"] == [{"url": app.config["BASE_URL"] + "/api/v1"}]
    docs = client.get("/api/v1/docs", headers=EVIL).text
    assert "evil.example" not in docs


def test_external_url_works_outside_a_request_and_keeps_a_path_prefix(app):
    assert external_url("places.detail", placement_id=7) == app.config["BASE_URL"] + "/plekken/7"
    previous = app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://stagematch.example/regio/"
    try:
        with app.test_request_context("/", headers=EVIL):
            assert (
                external_url("students.applications", _anchor="sollicitatie-3")
                == "https://stagematch.example/regio/student/sollicitaties#sollicitatie-3"
            )
            assert (
                external_url("places.search_page", q="kok zwolle")
                == "https://stagematch.example/regio/plekken/?q=kok+zwolle"
            )
    finally:
        app.config["BASE_URL"] = previous


def test_no_link_is_built_from_the_request_host():
    """Every absolute link goes through external_url: `_external=True` builds from the Host header."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("stagematch", "templates")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".html", ".txt")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<!\w)_external\b|\bhost_url\b|\burl_root\b", line)
    ]
    assert offenders == []


# --- production: one base URL, trusted hosts -------------------------------------------------


def _production(tmp_path, **overrides):
    from stagematch.config import ProductionConfig

    settings = {
        "SECRET_KEY": "a-real-secret-from-the-environment",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_ALLOW_MEMORY": True,
        **overrides,
    }
    return create_app(ProductionConfig, settings)


@pytest.mark.parametrize("base", [None, "", "http://stagematch.example", "stagematch.example"])
def test_production_refuses_to_start_without_an_https_base_url(tmp_path, monkeypatch, base):
    monkeypatch.delenv("BASE_URL", raising=False)
    overrides = {} if base is None else {"BASE_URL": base}
    with pytest.raises(RuntimeError, match="BASE_URL"):
        _production(tmp_path, **overrides)


def test_production_answers_only_to_its_own_hosts(tmp_path):
    app = _production(
        tmp_path,
        BASE_URL="https://stagematch.example",
        TRUSTED_HOSTS=["stagematch-intern.local"],
    )
    assert app.config["TRUSTED_HOSTS"] == ["stagematch.example", "stagematch-intern.local"]
    client = app.test_client()
    forged = client.get("/privacy", headers=EVIL)
    assert forged.status_code == 400
    assert "evil.example" not in forged.text
    forged_reset = client.post(
        "/account/wachtwoord-vergeten", data={"email": "a@b.nl"}, headers=EVIL
    )
    assert forged_reset.status_code == 400
    assert client.get("/privacy", base_url="https://stagematch.example").status_code == 200
    assert client.get("/privacy", base_url="http://stagematch-intern.local").status_code == 200


# --- redirects stay on the site --------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/coordinator/signalen?toon=open", "/coordinator/signalen?toon=open"),
        ("https://evil.example/coordinator/x", "/standaard"),
        ("//evil.example/coordinator/x", "/standaard"),
        ("/\\evil.example", "/standaard"),
        ("/\t/evil.example", "/standaard"),
        ("javascript:alert(1)", "/standaard"),
        ("coordinator/x", "/standaard"),
        ("", "/standaard"),
        (None, "/standaard"),
        ("http://localhost/coordinator/stages?x=1", "/coordinator/stages?x=1"),
    ],
)
def test_safe_next(app, target, expected):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_next(target, "/standaard") == expected


def test_safe_next_can_keep_a_redirect_within_a_section(app):
    with app.test_request_context("/"):
        assert safe_next("/student/", "/d", within="/coordinator/") == "/d"
        assert (
            safe_next("/coordinator/stages", "/d", within="/coordinator/") == "/coordinator/stages"
        )


def _flag(coordinator) -> Flag:
    flag = Flag(
        school_id=coordinator.school_id, kind="no_place", subject_key="test", message="Geen plek"
    )
    db.session.add(flag)
    db.session.commit()
    return flag


def test_resolving_a_flag_never_redirects_to_another_site(client, auth, make):
    coordinator = make.coordinator()
    auth.login(coordinator)
    flag = _flag(coordinator)
    response = client.post(
        f"/coordinator/signalen/{flag.id}/afhandelen",
        data={"note": "Gebeld."},
        headers={"Referer": "https://evil.example/coordinator/x"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/coordinator/signalen"


def test_resolving_a_flag_returns_to_the_page_it_came_from(client, auth, make):
    coordinator = make.coordinator()
    auth.login(coordinator)
    flag = _flag(coordinator)
    response = client.post(
        f"/coordinator/signalen/{flag.id}/afhandelen",
        data={"note": "Gebeld."},
        headers={"Referer": "http://localhost/coordinator/signalen?soort=no_place"},
    )
    assert response.headers["Location"] == "/coordinator/signalen?soort=no_place"


def test_the_language_switch_stays_on_the_site(client):
    response = client.post("/taal", data={"taal": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


# --- drafts ----------------------------------------------------------------------------------


@pytest.fixture
def draft(make):
    company = make.company(name="Geheim Bouwbedrijf")
    owner = make.company_user(company)
    place = make.placement(
        company, make.meester(company), title="Geheime concepttitel", status=PlacementStatus.DRAFT,
        published_at=None, confirmed_at=None,
    )  # fmt: skip
    db.session.commit()
    return place, owner


def test_a_draft_is_not_found_for_anyone_outside_its_company(client, auth, make, draft):
    place, _owner = draft
    others = [None, make.student(), make.company_user(), make.coordinator()]
    db.session.commit()
    for user in others:
        if user is not None:
            auth.login(user)
        detail = client.get(f"/plekken/{place.id}")
        assert detail.status_code == 404, user
        apply = client.get(f"/plekken/{place.id}/solliciteren")  # login, 403, or (student) 404
        assert apply.status_code in (302, 403, 404), user
        for response in (detail, apply):
            assert "Geheime concepttitel" not in response.text
            assert "Geheim Bouwbedrijf" not in response.text
        if user is not None:
            auth.logout()


def test_a_draft_is_shown_to_its_company_and_to_admins(client, auth, make, draft):
    place, owner = draft
    admin = make.admin()
    db.session.commit()
    for user in (owner, admin):
        auth.login(user)
        response = client.get(f"/plekken/{place.id}")
        assert response.status_code == 200
        assert "Geheime concepttitel" in response.text
        auth.logout()


def test_a_closed_place_keeps_its_gone_page(client, make):
    company = make.company()
    place = make.placement(
        company, make.meester(company), title="Oude stage", status=PlacementStatus.CLOSED
    )
    db.session.commit()
    response = client.get(f"/plekken/{place.id}")
    assert response.status_code == 410 and "Oude stage" in response.text


def test_the_api_and_open_data_do_not_expose_drafts(client, make, draft):
    place, owner = draft
    stranger = create_token(make.company_user(), "x")[1]
    own = create_token(owner, "x")[1]
    db.session.commit()
    answer = client.get(
        f"/api/v1/places/{place.id}", headers={"Authorization": f"Bearer {stranger}"}
    )
    assert answer.status_code == 404 and "Geheime" not in answer.text
    mine = client.get(f"/api/v1/places/{place.id}", headers={"Authorization": f"Bearer {own}"})
    assert mine.status_code == 200
    for url in ("/api/v1/export/places.json", "/api/v1/export/places.csv", "/api/v1/statistics"):
        assert "Geheime concepttitel" not in client.get(url).text
    listed = client.get(
        "/api/v1/places", headers={"Authorization": f"Bearer {stranger}"}
    ).get_json()
    assert place.id not in [p["id"] for p in listed["items"]]

"""Role-based access for the foundation's pages: each role reaches its own home, no one else's."""

import pytest

from stagematch.extensions import db

HOMES = {
    "student": "/student/",
    "company": "/leerbedrijf/",
    "coordinator": "/coordinator/",
    "admin": "/beheer",
}


@pytest.fixture
def users(make):
    result = {
        "student": make.student(),
        "company": make.company_user(),
        "coordinator": make.coordinator(),
        "admin": make.admin(),
    }
    db.session.commit()
    return result


@pytest.mark.parametrize("role", list(HOMES))
@pytest.mark.parametrize("page_role", list(HOMES))
def test_each_role_sees_only_its_own_home(client, auth, users, role, page_role):
    auth.login(users[role])
    response = client.get(HOMES[page_role])
    expected = 200 if role == page_role else 403
    assert response.status_code == expected
    if expected == 403:
        assert "Geen toegang" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", list(HOMES))
def test_home_redirects_to_the_role_home(client, auth, users, role):
    auth.login(users[role])
    response = client.get("/home")
    assert response.headers["Location"] == HOMES[role]


@pytest.mark.parametrize("page", list(HOMES.values()) + ["/home"])
def test_anonymous_is_sent_to_login(client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert "/account/inloggen" in response.headers["Location"]


def test_public_pages_and_404(client):
    assert client.get("/").status_code == 200
    assert client.get("/account/registreren").status_code == 200
    missing = client.get("/bestaat-niet")
    assert missing.status_code == 404
    assert "Pagina niet gevonden" in missing.get_data(as_text=True)


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_logout_needs_post(client, auth, users):
    auth.login(users["student"])
    assert client.get("/account/uitloggen").status_code == 405
    assert client.get("/student/").status_code == 200

import pytest
from sqlalchemy import func, select

from stagematch.auth.routes import safe_next
from stagematch.extensions import db
from stagematch.models import Company, StudentProfile, User
from tests.conftest import PASSWORD


def _student_form(make, **overrides):
    q = make.qualification()
    data = {
        "name": "Sanne de Vries", "email": "sanne@example.nl", "password": "lekker-stagelopen",
        "password2": "lekker-stagelopen", "school": str(make.school().id), "qualification": q.crebo,
        "leerweg": "BOL", "town": "Enschede",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_student_registers_and_lands_on_their_home(client, make):
    response = client.post("/account/registreren/student", data=_student_form(make))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "sanne@example.nl"))
    assert user.role == "student"
    assert user.profile.city == "Enschede" and user.profile.lat is not None
    assert user.profile.level == make.qualification().level
    assert user.check_password("lekker-stagelopen")
    assert not user.password_hash.startswith("lekker")
    home = client.get("/home", follow_redirects=True)
    assert "Hoi Sanne" in home.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "geen-adres", "geen geldig e-mailadres"),
        ("password", "kort", "minstens 8 tekens"),
        ("password2", "iets-anders-123", "niet gelijk"),
        ("town", "Enschde", "Bedoel je Enschede"),
        ("qualification", "99999", "Deze opleiding kennen we niet"),
        ("school", "0", "Kies je school"),
        ("name", "", "Vul dit in"),
    ],
)
def test_bad_registration_input_comes_back_in_dutch_with_input_kept(
    client, make, field, value, message
):
    data = _student_form(make, **{field: value})
    response = client.post("/account/registreren/student", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert 'value="sanne@example.nl"' in page or field == "email"
    assert "Controleer dit nog even" in page
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_leerweg_the_qualification_does_not_offer_is_refused(client, make):
    from stagematch.models import Qualification

    bbl_only = db.session.scalars(
        select(Qualification).where(Qualification.leerwegen == "BBL")
    ).first()
    response = client.post(
        "/account/registreren/student",
        data=_student_form(make, qualification=bbl_only.crebo, leerweg="BOL"),
    )
    assert "kun je niet in de BOL volgen" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StudentProfile.id))) == 0


def test_duplicate_email_is_refused_without_a_500(client, make):
    make.user("student", email="sanne@example.nl", school=make.school())
    db.session.commit()
    response = client.post(
        "/account/registreren/student", data=_student_form(make, email="Sanne@Example.nl")
    )
    assert response.status_code == 200
    assert "Er is al een account met dit e-mailadres" in response.get_data(as_text=True)


def test_company_registers_with_its_leerbedrijf(client):
    data = {
        "name": "Henk Bakker", "email": "henk@bakkerij.nl", "password": "brood-en-banket",
        "password2": "brood-en-banket", "company_name": "Bakkerij Bakker", "kvk_number": "12345678",
        "town": "Rijssen", "sector": "Horeca en bakkerij", "size_band": "2-9",
    }  # fmt: skip
    from stagematch.reference import sectors

    data["sector"] = next(s for s in sectors() if s.startswith("Horeca"))
    response = client.post("/account/registreren/leerbedrijf", data=data)
    assert response.status_code == 302
    company = db.session.scalar(select(Company))
    assert company.name == "Bakkerij Bakker" and company.city == "Rijssen"
    assert client.get("/leerbedrijf/").status_code == 200


@pytest.mark.parametrize("kvk", ["1234567", "123456789", "1234abcd"])
def test_kvk_number_must_be_eight_digits(client, kvk):
    response = client.post(
        "/account/registreren/leerbedrijf", data={"kvk_number": kvk, "company_name": "X"}
    )
    page = response.get_data(as_text=True)
    assert "Een KvK-nummer is 8 cijfers" in page
    assert f'value="{kvk}"' in page


def test_login_logout_and_wrong_password(client, auth, make):
    user = make.student()
    bad = auth.login(user, "fout-wachtwoord")
    assert "passen niet bij elkaar" in bad.get_data(as_text=True)
    assert client.get("/student/").status_code == 302
    assert auth.login(user).status_code == 302
    assert client.get("/student/").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None
    auth.logout()
    assert client.get("/student/").status_code == 302


def test_inactive_account_cannot_log_in(client, auth, make):
    user = make.student()
    user.is_active_account = False
    response = auth.login(user)
    assert response.status_code == 200
    assert client.get("/student/").status_code == 302


def test_login_follows_only_local_next(client, make):
    user = make.student()
    db.session.commit()
    ok = client.post(
        "/account/inloggen?next=/student/", data={"email": user.email, "password": PASSWORD}
    )
    assert ok.headers["Location"] == "/student/"
    client.post("/account/uitloggen")
    evil = client.post(
        "/account/inloggen?next=https://evil.example/",
        data={"email": user.email, "password": PASSWORD},
    )
    assert evil.headers["Location"] == "/home"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/student/", "/student/"),
        ("https://evil.example/", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_remember_me_sets_a_lasting_cookie(client, make):
    user = make.student()
    db.session.commit()
    response = client.post(
        "/account/inloggen", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)

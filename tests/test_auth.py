import pytest
from sqlalchemy import func, select

from stagematch.auth.routes import safe_next
from stagematch.extensions import db
from stagematch.models import Company, StudentProfile, User
from tests.conftest import PASSWORD, mailed_link


def _student_form(make, **overrides):
    q = make.qualification()
    data = {
        "name": "Sanne de Vries", "email": "sanne@example.nl", "password": "lekker-stagelopen",
        "password2": "lekker-stagelopen", "school": str(make.school().id), "qualification": q.crebo,
        "leerweg": "BOL", "town": "Enschede",
    }  # fmt: skip
    data.update(overrides)
    return data


def _confirm(client, outbox, to: str):
    """Follow the confirmation link mailed to `to`: the page, then its button."""
    message = next(m for m in outbox() if m["To"] == to and "bevestig" in m["Subject"])
    link = mailed_link(message, "/account/bevestigen/")
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "Bevestigen en inloggen" in page.text
    return client.post("/" + path)


def test_student_registers_confirms_the_address_and_lands_on_their_home(client, make, outbox):
    response = client.post("/account/registreren/student", data=_student_form(make))
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/kijk-in-je-mail"
    assert "Kijk in je mail" in client.get("/account/kijk-in-je-mail").text
    user = db.session.scalar(select(User).where(User.email == "sanne@example.nl"))
    assert user.role == "student"
    assert user.profile.city == "Enschede" and user.profile.lat is not None
    assert user.profile.level == make.qualification().level
    assert user.check_password("lekker-stagelopen")
    assert not user.password_hash.startswith("lekker")
    # Not logged in, and the password alone does not log in before the address is confirmed.
    assert client.get("/student/").status_code == 302
    refused = client.post(
        "/account/inloggen", data={"email": "sanne@example.nl", "password": "lekker-stagelopen"}
    )
    assert "nog niet bevestigd" in refused.text and client.get("/student/").status_code == 302
    confirmed = _confirm(client, outbox, "sanne@example.nl")  # the first link still works
    assert confirmed.status_code == 302
    home = client.get("/home", follow_redirects=True)
    assert "Hoi Sanne" in home.text and "Vul nu je profiel aan" in home.text
    assert db.session.get(User, user.id).is_active_account


def test_the_confirmation_link_only_confirms_on_the_button_and_only_once(client, make, outbox):
    client.post("/account/registreren/student", data=_student_form(make))
    link = mailed_link(outbox()[0], "/account/bevestigen/")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    client.get(path)  # a mail scanner opening the link changes nothing
    user = db.session.scalar(select(User).where(User.email == "sanne@example.nl"))
    assert not user.is_active_account
    assert client.post(path).status_code == 302
    client.post("/account/uitloggen")
    again = client.post(path)  # not a login link: a second use logs no one in
    assert again.status_code == 200 and "al bevestigd" in again.text
    assert client.get("/student/").status_code == 302
    assert "werkt niet" in client.get("/account/bevestigen/knoeiwerk").text


def test_an_old_confirmation_link_no_longer_works(client, make, outbox, monkeypatch):
    from itsdangerous import TimestampSigner

    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 4 * 86400)
    client.post("/account/registreren/student", data=_student_form(make))
    monkeypatch.undo()
    link = mailed_link(outbox()[0], "/account/bevestigen/")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = client.post(path)
    assert page.status_code == 200 and "werkt niet (meer)" in page.text
    user = db.session.scalar(select(User).where(User.email == "sanne@example.nl"))
    assert not user.is_active_account


def test_logging_in_unconfirmed_with_the_right_password_mails_a_new_link(client, make, outbox):
    client.post("/account/registreren/student", data=_student_form(make))
    wrong = client.post(
        "/account/inloggen", data={"email": "sanne@example.nl", "password": "iets-anders-123"}
    )
    assert "passen niet bij elkaar" in wrong.text and len(outbox()) == 1
    right = client.post(
        "/account/inloggen", data={"email": "sanne@example.nl", "password": "lekker-stagelopen"}
    )
    assert right.status_code == 200 and "nieuwe link gestuurd" in right.text
    assert len(outbox()) == 2
    assert _confirm_latest(client, outbox).status_code == 302
    assert client.get("/student/").status_code == 200


def _confirm_latest(client, outbox):
    """The newest link: the first one's password hash is the same, so either works."""
    links = [mailed_link(m, "/account/bevestigen/") for m in outbox() if "bevestig" in m["Subject"]]
    assert len(links) == 2
    return client.post("/" + links[-1].split("://", 1)[1].split("/", 1)[1])


def test_a_password_reset_confirms_a_waiting_account_and_voids_the_registrants_password(
    client, make, outbox
):
    """Someone registered another person's address: the owner takes it over with a reset."""
    client.post("/account/registreren/student", data=_student_form(make))
    client.post("/account/wachtwoord-vergeten", data={"email": "sanne@example.nl"})
    [message] = [m for m in outbox() if "nieuw wachtwoord" in m["Subject"]]
    reset = mailed_link(message, "/account/wachtwoord/")
    path = "/" + reset.split("://", 1)[1].split("/", 1)[1]
    client.post(path, data={"password": "mijn-eigen-zin-42", "password2": "mijn-eigen-zin-42"})
    assert client.get("/student/").status_code == 200
    client.post("/account/uitloggen")
    squatter = client.post(
        "/account/inloggen", data={"email": "sanne@example.nl", "password": "lekker-stagelopen"}
    )
    assert "passen niet bij elkaar" in squatter.text


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


def _pbkdf2_calls(monkeypatch) -> list:
    """Every PBKDF2 run (the test configuration's password hash) from now on: the work a
    password check or a new hash costs, counted instead of timed."""
    import hashlib

    calls, real = [], hashlib.pbkdf2_hmac

    def counting(name, password, salt, iterations, *args):
        calls.append((name, iterations))
        return real(name, password, salt, iterations, *args)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counting)
    return calls


def test_registering_a_known_address_answers_like_a_new_one_and_mails_the_owner(
    client, make, outbox, monkeypatch
):
    owner = make.user("student", email="sanne@example.nl", school=make.school(), name="Sanne")
    db.session.commit()
    calls = _pbkdf2_calls(monkeypatch)
    known = client.post(
        "/account/registreren/student", data=_student_form(make, email="Sanne@Example.nl")
    )
    known_work = list(calls)
    calls.clear()
    new = client.post(
        "/account/registreren/student", data=_student_form(make, email="nieuw@example.nl")
    )
    assert (known.status_code, known.headers["Location"]) == (
        new.status_code,
        new.headers["Location"],
    )
    assert known_work == calls and len(calls) == 1  # the same hash work
    assert db.session.scalar(select(func.count(User.id))) == 2  # no second account for Sanne
    assert db.session.get(User, owner.id).check_password(PASSWORD)  # nor a changed password
    mails = {m["To"]: m for m in outbox()}
    assert "je hebt al een account" in mails["sanne@example.nl"]["Subject"]
    body = mails["sanne@example.nl"].get_content()
    assert "/account/inloggen" in body and "/account/wachtwoord-vergeten" in body
    assert "bevestig" in mails["nieuw@example.nl"]["Subject"]


def test_a_leerbedrijf_registering_a_known_address_gets_the_same_answer(client, make, outbox):
    make.student(name="Henk")
    user = db.session.scalar(select(User))
    db.session.commit()
    response = client.post(
        "/account/registreren/leerbedrijf", data=_company_form(email=user.email.upper())
    )
    assert response.headers["Location"] == "/account/kijk-in-je-mail"
    assert db.session.scalar(select(func.count(Company.id))) == 0
    assert "je hebt al een account" in outbox()[0]["Subject"]


def test_login_does_the_same_hash_work_for_unknown_addresses(client, make, monkeypatch):
    user = make.student()
    db.session.commit()
    client.post("/account/inloggen", data={"email": "warm@up.nl", "password": "x"})  # dummy hash
    calls = _pbkdf2_calls(monkeypatch)
    client.post("/account/inloggen", data={"email": user.email, "password": "fout-wachtwoord"})
    known = list(calls)
    calls.clear()
    client.post("/account/inloggen", data={"email": "niemand@nergens.nl", "password": "fout"})
    assert known == calls and len(calls) == 1


@pytest.mark.parametrize("password", ["welkom123", "Welkom123!", "voetbal2026", "wachtwoord"])
def test_common_dutch_passwords_are_refused_with_the_input_kept(client, make, password):
    data = _student_form(make, password=password, password2=password)
    response = client.post("/account/registreren/student", data=data)
    page = response.text
    assert response.status_code == 200
    assert "Dit wachtwoord wordt heel vaak gebruikt" in page
    assert 'value="sanne@example.nl"' in page and 'value="Sanne de Vries"' in page
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_dutch_word_inside_a_longer_password_is_fine():
    from stagematch.passwords import is_common_password

    assert not is_common_password("welkom-op-mijn-stage")
    assert not is_common_password("goed-wachtwoord-123")
    assert is_common_password("Zomer2026!") and is_common_password("ajax1900")


def _company_form(**overrides):
    from stagematch.reference import sectors

    data = {
        "name": "Henk Bakker", "email": "henk@bakkerij.nl", "password": "brood-en-banket",
        "password2": "brood-en-banket", "company_name": "Bakkerij Bakker", "kvk_number": "12345678",
        "town": "Rijssen", "sector": next(s for s in sectors() if s.startswith("Horeca")),
        "size_band": "2-9",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_company_registers_with_its_leerbedrijf(client, outbox):
    response = client.post("/account/registreren/leerbedrijf", data=_company_form())
    assert response.headers["Location"] == "/account/kijk-in-je-mail"
    company = db.session.scalar(select(Company))
    assert company.name == "Bakkerij Bakker" and company.city == "Rijssen"
    assert client.get("/leerbedrijf/").status_code == 302
    _confirm(client, outbox, "henk@bakkerij.nl")
    page = client.get("/leerbedrijf/")
    assert page.status_code == 200


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

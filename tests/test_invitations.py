"""Colleague invitations: an invitation is not an account, the link is signed and lives 7 days,
limits stop mass mailing, and nothing tells the inviter whether an address has an account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import AuditEvent, CompanyInvitation, User
from stagematch.models.enums import Role
from stagematch.services import companies as company_service

NEW_PASSWORD = "collega-wachtwoord-42"


def _invite(client, email: str, name: str = "Nieuwe Collega", **headers):
    return client.post(
        "/leerbedrijf/collegas", data={"col-name": name, "col-email": email}, headers=headers
    )


def _invite_link(outbox, email: str) -> str:
    mails = [m for m in outbox() if email in m["To"]]
    assert mails, f"no mail to {email}"
    return re.search(r"https?://\S+/leerbedrijf/uitnodiging/\S+", mails[-1].get_content()).group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _accept(client, link: str, **data):
    form = {"name": "Fatma Yilmaz", "password": NEW_PASSWORD, "password2": NEW_PASSWORD, **data}
    return client.post(_path(link), data=form)


def _users(email: str) -> list[User]:
    return list(db.session.scalars(select(User).where(User.email == email)))


def test_an_invitation_makes_no_account_and_mails_a_link_on_base_url(
    app, client, company_user, outbox
):
    # A forged Host header (the test client keeps the session cookie per host).
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")
    response = _invite(client, "fatma@bedrijf.nl", Host="evil.example")
    assert response.status_code == 302
    assert _users("fatma@bedrijf.nl") == []
    invitation = db.session.scalar(select(CompanyInvitation))
    assert invitation.email == "fatma@bedrijf.nl" and invitation.open
    assert invitation.company_id == company_user.company_id
    assert invitation.invited_by_id == company_user.id
    link = _invite_link(outbox, "fatma@bedrijf.nl")
    assert link.startswith(app.config["BASE_URL"] + "/leerbedrijf/uitnodiging/")
    [mail] = outbox()
    assert "evil.example" not in mail.get_content()
    assert company_user.company.name in mail.get_content()


def test_the_invited_address_can_still_register_as_a_student(
    client, auth, make, company_user, outbox
):
    _invite(client, "sanne@example.nl")
    auth.logout()
    q = make.qualification()
    response = client.post("/account/registreren/student", data={
        "name": "Sanne de Vries", "email": "sanne@example.nl", "password": "lekker-stagelopen",
        "password2": "lekker-stagelopen", "school": str(make.school().id), "qualification": q.crebo,
        "leerweg": "BOL", "town": "Enschede",
    })  # fmt: skip
    assert response.status_code == 302
    [user] = _users("sanne@example.nl")
    assert user.role == "student"


def test_accepting_shows_the_company_and_makes_the_account(client, auth, company_user, outbox):
    _invite(client, "fatma@bedrijf.nl", name="Fatma")
    link = _invite_link(outbox, "fatma@bedrijf.nl")
    auth.logout()
    page = client.get(_path(link))
    assert page.status_code == 200
    assert company_user.company.name in page.text and 'value="Fatma"' in page.text
    response = _accept(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/leerbedrijf/"
    [user] = _users("fatma@bedrijf.nl")
    assert user.role == "company" and user.company_id == company_user.company_id
    assert user.name == "Fatma Yilmaz" and user.check_password(NEW_PASSWORD)
    assert client.get("/leerbedrijf/").status_code == 200  # logged in as the new colleague
    invitation = db.session.scalar(select(CompanyInvitation))
    db.session.refresh(invitation)
    assert invitation.accepted_at is not None and not invitation.open
    # The link is used up.
    auth.logout()
    again = client.get(_path(link))
    assert again.status_code == 410 and "werkt niet meer" in again.text
    assert _accept(client, link).status_code == 410
    assert len(_users("fatma@bedrijf.nl")) == 1


def test_a_weak_or_mismatched_password_keeps_the_form(client, auth, company_user, outbox):
    _invite(client, "fatma@bedrijf.nl")
    link = _invite_link(outbox, "fatma@bedrijf.nl")
    auth.logout()
    response = _accept(client, link, password="kort", password2="kort")
    assert response.status_code == 422
    assert "Controleer dit nog even" in response.text and 'value="Fatma Yilmaz"' in response.text
    response = _accept(client, link, password2="iets-anders-123")
    assert response.status_code == 422 and "niet gelijk" in response.text
    assert _users("fatma@bedrijf.nl") == []


def test_an_address_that_got_an_account_meanwhile_gets_a_clear_message(
    client, auth, make, company_user, outbox
):
    _invite(client, "fatma@bedrijf.nl")
    link = _invite_link(outbox, "fatma@bedrijf.nl")
    auth.logout()
    make.user(Role.STUDENT, email="fatma@bedrijf.nl", school=make.school())
    db.session.commit()
    page = client.get(_path(link))
    assert "Er is al een StageMatch-account met dit e-mailadres" in page.text
    assert "<form" not in page.text.split("<main", 1)[1].split("</main>")[0]
    response = _accept(client, link)
    assert "Er is al een StageMatch-account met dit e-mailadres" in response.text
    assert len(_users("fatma@bedrijf.nl")) == 1


def test_a_logged_in_visitor_is_asked_to_log_out_first(client, auth, make, company_user, outbox):
    _invite(client, "fatma@bedrijf.nl")
    link = _invite_link(outbox, "fatma@bedrijf.nl")
    page = client.get(_path(link))
    assert "Log eerst uit" in page.text
    _accept(client, link)
    assert _users("fatma@bedrijf.nl") == []


def _days_later(monkeypatch, days: float) -> None:
    """Links are checked as if `days` had passed (itsdangerous reads the clock itself)."""
    import time
    import types

    import itsdangerous.timed

    later = time.time() + days * 24 * 3600
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: later))


def test_a_link_older_than_seven_days_or_forged_does_not_work(
    client, auth, company_user, outbox, monkeypatch
):
    _invite(client, "oud@bedrijf.nl")
    link = _invite_link(outbox, "oud@bedrijf.nl")
    auth.logout()
    _days_later(monkeypatch, 6.9)
    assert client.get(_path(link)).status_code == 200
    _days_later(monkeypatch, 7.1)
    assert client.get(_path(link)).status_code == 410
    assert _accept(client, link).status_code == 410
    forged = _path(link).rsplit("/", 1)[0] + "/eyJpbnZpdGF0aW9uIjoxfQ.abc.def"
    assert client.get(forged).status_code == 410
    assert _users("oud@bedrijf.nl") == []


def test_a_revoked_invitation_is_listed_no_more_and_its_link_dies(
    client, auth, company_user, outbox
):
    _invite(client, "fatma@bedrijf.nl")
    link = _invite_link(outbox, "fatma@bedrijf.nl")
    invitation = db.session.scalar(select(CompanyInvitation))
    page = client.get("/leerbedrijf/collegas").text
    assert "fatma@bedrijf.nl" in page and "Intrekken" in page
    response = client.post(f"/leerbedrijf/collegas/uitnodigingen/{invitation.id}/intrekken")
    assert response.status_code == 302
    db.session.refresh(invitation)
    assert invitation.revoked_at is not None
    listed = client.get("/leerbedrijf/collegas").text.split('id="uitnodigingen"')[1]
    assert "fatma@bedrijf.nl" not in listed.split("</article>")[0]
    auth.logout()
    assert client.get(_path(link)).status_code == 410


def test_another_company_cannot_revoke(client, auth, make, company_user, outbox):
    _invite(client, "fatma@bedrijf.nl")
    invitation = db.session.scalar(select(CompanyInvitation))
    auth.logout()
    auth.login(make.company_user())
    response = client.post(f"/leerbedrijf/collegas/uitnodigingen/{invitation.id}/intrekken")
    assert response.status_code == 403
    db.session.refresh(invitation)
    assert invitation.open


def test_inviting_the_same_address_again_resends_instead_of_duplicating(
    client, company_user, outbox
):
    _invite(client, "fatma@bedrijf.nl", name="Fatma")
    _invite(client, "Fatma@Bedrijf.nl", name="Fatma Yilmaz")
    [invitation] = db.session.scalars(select(CompanyInvitation)).all()
    assert invitation.name == "Fatma Yilmaz"
    assert len([m for m in outbox() if "fatma@bedrijf.nl" in m["To"]]) == 2


def test_at_most_ten_open_invitations_with_the_input_kept(client, company_user, outbox):
    for n in range(10):
        assert _invite(client, f"collega{n}@bedrijf.nl").status_code == 302
    response = _invite(client, "elfde@bedrijf.nl", name="Elfde Collega")
    assert response.status_code == 422
    assert "Er staan al 10 uitnodigingen open" in response.text
    assert 'value="elfde@bedrijf.nl"' in response.text and 'value="Elfde Collega"' in response.text
    assert db.session.scalar(select(func.count(CompanyInvitation.id))) == 10
    assert not [m for m in outbox() if "elfde@bedrijf.nl" in m["To"]]
    # Sending an open one again is still possible, and a revoked one frees a place.
    assert _invite(client, "collega0@bedrijf.nl").status_code == 302
    first = db.session.scalar(
        select(CompanyInvitation).where(CompanyInvitation.email == "collega1@bedrijf.nl")
    )
    client.post(f"/leerbedrijf/collegas/uitnodigingen/{first.id}/intrekken")
    assert _invite(client, "elfde@bedrijf.nl").status_code == 302


def test_at_most_twenty_invitation_mails_a_day(client, company_user, outbox):
    for n in range(4):
        _invite(client, f"collega{n}@bedrijf.nl")
    invitations = db.session.scalars(select(CompanyInvitation)).all()
    for invitation in invitations:  # revoked: the open limit is not what stops the next ones
        client.post(f"/leerbedrijf/collegas/uitnodigingen/{invitation.id}/intrekken")
    for n in range(4, 20):
        assert _invite(client, f"collega{n}@bedrijf.nl").status_code == 302
        if n % 5 == 0:
            for invitation in company_service.open_invitations(company_user.company):
                client.post(f"/leerbedrijf/collegas/uitnodigingen/{invitation.id}/intrekken")
    sent = len(outbox())
    response = _invite(client, "teveel@bedrijf.nl", name="Te Veel")
    assert response.status_code == 422
    assert "Je hebt vandaag al 20 uitnodigingen verstuurd" in response.text
    assert 'value="teveel@bedrijf.nl"' in response.text
    # Sending again counts too: no mail bombing one address.
    response = _invite(client, "collega19@bedrijf.nl")
    assert response.status_code == 422
    assert len(outbox()) == sent == 20
    # A day later there is room again.
    for event in db.session.scalars(select(AuditEvent)):
        event.at -= timedelta(days=1, minutes=1)
    db.session.commit()
    assert _invite(client, "teveel@bedrijf.nl").status_code == 302


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client, make, company_user, outbox
):
    make.user(Role.STUDENT, email="bestaat@example.nl", school=make.school())
    db.session.commit()

    def answer(email: str) -> tuple[int, str]:
        response = _invite(client, email)
        page = client.get(response.headers["Location"]).text
        flash = re.search(r'<p class="flash[^>]*>(.*?)</p>', page).group(1)
        return response.status_code, flash.replace(email, "ADRES")

    assert answer("bestaat@example.nl") == answer("nieuw@example.nl")
    assert len(_users("bestaat@example.nl")) == 1


def test_the_profile_page_links_to_the_colleagues_page(client, company_user):
    page = client.get("/leerbedrijf/bedrijf").text
    assert 'href="/leerbedrijf/collegas"' in page
    colleagues = client.get("/leerbedrijf/collegas").text
    assert company_user.email in colleagues


@pytest.mark.parametrize("email", ["", "geen-adres", "a@" + "b" * 260 + ".nl"])
def test_a_bad_address_keeps_the_form(client, company_user, email):
    response = _invite(client, email, name="Naam Collega")
    assert response.status_code == 422 and 'value="Naam Collega"' in response.text
    assert db.session.scalar(select(func.count(CompanyInvitation.id))) == 0


def test_login_with_the_invited_password_works(client, auth, company_user, outbox):
    _invite(client, "fatma@bedrijf.nl")
    link = _invite_link(outbox, "fatma@bedrijf.nl")
    auth.logout()
    _accept(client, link)
    auth.logout()
    assert auth.login("fatma@bedrijf.nl", NEW_PASSWORD).status_code == 302
    assert client.get("/leerbedrijf/").status_code == 200


def test_two_invitations_at_once_cannot_pass_the_open_limit_together(app, make, outbox):
    from stagematch.models import Company
    from tests.conftest import OK, REFUSED, run_together

    company = make.company()
    for n in range(company_service.MAX_OPEN_INVITATIONS - 1):
        db.session.add(CompanyInvitation(company_id=company.id, email=f"c{n}@bedrijf.nl", name="C"))
    db.session.commit()
    company_id = company.id

    def invite(email: str):
        return lambda: company_service.invite_colleague(
            db.session.get(Company, company_id), name="Nieuw", email=email
        )

    outcomes = run_together(app, [invite("een@bedrijf.nl"), invite("twee@bedrijf.nl")])
    assert sorted(outcomes) == [OK, REFUSED]
    db.session.expire_all()
    count = select(func.count(CompanyInvitation.id)).where(
        CompanyInvitation.company_id == company_id
    )
    assert db.session.scalar(count) == company_service.MAX_OPEN_INVITATIONS

"""Issue 21, item 7: the administrator finds users and companies, switches them off and on, removes
them (students through the AVG erase path), sends invitations again, and sees the mail log and the
failed jobs. Every action is a POST from a confirmation page and is audited; names are escaped.

A deactivated company's places disappear from every path a student uses (search, home, the place
page, the API, applying, allocation rounds) through the one home of the rules, and its users
cannot log in."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from stagematch import mailer, tasks
from stagematch.extensions import db
from stagematch.jobs import huey
from stagematch.matching import eligibility as rules
from stagematch.models import (
    Application,
    AuditEvent,
    Company,
    CompanyInvitation,
    Internship,
    Job,
    MailLog,
    Mentor,
    Placement,
    User,
)
from stagematch.services import allocation_rounds as rounds
from stagematch.services.eligibility import place_clause, profile_clause
from stagematch.services.privacy import DELETED_NAME
from stagematch.services.tokens import create_token
from stagematch.timeutil import today, utcnow
from tests.conftest import PASSWORD, mailed_link

HOSTILE = "Bakkerij Van Dijk <script>alert(1)</script>"
CONFIRM = {"bevestigd": "ja"}


@pytest.fixture
def admin(make, auth):
    user = make.admin()
    auth.login(user)
    return user


def _page(response) -> str:
    return response.get_data(as_text=True)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _login(app, user) -> object:
    """A separate browser, logged in as `user`."""
    other = app.test_client()
    db.session.commit()
    response = other.post("/account/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and "/account/inloggen" not in response.location
    return other


# --- finding users and companies ---------------------------------------------------------------


def test_users_are_found_by_name_or_email_and_filtered_by_role_and_state(client, make, admin):
    fatma = make.student(name="Fatma Yilmaz")
    fatma.email = "fatma@school.nl"
    piet = make.user("company", company=make.company(), name="Piet Bakker", email="piet@bakker.nl")
    away = make.student(name="Sem Weg")
    away.is_active_account = False
    db.session.commit()

    page = _page(client.get("/beheer/gebruikers?q=yilmaz"))
    assert "Fatma Yilmaz" in page and "Piet Bakker" not in page
    page = _page(client.get("/beheer/gebruikers?q=bakker.nl"))
    assert "Piet Bakker" in page and "Fatma Yilmaz" not in page
    page = _page(client.get("/beheer/gebruikers?rol=company"))
    assert "Piet Bakker" in page and "Fatma Yilmaz" not in page
    page = _page(client.get("/beheer/gebruikers?status=uitgezet"))
    assert "Sem Weg" in page and "Fatma Yilmaz" not in page
    page = _page(client.get("/beheer/gebruikers?status=actief&rol=student"))
    assert "Fatma Yilmaz" in page and "Sem Weg" not in page and "Piet Bakker" not in page
    assert f"/beheer/gebruikers/{fatma.id}" in page
    # Whatever arrives in the query string: no 500, the filter is simply not applied.
    for query in ("q=" + "x" * 10_000, "rol=koning", "status=%00", "page=abc", "page=99999999999"):
        assert client.get(f"/beheer/gebruikers?{query}").status_code == 200, query
    assert piet.id


def test_the_user_list_is_paginated(client, make, admin):
    for n in range(1, 31):
        make.student(name=f"Leerling {n:02d}")
    db.session.commit()
    first = _page(client.get("/beheer/gebruikers?rol=student"))
    assert "Leerling 01" in first and "Leerling 30" not in first
    assert 'rel="next"' in first
    second = _page(client.get("/beheer/gebruikers?rol=student&page=2"))
    assert "Leerling 30" in second and "Leerling 01" not in second


def test_companies_are_found_by_name_kvk_or_city_and_paginated(client, make, admin):
    make.company(name="Bakkerij Van Dijk", town="Hengelo")
    garage = make.company(name="Garage Snel", town="Zwolle")
    db.session.commit()
    page = _page(client.get("/beheer/bedrijven?q=van+dijk"))
    assert "Bakkerij Van Dijk" in page and "Garage Snel" not in page
    page = _page(client.get(f"/beheer/bedrijven?q={garage.kvk_number}"))
    assert "Garage Snel" in page and "Bakkerij Van Dijk" not in page
    page = _page(client.get("/beheer/bedrijven?q=zwolle"))
    assert "Garage Snel" in page and "Bakkerij Van Dijk" not in page
    for n in range(1, 30):
        make.company(name=f"Zaak {n:02d}")
    db.session.commit()
    first = _page(client.get("/beheer/bedrijven?q=zaak"))
    assert "Zaak 01" in first and "Zaak 29" not in first and 'rel="next"' in first
    assert "Zaak 29" in _page(client.get("/beheer/bedrijven?q=zaak&page=2"))
    for query in ("q=" + "%" * 5000, "status=weg", "page=-1"):
        assert client.get(f"/beheer/bedrijven?{query}").status_code == 200, query


def test_hostile_names_are_escaped_on_every_admin_page(client, make, admin):
    company = make.company(name=HOSTILE)
    user = make.user("company", company=company, name=HOSTILE)
    invitation = CompanyInvitation(company_id=company.id, email="nieuw@bakkerij.nl", name=HOSTILE)
    db.session.add(invitation)
    db.session.commit()
    mailer.send(user.email, HOSTILE, "password_reset", user=user, link="http://x/<script>")
    db.session.add(Job(id="f" * 32, kind="student_import", status="failed", message=HOSTILE))
    db.session.commit()
    urls = [
        "/beheer/gebruikers", f"/beheer/gebruikers?q={user.email}", f"/beheer/gebruikers/{user.id}",
        f"/beheer/gebruikers/{user.id}/uitzetten", f"/beheer/gebruikers/{user.id}/verwijderen",
        "/beheer/bedrijven", f"/beheer/bedrijven/{company.id}", f"/beheer/bedrijven/{company.id}/uitzetten",
        f"/beheer/bedrijven/{company.id}/verwijderen", f"/beheer/uitnodigingen/{invitation.id}/opnieuw",
        "/beheer/mail", "/beheer/taken",
    ]  # fmt: skip
    for url in urls:
        response = client.get(url)
        page = _page(response)
        assert response.status_code == 200, url
        assert "<script>alert(1)" not in page, url
        assert "&lt;script&gt;alert(1)" in page, url


# --- users: switching off and on, removing -------------------------------------------------------


def test_deactivating_a_user_is_confirmed_ends_their_sessions_and_is_audited(
    app, client, make, admin
):
    student = make.student(name="Fatma Yilmaz")
    db.session.commit()
    browser = _login(app, student)
    assert browser.get("/student/").status_code == 200
    version = student.session_version

    # The detail page links to a confirmation page; neither a GET nor a POST without the
    # confirmation changes anything.
    assert f"/beheer/gebruikers/{student.id}/uitzetten" in _page(
        client.get(f"/beheer/gebruikers/{student.id}")
    )
    confirm = client.get(f"/beheer/gebruikers/{student.id}/uitzetten")
    assert confirm.status_code == 200 and 'name="bevestigd"' in _page(confirm)
    assert client.post(f"/beheer/gebruikers/{student.id}/uitzetten").status_code == 200
    db.session.refresh(student)
    assert student.is_active_account and _events("user.deactivate") == []

    response = client.post(f"/beheer/gebruikers/{student.id}/uitzetten", data=CONFIRM)
    assert response.status_code == 302 and response.location.endswith(
        f"/beheer/gebruikers/{student.id}"
    )
    db.session.refresh(student)
    assert not student.is_active_account and student.session_version > version
    # The open session has ended; logging in again is refused with a reason.
    assert "/account/inloggen" in browser.get("/student/").location
    refused = app.test_client().post(
        "/account/inloggen", data={"email": student.email, "password": PASSWORD}
    )
    assert refused.status_code == 200 and "uitgezet" in _page(refused)
    [event] = _events("user.deactivate")
    assert event.actor_id == admin.id and event.object_id == student.id

    response = client.post(f"/beheer/gebruikers/{student.id}/aanzetten", data=CONFIRM)
    assert response.status_code == 302
    db.session.refresh(student)
    assert student.is_active_account
    assert _login(app, student).get("/student/").status_code == 200
    assert [e.actor_id for e in _events("user.reactivate")] == [admin.id]


def test_an_unconfirmed_account_switched_off_cannot_switch_itself_on_with_its_link(
    app, client, make, admin, outbox
):
    # Registered, never confirmed: inactive, never logged in. Switched off by the administrator,
    # the confirmation link (or a new one) must not turn it on again.
    from stagematch.reference import sectors

    client.post("/account/uitloggen")
    form = {"name": "Nep Bakker", "email": "nep@bakker.nl", "password": "een-goed-wachtwoord",
            "password2": "een-goed-wachtwoord", "company_name": "Nep", "kvk_number": "87654321",
            "town": "Enschede", "sector": next(s for s in sectors() if s.startswith("Horeca")),
            "size_band": "2-9"}  # fmt: skip
    response = client.post("/account/registreren/leerbedrijf", data=form)
    assert response.status_code == 302, _page(response)
    link = mailed_link(outbox()[-1], "/account/bevestigen/")
    user = db.session.scalar(select(User).where(User.email == "nep@bakker.nl"))
    auth_admin = _login(app, admin)
    assert (
        auth_admin.post(f"/beheer/gebruikers/{user.id}/uitzetten", data=CONFIRM).status_code == 302
    )
    path = "/" + link.split("/", 3)[3]
    app.test_client().post(path)
    db.session.refresh(user)
    assert not user.is_active_account
    refused = app.test_client().post(
        "/account/inloggen", data={"email": user.email, "password": "een-goed-wachtwoord"}
    )
    assert refused.status_code == 200
    db.session.refresh(user)
    assert not user.is_active_account


def test_an_administrator_cannot_switch_off_or_remove_their_own_account(client, admin):
    for action in ("uitzetten", "verwijderen"):
        page = _page(client.get(f"/beheer/gebruikers/{admin.id}/{action}"))
        assert 'name="bevestigd"' not in page and "eigen account" in page
        response = client.post(f"/beheer/gebruikers/{admin.id}/{action}", data=CONFIRM)
        assert response.status_code == 302
        db.session.refresh(admin)
        assert admin.is_active_account and admin.name != DELETED_NAME
    assert client.get("/beheer").status_code == 200


def test_an_unknown_action_is_not_found(client, make, admin):
    company = make.company()
    db.session.commit()
    for url in (f"/beheer/gebruikers/{admin.id}/publiceren", f"/beheer/bedrijven/{company.id}/²",
                f"/beheer/bedrijven/{company.id}/uitnodiging", "/beheer/uitnodigingen/999999/opnieuw"):  # fmt: skip
        assert client.get(url).status_code == 404, url
        assert client.post(url, data=CONFIRM).status_code == 404, url


def test_removing_a_student_goes_through_the_avg_erase_path(app, client, make, admin):
    student = make.student(name="Noor Bakker", motivation="Ik wil graag leren.")
    company = make.company()
    place = make.placement(company, make.meester(company))
    application = Application(student=student.profile, placement=place, motivation="Mijn motivatie")
    db.session.add(application)
    db.session.commit()
    email = student.email

    page = _page(client.get(f"/beheer/gebruikers/{student.id}/verwijderen"))
    assert "Noor Bakker" in page and 'name="bevestigd"' in page
    response = client.post(f"/beheer/gebruikers/{student.id}/verwijderen", data=CONFIRM)
    assert response.status_code == 302
    db.session.expire_all()
    assert student.name == DELETED_NAME and student.email != email
    assert not student.is_active_account and student.profile.motivation == ""
    # What the school keeps stays: the application, without the student's words.
    kept = db.session.get(Application, application.id)
    assert kept is not None and kept.motivation == ""
    [event] = _events("student.delete")
    assert event.actor_id == admin.id
    assert (
        app.test_client()
        .post("/account/inloggen", data={"email": email, "password": PASSWORD})
        .status_code
        == 200
    )  # refused: the form again
    # A removed account cannot be switched on again.
    assert 'name="bevestigd"' not in _page(client.get(f"/beheer/gebruikers/{student.id}/aanzetten"))
    client.post(f"/beheer/gebruikers/{student.id}/aanzetten", data=CONFIRM)
    db.session.refresh(student)
    assert not student.is_active_account


def test_removing_a_company_user_erases_their_name_and_address_from_the_log(
    app, client, make, admin
):
    company = make.company()
    piet = make.user("company", company=company, name="Piet Bakker", email="piet@bakker.nl")
    db.session.commit()
    _login(app, piet).post("/account/overal-uitloggen")  # an audit event with Piet as actor
    assert db.session.scalar(select(func.count()).where(AuditEvent.actor_label.contains("piet@")))
    response = client.post(f"/beheer/gebruikers/{piet.id}/verwijderen", data=CONFIRM)
    assert response.status_code == 302
    db.session.expire_all()
    assert piet.name == DELETED_NAME and "piet" not in piet.email and not piet.is_active_account
    assert not db.session.scalar(
        select(func.count()).where(AuditEvent.actor_label.contains("piet@"))
    )
    assert [e.actor_id for e in _events("user.delete")] == [admin.id]


# --- companies: switching off -------------------------------------------------------------------


@pytest.fixture
def bakery(make):
    """A student in Hengelo and an open place at a bakery in Enschede that the rules allow her."""
    q = make.qualification()
    student = make.student(qualification=q, name="Fatma Yilmaz")
    company = make.company(qualifications=[q], name="Bakkerij Van Dijk")
    meester = make.meester(company)
    place = make.placement(company, meester, title="Broodbakken bij Van Dijk")
    owner = make.user("company", company=company, name="Piet Bakker")
    coordinator = make.coordinator(school=student.profile.school)
    db.session.commit()
    return dict(q=q, student=student, company=company, place=place, owner=owner,
                coordinator=coordinator)  # fmt: skip


def _deactivate(client, company) -> None:
    response = client.post(f"/beheer/bedrijven/{company.id}/uitzetten", data=CONFIRM)
    assert response.status_code == 302, _page(response)
    db.session.expire_all()


def test_the_rules_and_their_sql_leave_out_a_deactivated_companys_places(bakery):
    from stagematch.ranking import load_places

    place, company, profile = bakery["place"], bakery["company"], bakery["student"].profile

    def allowed_by_sql(clause) -> set[int]:
        return set(db.session.scalars(select(Placement.id).where(clause)))

    [data] = load_places([place.id])
    assert data.company_active and rules.place_reasons(data, on=today()) == []
    assert place.id in allowed_by_sql(place_clause()) and place.id in allowed_by_sql(
        profile_clause(profile)
    )
    company.deactivated_at = utcnow()
    db.session.commit()
    [data] = load_places([place.id])
    assert not data.company_active
    assert rules.COMPANY_INACTIVE in rules.place_reasons(data, on=today())
    assert place.id not in allowed_by_sql(place_clause())
    assert place.id not in allowed_by_sql(profile_clause(profile))


def test_a_deactivated_companys_places_leave_search_home_place_page_and_api(
    app, client, make, admin, bakery
):
    title, place = bakery["place"].title, bakery["place"]
    student = bakery["student"]
    browser = _login(app, student)
    token = create_token(student, "test")[1]
    headers = {"Authorization": f"Bearer {token}"}
    visitor = app.test_client()
    # Before: everywhere.
    assert title in _page(visitor.get("/plekken/"))
    assert title in _page(browser.get("/plekken/"))
    assert title in _page(browser.get("/student/"))
    assert visitor.get(f"/plekken/{place.id}").status_code == 200
    assert place.id in [
        p["id"] for p in client.get("/api/v1/places", headers=headers).json["items"]
    ]
    assert client.get(f"/api/v1/places/{place.id}", headers=headers).status_code == 200
    matches = client.get(f"/api/v1/students/{student.profile.id}/matches", headers=headers).json
    assert place.id in [m["place_id"] for m in matches["items"]]
    assert place.id in [r["id"] for r in client.get("/api/v1/export/places.json").json["places"]]

    _deactivate(client, bakery["company"])
    assert bakery["company"].deactivated_at is not None
    assert title not in _page(visitor.get("/plekken/"))
    assert title not in _page(browser.get("/plekken/?q=broodbakken"))
    assert title not in _page(browser.get("/student/"))
    assert visitor.get(f"/plekken/{place.id}").status_code == 410
    assert browser.get(f"/plekken/{place.id}").status_code == 410
    assert place.id not in [
        p["id"] for p in client.get("/api/v1/places", headers=headers).json["items"]
    ]
    assert client.get(f"/api/v1/places/{place.id}", headers=headers).status_code == 404
    matches = client.get(f"/api/v1/students/{student.profile.id}/matches", headers=headers).json
    assert place.id not in [m["place_id"] for m in matches["items"]]
    assert place.id not in [
        r["id"] for r in client.get("/api/v1/export/places.json").json["places"]
    ]
    # Applying is refused by the same rule.
    response = browser.post(
        f"/plekken/{place.id}/solliciteren", data={"motivation": "Ik bak graag brood."}
    )
    assert db.session.scalar(select(func.count(Application.id))) == 0, _page(response)


def test_a_deactivated_companys_places_leave_the_public_counts(client, make, admin, bakery):
    """The front page's "Nu 1 open plek", the public statistics and the API's statistics count
    only places students can see."""
    seats = bakery["place"].seats
    company = bakery["company"]
    closed = make.placement(company, make.meester(company), title="Oude plek")
    closed.status = "closed"  # neither a closed nor a draft place counts
    db.session.commit()
    assert "Nu 1 open plek." in _page(client.get("/"))
    before = client.get("/api/v1/statistics").json["qualifications"]
    assert sum(q["seats_offered"] for q in before) == seats
    _deactivate(client, bakery["company"])
    assert "Nu 0 open plekken." in _page(client.get("/"))
    after = client.get("/api/v1/statistics").json["qualifications"]
    assert sum(q["seats_offered"] for q in after) == 0
    assert f"<strong>{seats}</strong> plaatsen aangeboden" not in _page(client.get("/statistieken"))


def test_a_deactivated_companys_places_leave_allocation_rounds(client, make, admin, bakery):
    profile, place = bakery["student"].profile, bakery["place"]

    def open_round(name):
        return rounds.open_round(
            school=profile.school, name=name, closes_on=today() + timedelta(days=7), max_choices=3,
            cohort=rounds.Cohort(qualification_id=bakery["q"].id), created_by=bakery["coordinator"],
        )  # fmt: skip

    round_ = open_round("Voor het uitzetten")
    assert [p.placement_id for p in round_.places] == [place.id]
    assert [pid for pid, _ in rounds.student_options(round_, profile)] == [place.id]
    round_id = round_.id
    _deactivate(client, bakery["company"])
    round_ = db.session.get(type(round_), round_id)
    assert rounds.student_options(round_, profile) == []
    summary = rounds.compute(round_)
    assert summary.assigned == 0
    rounds.delete_round(round_)
    assert [p.placement_id for p in open_round("Na het uitzetten").places] == []


def test_a_deactivated_companys_users_cannot_log_in_and_their_sessions_end(
    app, client, admin, bakery
):
    owner = bakery["owner"]
    browser = _login(app, owner)
    assert browser.get("/leerbedrijf/").status_code == 200
    token = create_token(owner, "koppeling")[1]
    page = _page(client.get(f"/beheer/bedrijven/{bakery['company'].id}/uitzetten"))
    assert "Broodbakken bij Van Dijk" in page or "1 plek" in page  # what disappears is named
    _deactivate(client, bakery["company"])
    assert "/account/inloggen" in browser.get("/leerbedrijf/").location
    refused = app.test_client().post(
        "/account/inloggen", data={"email": owner.email, "password": PASSWORD}
    )
    assert refused.status_code == 200 and "uitgezet" in _page(refused)
    assert (
        client.get(
            "/api/v1/company/places", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    [event] = _events("company.deactivate")
    assert event.actor_id == admin.id and event.object_id == bakery["company"].id


def test_reactivating_a_company_brings_its_places_and_users_back(app, client, admin, bakery):
    _deactivate(client, bakery["company"])
    response = client.post(f"/beheer/bedrijven/{bakery['company'].id}/aanzetten", data=CONFIRM)
    assert response.status_code == 302
    db.session.expire_all()
    assert bakery["company"].deactivated_at is None
    assert bakery["place"].title in _page(app.test_client().get("/plekken/"))
    assert _login(app, bakery["owner"]).get("/leerbedrijf/").status_code == 200
    assert len(_events("company.reactivate")) == 1


# --- companies: removing ------------------------------------------------------------------------


def test_removing_a_fake_company_removes_its_places_mentors_and_users(client, make, admin):
    fake = make.company(name=HOSTILE)
    meester = make.meester(fake)
    place = make.placement(fake, meester)
    owner = make.user("company", company=fake)
    student = make.student()
    db.session.add(Application(student=student.profile, placement=place))
    db.session.add(CompanyInvitation(company_id=fake.id, email="x@nep.nl", name="X"))
    db.session.commit()
    ids = dict(company=fake.id, place=place.id, meester=meester.id, owner=owner.id)

    page = _page(client.get(f"/beheer/bedrijven/{fake.id}/verwijderen"))
    assert 'name="bevestigd"' in page and "&lt;script&gt;" in page and "<script>alert" not in page
    assert (
        client.post(f"/beheer/bedrijven/{fake.id}/verwijderen").status_code == 200
    )  # not confirmed
    assert db.session.get(Company, ids["company"]) is not None
    response = client.post(f"/beheer/bedrijven/{fake.id}/verwijderen", data=CONFIRM)
    assert response.status_code == 302 and response.location.endswith("/beheer/bedrijven")
    db.session.expire_all()
    assert db.session.get(Company, ids["company"]) is None
    assert db.session.get(Placement, ids["place"]) is None
    assert db.session.get(Mentor, ids["meester"]) is None
    assert db.session.get(User, ids["owner"]) is None
    assert db.session.get(User, student.id) is not None  # the applicant stays
    [event] = _events("company.delete")
    assert event.actor_id == admin.id and event.object_id == ids["company"]
    assert "Bakkerij Van Dijk" in event.detail  # the log says what was removed
    assert client.get(f"/beheer/bedrijven/{ids['company']}").status_code == 404


def test_a_company_with_internships_cannot_be_removed_only_switched_off(client, make, admin):
    company = make.company(name="Echte Bakkerij")
    place = make.placement(company, make.meester(company))
    student = make.student()
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    from stagematch.services import applications as application_service

    application_service.accept(application.id)
    page = _page(client.get(f"/beheer/bedrijven/{company.id}/verwijderen"))
    assert 'name="bevestigd"' not in page and "stage" in page
    response = client.post(f"/beheer/bedrijven/{company.id}/verwijderen", data=CONFIRM)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Company, company.id) is not None
    assert db.session.scalar(select(func.count(Internship.id))) == 1
    assert _events("company.delete") == []


# --- invitations ------------------------------------------------------------------------------


def _imported_student(make) -> User:
    """A student as the CSV import makes them: no password until they choose one."""
    student = make.student(name="Sanne Import")
    student.password_hash = "!" + "0" * 48
    db.session.commit()
    return student


def test_resending_a_students_invitation_mails_a_working_set_password_link(
    app, client, make, admin, outbox
):
    student = _imported_student(make)
    detail = _page(client.get(f"/beheer/gebruikers/{student.id}"))
    assert f"/beheer/gebruikers/{student.id}/uitnodiging" in detail
    assert client.get(f"/beheer/gebruikers/{student.id}/uitnodiging").status_code == 200
    assert outbox() == []
    response = client.post(f"/beheer/gebruikers/{student.id}/uitnodiging", data=CONFIRM)
    assert response.status_code == 302
    [mail] = outbox()
    assert mail["To"] == student.email
    link = mailed_link(mail, "/account/wachtwoord/")
    assert link.startswith(app.config["BASE_URL"])
    path = "/" + link.split("/", 3)[3]
    chosen = "een-nieuw-wachtwoord-1"
    response = app.test_client().post(path, data={"password": chosen, "password2": chosen})
    assert response.status_code == 302
    assert [e.actor_id for e in _events("user.invite_resend")] == [admin.id]


def test_a_student_with_a_password_gets_no_invitation(client, make, admin, outbox):
    student = make.student()
    db.session.commit()
    assert f"/beheer/gebruikers/{student.id}/uitnodiging" not in _page(
        client.get(f"/beheer/gebruikers/{student.id}")
    )
    client.post(f"/beheer/gebruikers/{student.id}/uitnodiging", data=CONFIRM)
    assert outbox() == [] and _events("user.invite_resend") == []


def test_resending_a_colleague_invitation_renews_it_and_mails_the_link(
    app, client, make, admin, outbox
):
    company = make.company(name="Bakkerij Van Dijk")
    invitation = CompanyInvitation(company_id=company.id, email="fatma@bakkerij.nl", name="Fatma",
                                   created_at=utcnow() - timedelta(days=6))  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    detail = _page(client.get(f"/beheer/bedrijven/{company.id}"))
    assert (
        "fatma@bakkerij.nl" in detail and f"/beheer/uitnodigingen/{invitation.id}/opnieuw" in detail
    )
    response = client.post(f"/beheer/uitnodigingen/{invitation.id}/opnieuw", data=CONFIRM)
    assert response.status_code == 302
    [mail] = outbox()
    assert mail["To"] == "fatma@bakkerij.nl" and "Bakkerij Van Dijk" in mail.get_content()
    link = mailed_link(mail, "/leerbedrijf/uitnodiging/")
    db.session.refresh(invitation)
    assert invitation.created_at > utcnow() - timedelta(minutes=1)
    assert app.test_client().get("/" + link.split("/", 3)[3]).status_code == 200
    assert [e.actor_id for e in _events("colleague.invite_resend")] == [admin.id]


# --- the mail log ---------------------------------------------------------------------------------


def test_every_queued_mail_is_logged_and_marked_sent(make, outbox):
    user = make.student()
    db.session.commit()
    assert mailer.send(user.email, "hallo", "password_reset", user=user, link="http://x/y")
    [row] = db.session.scalars(select(MailLog)).all()
    assert (row.recipients, row.subject, row.template) == (
        user.email,
        "StageMatch: hallo",
        "password_reset",
    )
    assert (row.status, row.attempts, row.error) == ("sent", 1, "")
    assert row.sent_at is not None


def test_a_mail_sent_while_the_caller_writes_is_logged_without_waiting(make, outbox):
    # The caller's transaction holds a write (on SQLite: the one write lock): the log must not wait
    # for it, and the log row stays with the caller's work.
    user = make.student()  # flushed, not committed
    started = time.monotonic()
    assert mailer.send(user.email, "hallo", "password_reset", user=user, link="http://x/y")
    assert time.monotonic() - started < 5
    db.session.commit()
    [row] = db.session.scalars(select(MailLog)).all()
    assert row.status == "sent" and len(outbox()) == 1


def test_a_failing_mail_server_is_logged_per_attempt_until_failed(app, make, outbox, monkeypatch):
    user = make.student()
    db.session.commit()
    state = app.extensions["mailman"]
    monkeypatch.setattr(state, "backend", "smtp")
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", _closed_port())
    assert mailer.send(user.email, "hallo", "password_reset", user=user, link="http://x/y")
    [row] = db.session.scalars(select(MailLog)).all()
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("queued", 1) and row.error
    later = huey._get_timestamp() + timedelta(days=2)
    while retries := huey.read_schedule(later):
        (retry,) = retries
        assert retry.kwargs.get("log_id") == row.id
        huey.execute(retry, later)
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("failed", len(mailer.RETRY_DELAYS) + 1)
    assert "Connection" in row.error or "refused" in row.error.lower()
    assert outbox() == []


def test_a_mail_sent_directly_because_the_queue_is_away_is_logged(make, outbox, monkeypatch):
    user = make.student()
    db.session.commit()

    def queue_away(task):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(huey, "enqueue", queue_away)
    assert mailer.send(user.email, "hallo", "password_reset", user=user, link="http://x/y")
    [row] = db.session.scalars(select(MailLog)).all()
    assert (row.status, row.attempts) == ("sent", 1) and len(outbox()) == 1


def test_a_failure_to_write_the_log_never_stops_the_mail(make, outbox, monkeypatch):
    user = make.student()
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("the log table is away")

    monkeypatch.setattr(mailer, "_write_log", broken)
    assert mailer.send(user.email, "hallo", "password_reset", user=user, link="http://x/y")
    assert [m["To"] for m in outbox()] == [user.email]
    assert user.id and db.session.scalar(select(func.count(User.id))) == 1  # caller's work intact


def test_the_mail_log_page_filters_failed_and_searches_recipients(client, make, admin):
    now = utcnow()
    for n in range(30):
        db.session.add(MailLog(recipients=f"leerling{n:02d}@school.nl", subject=f"Onderwerp {n:02d}",
                               template="notification", status="sent", attempts=1,
                               created_at=now - timedelta(minutes=n), sent_at=now))  # fmt: skip
    db.session.add(MailLog(recipients="kapot@bakkerij.nl", subject="Mislukt bericht", template="x",
                           status="failed", attempts=6, error="SMTP 550 mailbox unavailable",
                           created_at=now - timedelta(days=1)))  # fmt: skip
    db.session.commit()
    page = _page(client.get("/beheer/mail"))
    assert "Onderwerp 00" in page and "Onderwerp 29" not in page and 'rel="next"' in page
    page = _page(client.get("/beheer/mail?status=mislukt"))
    assert "kapot@bakkerij.nl" in page and "SMTP 550" in page and "leerling00" not in page
    page = _page(client.get("/beheer/mail?aan=leerling07"))
    assert "Onderwerp 07" in page and "Onderwerp 08" not in page
    assert client.get("/beheer/mail?aan=" + "%" * 3000 + "&status=raar&page=x").status_code == 200


def test_the_nightly_cleanup_removes_mail_log_rows_older_than_90_days(make):
    now = utcnow()
    old = MailLog(
        recipients="a@b.nl", subject="oud", status="sent", created_at=now - timedelta(days=91)
    )
    recent = MailLog(
        recipients="a@b.nl", subject="recent", status="failed", created_at=now - timedelta(days=89)
    )
    db.session.add_all([old, recent])
    db.session.commit()
    tasks.nightly_cleanup.call_local()
    db.session.expire_all()
    assert [r.subject for r in db.session.scalars(select(MailLog))] == ["recent"]


# --- failed jobs ----------------------------------------------------------------------------------


def test_failed_jobs_are_listed_first_with_their_message(client, make, admin):
    owner = make.coordinator()
    now = utcnow()
    db.session.add_all([
        Job(id="1" * 32, kind="student_import", owner_id=owner.id, status="done", created_at=now),
        Job(id="2" * 32, kind="student_import", owner_id=owner.id, status="failed", created_at=now - timedelta(days=2),
            message="Er is niets opgeslagen: 3 regel(s) kloppen niet."),
        Job(id="3" * 32, kind="model_train", status="running", created_at=now - timedelta(hours=1)),
    ])  # fmt: skip
    db.session.commit()
    page = _page(client.get("/beheer/taken"))
    assert page.index("2" * 32) < page.index("1" * 32) and page.index("2" * 32) < page.index(
        "3" * 32
    )
    assert "3 regel(s) kloppen niet" in page and owner.name in page
    page = _page(client.get("/beheer/taken?status=mislukt"))
    assert "2" * 32 in page and "1" * 32 not in page
    assert client.get("/taken/" + "2" * 32).status_code == 200  # the admin opens the job itself


# --- the admin home and small screens -------------------------------------------------------------


def test_the_admin_home_links_to_every_admin_page(client, admin):
    page = _page(client.get("/beheer"))
    for url in ("/beheer/gebruikers", "/beheer/bedrijven", "/beheer/mail", "/beheer/taken",
                "/beheer/logboek", "/beheer/model"):  # fmt: skip
        assert f'href="{url}"' in page, url


class _Tables(HTMLParser):
    """Tables and whether each sits in a box of its own that scrolls (class table-scroll)."""

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.tables: list[bool] = []

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            self.stack.append("table-scroll" in (dict(attrs).get("class") or ""))
        elif tag == "table":
            self.tables.append(any(self.stack))

    def handle_endtag(self, tag):
        if tag == "div" and self.stack:
            self.stack.pop()


def test_admin_tables_scroll_inside_their_own_box(client, make, admin):
    company = make.company()
    user = make.user("company", company=company)
    db.session.add(CompanyInvitation(company_id=company.id, email="c@d.nl", name="C"))
    db.session.add(MailLog(recipients="a@b.nl", subject="x", status="failed", error="kapot"))
    db.session.add(Job(id="9" * 32, kind="model_train", status="failed"))
    db.session.commit()
    for url in ("/beheer", "/beheer/gebruikers", f"/beheer/gebruikers/{user.id}", "/beheer/bedrijven",
                f"/beheer/bedrijven/{company.id}", "/beheer/mail", "/beheer/taken"):  # fmt: skip
        parser = _Tables()
        parser.feed(_page(client.get(url)))
        assert parser.tables and all(parser.tables), url


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_confirmation_pages_post_back_with_the_csrf_token(app, make):
    user = make.student()
    admin = make.admin()
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browser = app.test_client()
        with browser.session_transaction() as session:
            session["_user_id"] = admin.get_id()
        page = _page(browser.get(f"/beheer/gebruikers/{user.id}/uitzetten"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, page
        assert (
            browser.post(f"/beheer/gebruikers/{user.id}/uitzetten", data=CONFIRM).status_code == 400
        )
        response = browser.post(f"/beheer/gebruikers/{user.id}/uitzetten",
                                data={**CONFIRM, "csrf_token": token.group(1)})  # fmt: skip
        assert response.status_code == 302
        db.session.refresh(user)
        assert not user.is_active_account
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

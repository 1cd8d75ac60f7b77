"""Verified accreditations: the administrator's import of SBB's register of leerbedrijven, the
coordinator's check of one accreditation, and what companies, coordinators and students see."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Accreditation, Application, AuditEvent, Flag, School
from stagematch.models.enums import PlacementStatus
from stagematch.services.flags import refresh_flags
from stagematch.services.placements import publish_problems
from stagematch.templating import format_date
from stagematch.timeutil import today, utcnow

HEADER = "leerbedrijf-ID;naam;plaats;crebo;geldig vanaf;geldig tot"


def _upload(client, text: str | bytes, name: str = "register.csv"):
    content = text.encode() if isinstance(text, str) else text
    return client.post("/beheer/sbb-register", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")  # fmt: skip


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _company(make, sbb_id: str | None, **fields):
    company = make.company(**fields)
    company.sbb_id = sbb_id
    db.session.flush()
    return company


def _deltion() -> School:
    return db.session.scalar(select(School).where(School.name == "Deltion College"))


def _dutch_date(app, value) -> str:
    with app.test_request_context():
        return format_date(value)


@pytest.fixture
def admin(make, auth):
    user = make.admin()
    auth.login(user)
    return user


# --- the administrator's import --------------------------------------------------------------


def test_import_verifies_accreditations_that_lie_within_the_register(client, make, admin):
    q = make.qualification()
    company = _company(make, "100001", qualifications=[q])
    own = company.accreditations[0]  # from a year ago, open-ended
    bounded = Accreditation(qualification=make.qualification("25180"), valid_from=today() - timedelta(days=30),
                            valid_to=today() + timedelta(days=300))  # fmt: skip
    company.accreditations.append(bounded)
    outsider = _company(make, None)  # not in the register: left as it is
    db.session.commit()
    start = (today() - timedelta(days=800)).strftime("%d-%m-%Y")  # DD-MM-YYYY is accepted too
    end = (today() + timedelta(days=400)).isoformat()
    text = _csv(
        f"100001;{company.name};Enschede;{q.crebo};{start};",
        f"100001;{company.name};Enschede;25180;{(today() - timedelta(days=60)).isoformat()};{end}",
        f"999999;Onbekend BV;Zwolle;{q.crebo};2020-01-01;",
    )
    response = _upload(client, text)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 erkenningen gecontroleerd" in page
    assert "1 onbekend leerbedrijf-ID." in page
    db.session.expire_all()
    for accreditation in (own, bounded):
        accreditation = db.session.get(Accreditation, accreditation.id)
        assert accreditation.verification == "verified"
        assert accreditation.check_source == "sbb_register"
        assert accreditation.checked_by_id == admin.id
        assert accreditation.checked_at is not None
    assert db.session.get(Accreditation, outsider.accreditations[0].id).verification == "declared"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sbb_register.import"))
    assert event is not None and '"verified": 2' in event.detail


def test_comma_separated_register_with_english_headers(client, make, admin):
    q = make.qualification()
    company = _company(make, "200002", qualifications=[q])
    db.session.commit()
    text = _csv(f'200002,"Bakkerij, de Korenbloem",Hengelo,{q.crebo},2020-01-01,',
                header="leerbedrijf-id,name,place,crebo,valid from,valid to")  # fmt: skip
    assert _upload(client, text).status_code == 302
    db.session.expire_all()
    assert db.session.get(Accreditation, company.accreditations[0].id).verification == "verified"


def test_contradiction_rejects_with_a_note_and_no_longer_counts(app, client, make, admin):
    q, other = make.qualification(), make.qualification("25180")
    company = _company(make, "300003", qualifications=[q, other])
    claimed, beyond = company.accreditations  # q: not in the register; other: open-ended
    meester = make.meester(company)
    place = make.placement(company, meester, qualification=q, status=PlacementStatus.DRAFT)
    # A student of ROC van Twente applied to the company: its coordinators see the rejection.
    student = make.student()
    open_place = make.placement(company, meester, qualification=other)
    db.session.add(Application(student=student.profile, placement=open_place))
    db.session.commit()
    until = today() + timedelta(days=100)
    text = _csv(f"300003;{company.name};Enschede;25180;2020-01-01;{until.isoformat()}")
    assert _upload(client, text).status_code == 302
    db.session.expire_all()
    claimed = db.session.get(Accreditation, claimed.id)
    beyond = db.session.get(Accreditation, beyond.id)
    assert claimed.verification == "rejected" and claimed.check_source == "sbb_register"
    assert q.crebo in claimed.check_note and "noemt" in claimed.check_note
    assert beyond.verification == "rejected"
    assert until.strftime("%d-%m-%Y") in beyond.check_note
    assert not claimed.is_current(today())
    place = db.session.get(type(place), place.id)
    problems = [p.message for p in publish_problems(place)]
    assert any("geen geldige erkenning" in m for m in problems)
    # The flag queue of the school whose student applied shows it; another school's does not.
    refresh_flags(student.profile.school)
    messages = [
        f.message
        for f in db.session.scalars(select(Flag).where(Flag.school_id == student.profile.school_id))
    ]
    assert any("afgekeurd" in m and q.crebo in m for m in messages), messages
    refresh_flags(_deltion())
    assert not db.session.scalars(select(Flag).where(Flag.school_id == _deltion().id)).all()


@pytest.mark.parametrize(
    "row, reason",
    [
        ("400004;X;Enschede;{crebo};31-02-2024;", "geen geldige datum"),
        ("400004;X;Enschede;99999;2024-01-01;", "crebo 99999 bestaat niet"),
        ("400004;" + "x" * 201 + ";Enschede;{crebo};2024-01-01;", "langer dan 200 tekens"),
        ("400004;X;Enschede;{crebo};2024-01-01;2023-01-01", "vóór"),
        (";X;Enschede;{crebo};2024-01-01;", "leerbedrijf-ID ontbreekt"),
    ],
)
def test_a_bad_row_writes_nothing_and_is_reported(client, make, admin, row, reason):
    q = make.qualification()
    good = _company(make, "400001", qualifications=[q])
    db.session.commit()
    text = _csv(f"400001;{good.name};Enschede;{q.crebo};2020-01-01;", row.format(crebo=q.crebo))
    response = _upload(client, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Er is niets opgeslagen" in page
    assert reason in page
    assert "<td>3</td>" in page  # the bad row is line 3 of the file
    db.session.expire_all()
    assert db.session.get(Accreditation, good.accreditations[0].id).verification == "declared"
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sbb_register.import"))
        is None
    )


def test_not_utf8_and_too_many_rows_are_refused(client, make, admin):
    response = _upload(client, _csv("500001;Café Ü;Enschede;25180;2020-01-01;").encode("cp1252"))
    assert response.status_code == 422
    assert "UTF-8" in response.get_data(as_text=True)
    # Short rows keep the upload under 500 kB (larger ones the test client spools to a file it
    # never closes); the row count is checked before the rows themselves.
    rows = ["1;;;;;"] * 50_001
    response = _upload(client, _csv(*rows))
    assert response.status_code == 422
    assert "50.000" in response.get_data(as_text=True)


def test_only_an_administrator_imports(client, make, auth):
    page = client.get("/beheer/sbb-register")
    assert page.status_code == 302 and "/account/inloggen" in page.headers["Location"]
    for user in (make.coordinator(), make.company_user()):
        auth.login(user)
        assert client.get("/beheer/sbb-register").status_code == 403
        assert _upload(client, _csv("1;X;Enschede;25180;2020-01-01;")).status_code == 403
        auth.logout()
    auth.login(make.admin())
    page = client.get("/beheer")
    assert "/beheer/sbb-register" in page.get_data(as_text=True)
    assert client.get("/beheer/sbb-register").status_code == 200


# --- the coordinator's check -----------------------------------------------------------------


def _applied_company(make):
    """A company without open places where a student of ROC van Twente applied."""
    company = make.company()
    place = make.placement(company, make.meester(company), status=PlacementStatus.CLOSED)
    db.session.add(Application(student=make.student().profile, placement=place))
    db.session.commit()
    return company


def test_coordinator_marks_an_accreditation_checked(app, client, make, auth):
    company = _applied_company(make)
    coordinator = make.coordinator()
    auth.login(coordinator)
    accreditation = company.accreditations[0]
    page = client.get("/coordinator/erkenningen").get_data(as_text=True)
    assert company.name in page
    assert "nog niet gecontroleerd" in page and "Klopt" in page and "Afkeuren" in page
    response = client.post(
        f"/coordinator/erkenningen/{accreditation.id}/controleren", data={"verdict": "verified"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    accreditation = db.session.get(Accreditation, accreditation.id)
    assert accreditation.verification == "verified"
    assert (
        accreditation.check_source == "coordinator"
        and accreditation.checked_by_id == coordinator.id
    )
    page = client.get(f"/coordinator/bedrijven/{company.id}/erkenningen").get_data(as_text=True)
    assert (
        f"gecontroleerd door {coordinator.name} op {_dutch_date(app, accreditation.checked_at)}"
        in page
    )


def test_companies_list_shows_the_status_and_the_buttons(client, make, auth):
    from stagematch.services import applications as application_service

    company = make.company(name="Stagebedrijf Noord")
    place = make.placement(company, make.meester(company, capacity=3))
    application = Application(student=make.student().profile, placement=place)
    db.session.add(application)
    db.session.commit()
    application_service.accept(application.id)
    auth.login(make.coordinator())
    page = client.get("/coordinator/bedrijven").get_data(as_text=True)
    assert "Stagebedrijf Noord" in page
    assert "nog niet gecontroleerd" in page and "Klopt" in page and "Afkeuren" in page
    assert f"/coordinator/erkenningen/{company.accreditations[0].id}/controleren" in page


def test_coordinator_rejects_only_with_a_note(client, make, auth):
    company = _applied_company(make)
    auth.login(make.coordinator())
    accreditation = company.accreditations[0]
    url = f"/coordinator/erkenningen/{accreditation.id}/controleren"
    client.post(url, data={"verdict": "rejected", "note": ""})
    db.session.expire_all()
    assert db.session.get(Accreditation, accreditation.id).verification == "declared"
    client.post(
        url, data={"verdict": "rejected", "note": "Niet te vinden in het register van SBB."}
    )
    db.session.expire_all()
    accreditation = db.session.get(Accreditation, accreditation.id)
    assert accreditation.verification == "rejected"
    assert accreditation.check_note == "Niet te vinden in het register van SBB."
    page = client.get(f"/coordinator/bedrijven/{company.id}/erkenningen").get_data(as_text=True)
    assert "afgekeurd: Niet te vinden in het register van SBB." in page


def test_other_schools_coordinator_is_refused(client, make, auth):
    company = _applied_company(make)
    accreditation = company.accreditations[0]
    auth.login(make.coordinator(_deltion()))
    response = client.post(
        f"/coordinator/erkenningen/{accreditation.id}/controleren", data={"verdict": "verified"}
    )
    assert response.status_code == 403
    assert client.get(f"/coordinator/bedrijven/{company.id}/erkenningen").status_code == 403
    db.session.expire_all()
    assert db.session.get(Accreditation, accreditation.id).verification == "declared"


def test_an_open_place_alone_does_not_let_any_school_decide_on_the_accreditation(
    client, make, auth
):
    # A rejection stops the company from publishing: only a school that works with it decides.
    company = make.company()
    make.placement(company, make.meester(company))  # open
    db.session.commit()
    auth.login(make.coordinator(_deltion()))
    response = client.post(f"/coordinator/erkenningen/{company.accreditations[0].id}/controleren",
                           data={"verdict": "rejected", "note": "niet in het register"})  # fmt: skip
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Accreditation, company.accreditations[0].id).verification == "declared"


def test_coordinator_home_counts_unchecked_and_links_to_the_list(client, make, auth):
    company = _applied_company(make)
    company.accreditations.append(Accreditation(qualification=make.qualification("25180"),
                                                valid_from=date(2020, 1, 1), verification="verified"))  # fmt: skip
    unrelated = make.company(name="Ver Weg BV")  # no student of the school: not counted
    db.session.commit()
    auth.login(make.coordinator())
    page = client.get("/coordinator/").get_data(as_text=True)
    assert "Erkenningen nog niet gecontroleerd (1)" in page
    assert "/coordinator/erkenningen?status=declared" in page
    listing = client.get("/coordinator/erkenningen?status=declared").get_data(as_text=True)
    assert company.name in listing and unrelated.name not in listing
    # The relationship has no order: pick the declared one by its state, not by position.
    declared = next(a for a in company.accreditations if a.verification == "declared")
    assert declared.qualification.crebo in listing
    assert "25180" not in listing  # the verified one is filtered out


# --- what the company and the student see ----------------------------------------------------


def test_company_sees_the_status_of_each_accreditation(client, make, auth):
    q1, q2, q3 = make.qualification(), make.qualification("25180"), make.qualification("25181")
    company = make.company(qualifications=[q1, q2, q3])
    declared, verified, rejected = company.accreditations
    verified.verification, verified.check_source = "verified", "sbb_register"
    verified.checked_at = utcnow()
    rejected.verification, rejected.check_note = "rejected", "SBB noemt deze crebo niet."
    user = make.company_user(company)
    auth.login(user)
    page = client.get("/leerbedrijf/bedrijf").get_data(as_text=True)
    assert "nog niet gecontroleerd" in page
    assert "gecontroleerd op" in page
    assert "afgekeurd: SBB noemt deze crebo niet." in page


def test_company_adds_an_accreditation_as_declared(client, make, auth):
    user = make.company_user()
    auth.login(user)
    client.post(
        "/leerbedrijf/erkenningen",
        data={"acc-qualification": "25180", "acc-valid_from": "2024-01-01"},
    )
    db.session.expire_all()
    added = [a for a in user.company.accreditations if a.qualification.crebo == "25180"]
    assert added and added[0].verification == "declared"


def test_place_page_shows_whether_the_accreditation_was_checked(app, client, make):
    company = make.company()
    place = make.placement(company, make.meester(company))
    db.session.commit()
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert "erkenning nog niet gecontroleerd" in page
    accreditation = company.accreditations[0]
    accreditation.verification, accreditation.check_source = "verified", "sbb_register"
    checked = accreditation.checked_at = utcnow() - timedelta(days=3)
    db.session.commit()
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    # The day in Amsterdam (between 23:00 and 24:00 UTC that is the next day's date).
    assert f"erkend door SBB, gecontroleerd op {_dutch_date(app, checked)}" in page
    assert "nog niet gecontroleerd" not in page


def test_a_new_leerbedrijf_id_undoes_what_the_register_confirmed(make):
    from stagematch import geo
    from stagematch.services import companies as company_service

    company = make.company()
    company.sbb_id = "100200300"
    accreditation = company.accreditations[0]
    accreditation.verification, accreditation.check_source = "verified", "sbb_register"
    db.session.commit()
    company_service.update_profile(
        company, name=company.name, kvk_number=company.kvk_number, sbb_id="999888777",
        town=geo.find_town(company.city), sector=company.sector, size_band=company.size_band, description="",
    )  # fmt: skip
    db.session.refresh(accreditation)
    assert (accreditation.verification, accreditation.check_source) == ("declared", None)

"""Adults and zij-instromers (issue 18, item 2): registering without a school, work experience
and what they can already do (EVC), the school's confirmation, places "ook voor zij-instromers"
with the adult minimum wage, and hiring first with the school chosen later."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from stagematch.demo_adults import SWITCHERS
from stagematch.extensions import db
from stagematch.models import (
    AgreementVersion,
    Application,
    AuditEvent,
    DiscriminationReport,
    EvcClaim,
    Internship,
    Notification,
    Objection,
    Placement,
    School,
    StudentProfile,
    User,
    WorkProcess,
)
from stagematch.models.enums import Leerweg
from stagematch.services import adults
from stagematch.services import applications as application_service
from stagematch.timeutil import today
from stagematch.wages import ADULT, minimum_wage
from tests.conftest import PASSWORD

BIRTH = date(today().year - 35, 6, 1)


def _login(client, user) -> None:
    client.post("/account/uitloggen")
    db.session.commit()
    response = client.post("/account/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.text


def _switcher(make, **profile) -> User:
    """A zij-instromer without a school, 35, in BBL."""
    user = make.student(leerweg=Leerweg.BBL, birth_date=BIRTH, **profile)
    user.school = None
    user.profile.school = None
    user.profile.work_experience = "Twaalf jaar monteur bij een garage."
    user.profile.work_experience_years = 12
    db.session.flush()
    return user


def _adult_pay(hours: float, start: date) -> int:
    return math.ceil(minimum_wage(ADULT, max(start, today())).monthly(hours))


@pytest.fixture
def world(make):
    qualification = make.qualification()
    company = make.company(qualifications=[qualification], name="Smederij Hamer")
    owner = make.company_user(company)
    meester = make.meester(company, capacity=3)
    start = today() + timedelta(days=30)
    place = make.placement(
        company, meester, leerweg=Leerweg.BBL, days_per_week=4, hours_per_week=32,
        pay_per_month=_adult_pay(32, start), wage_age=ADULT, title="Smid in opleiding",
        for_switchers=True, start_date=start,
    )  # fmt: skip
    school = make.school()
    other = db.session.scalar(select(School).where(School.id != school.id).order_by(School.id))
    coordinator = make.coordinator(school)
    stranger = make.coordinator(other)
    switcher = _switcher(make, qualification=qualification)
    db.session.commit()
    return dict(company=company, owner=owner, meester=meester, place=place, school=school,
                other=other, coordinator=coordinator, stranger=stranger, switcher=switcher,
                qualification=qualification)  # fmt: skip


def _hire(world) -> Internship:
    application = application_service.apply(
        student=world["switcher"].profile,
        placement=world["place"],
        motivation="Ik wil smid worden.",
    )
    return application_service.accept(application.id)


# --- registration -------------------------------------------------------------------------------


def _form(make, **overrides) -> dict:
    data = {
        "name": "Karin Bos", "email": "karin@example.nl", "password": "nieuw-vak-leren-2027",
        "password2": "nieuw-vak-leren-2027", "school": "0", "no_school": "y",
        "qualification": make.qualification().crebo, "leerweg": "BBL", "town": "Enschede",
        "birth_date": BIRTH.isoformat(), "work_experience": "Tien jaar in de zorg.",
        "work_experience_years": "10",
    }  # fmt: skip
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_zij_instromer_registers_without_a_school(client, make, outbox):
    page = client.get("/account/registreren/student").text
    assert "Ik zit nog niet op een school (zij-instromer / volwassene)" in page
    response = client.post("/account/registreren/student", data=_form(make))
    assert response.status_code == 302, response.text
    user = db.session.scalar(select(User).where(User.email == "karin@example.nl"))
    assert user.school_id is None and user.profile.school_id is None
    assert user.profile.qualification_id == make.qualification().id  # the target qualification
    assert user.profile.birth_date == BIRTH and user.profile.leerweg == "BBL"
    assert user.profile.work_experience == "Tien jaar in de zorg."
    assert user.profile.work_experience_years == 10


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"no_school": None}, "Kies je school."),
        ({"leerweg": "BOL"}, "Zonder school kies je BBL"),
        ({"birth_date": ""}, "Vul je geboortedatum in."),
        ({"birth_date": (today() - timedelta(days=365 * 17)).isoformat()}, "jonger dan 18"),
        ({"work_experience_years": "99"}, "tussen 0 en 60"),
        ({"qualification": ""}, "Vul dit in."),
    ],
)
def test_registering_without_a_school_refuses_what_does_not_fit(client, make, overrides, message):
    response = client.post("/account/registreren/student", data=_form(make, **overrides))
    assert response.status_code == 200 and message in response.text
    assert 'value="karin@example.nl"' in response.text  # the form comes back with the input
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_student_with_a_school_still_registers_as_before(client, make):
    form = _form(make, no_school=None, school=str(make.school().id), leerweg="BOL",
                 birth_date=None, work_experience=None, work_experience_years=None)  # fmt: skip
    assert client.post("/account/registreren/student", data=form).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "karin@example.nl"))
    assert user.profile.school_id == make.school().id and user.profile.birth_date is None


# --- pages of the learner without a school ---------------------------------------------------------


def test_home_and_profile_work_without_a_school(client, world):
    _login(client, world["switcher"])
    home = client.get("/student/")
    assert home.status_code == 200 and "nog geen school" in home.text
    profile = client.get("/student/profiel")
    assert profile.status_code == 200 and "Nog geen school" in profile.text


def test_the_profile_keeps_no_school_and_a_first_school_attaches_the_waiting_placement(
    client, world
):
    internship = _hire(world)
    _login(client, world["switcher"])
    base = {"qualification": world["qualification"].crebo, "leerweg": "BBL", "town": "Enschede",
            "max_travel_km": "25", "languages": "Nederlands", "bbl_days": "4"}  # fmt: skip
    response = client.post("/student/profiel", data={**base, "school": "0"})
    assert response.status_code == 302, response.text
    assert db.session.get(StudentProfile, world["switcher"].profile.id).school_id is None
    response = client.post("/student/profiel", data={**base, "school": str(world["school"].id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Internship, internship.id).school_id == world["school"].id
    assert db.session.scalar(select(func.count(AgreementVersion.id))) == 1
    # Once a school is chosen, the profile cannot go back to none.
    again = client.post("/student/profiel", data={**base, "school": "0"})
    assert again.status_code == 422 and "Kies je school." in again.text
    assert db.session.get(StudentProfile, world["switcher"].profile.id).school_id is not None


def test_self_assessment_per_work_process(client, world):
    processes = adults.processes_for(world["qualification"])
    assert processes  # the dossier's work processes, or the generic list
    _login(client, world["switcher"])
    page = client.get("/student/wat-kan-ik-al")
    assert page.status_code == 200 and processes[0].title in page.text
    assert "Twaalf jaar monteur" in page.text
    data = {f"level-{processes[0].id}": "good", f"level-{processes[1].id}": "some",
            "work_experience": "Vijftien jaar monteur.", "work_experience_years": "15"}  # fmt: skip
    assert client.post("/student/wat-kan-ik-al", data=data).status_code == 302
    claims = {c.work_process_id: c.self_level for c in db.session.scalars(select(EvcClaim))}
    assert claims == {processes[0].id: "good", processes[1].id: "some"}
    profile = db.session.get(StudentProfile, world["switcher"].profile.id)
    assert profile.work_experience_years == 15
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evc.self_assess"))


def test_self_assessment_refuses_bad_input_without_writing(client, world):
    foreign = WorkProcess(dossier_crebo="99999", code="B1-K9-W9", title="Iets anders", position=1)
    db.session.add(foreign)
    db.session.commit()
    processes = adults.processes_for(world["qualification"])
    _login(client, world["switcher"])
    for data in ({f"level-{processes[0].id}": "perfect"}, {f"level-{foreign.id}": "good"},
                 {"level-abc": "good"}, {"work_experience_years": "-1"},
                 {f"level-{processes[0].id}": "good", "work_experience_years": "tien"}):  # fmt: skip
        response = client.post("/student/wat-kan-ik-al", data=data)
        assert response.status_code == 422, data
    assert db.session.scalar(select(func.count(EvcClaim.id))) == 0


# --- coordinators never see a learner without a school --------------------------------------------


def test_coordinators_do_not_see_a_learner_without_a_school(client, world):
    profile_id = world["switcher"].profile.id
    _login(client, world["coordinator"])
    assert world["switcher"].name not in client.get("/coordinator/studenten").text
    assert client.get(f"/coordinator/studenten/{profile_id}").status_code == 403
    assert client.get(f"/coordinator/studenten/{profile_id}/evc").status_code == 403
    assert client.get("/coordinator/").status_code == 200


# --- hire first, school later ---------------------------------------------------------------------


def test_hire_first_the_agreement_waits_for_a_school(client, world):
    internship = _hire(world)
    assert internship.school_id is None
    assert db.session.scalar(select(func.count(AgreementVersion.id))) == 0
    _login(client, world["switcher"])
    page = client.get(f"/stage/{internship.id}")
    assert page.status_code == 200
    assert (
        "De overeenkomst wacht op de school" in page.text and "Nog geen school gekozen" in page.text
    )
    _login(client, world["owner"])
    company_page = client.get(f"/stage/{internship.id}")
    assert (
        company_page.status_code == 200
        and "De overeenkomst wacht op de school" in company_page.text
    )
    for coordinator in (world["coordinator"], world["stranger"]):
        _login(client, coordinator)
        assert client.get(f"/stage/{internship.id}").status_code in (403, 404)


def test_choosing_a_school_after_hiring_makes_the_school_a_party(client, world, outbox):
    internship = _hire(world)
    _login(client, world["switcher"])
    page = client.get("/student/school-kiezen")
    assert page.status_code == 200 and "Smederij Hamer" in page.text
    assert world["school"].name in page.text and world["other"].name in page.text
    response = client.post("/student/school-kiezen", data={"school": str(world["school"].id)})
    assert response.status_code == 302
    db.session.expire_all()
    profile = db.session.get(StudentProfile, world["switcher"].profile.id)
    assert profile.school_id == world["school"].id and profile.user.school_id == world["school"].id
    internship = db.session.get(Internship, internship.id)
    assert internship.school_id == world["school"].id
    [version] = internship.agreement_versions
    assert version.content["school"]["name"] == world["school"].name
    # The student signs first and is told so.
    assert db.session.scalar(
        select(Notification).where(Notification.kind == "agreement_turn",
                                   Notification.user_id == world["switcher"].id)
    )  # fmt: skip
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "student.choose_school")
    )
    assert json.loads(event.detail)["internships"] == [internship.id]
    # Now the school's coordinator sees the learner and the placement; another school does not.
    _login(client, world["coordinator"])
    assert client.get(f"/coordinator/studenten/{profile.id}").status_code == 200
    assert client.get(f"/stage/{internship.id}").status_code == 200
    _login(client, world["stranger"])
    assert client.get(f"/coordinator/studenten/{profile.id}").status_code == 403
    # Choosing again: back home, nothing changes.
    _login(client, world["switcher"])
    assert client.get("/student/school-kiezen").status_code == 302
    client.post("/student/school-kiezen", data={"school": str(world["other"].id)})
    assert db.session.get(StudentProfile, profile.id).school_id == world["school"].id


def test_choosing_no_or_an_unknown_school_gives_the_page_back(client, world):
    _login(client, world["switcher"])
    for data in ({}, {"school": "abc"}, {"school": "999999"}, {"school": "99999999999999"}):
        response = client.post("/student/school-kiezen", data=data)
        assert response.status_code == 422 and "Kies een school." in response.text
    assert db.session.get(StudentProfile, world["switcher"].profile.id).school_id is None


def test_the_api_shows_a_placement_without_a_school(client, world):
    from stagematch.services import tokens

    internship = _hire(world)
    token = tokens.create_token(world["switcher"], "test")[1]
    response = client.get(
        f"/api/v1/internships/{internship.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.json["school"] is None


def test_flags_bron_and_monitoring_leave_a_placement_without_a_school_alone(client, world, make):
    from stagematch.services import bron
    from stagematch.services.flags import refresh_all_schools

    internship = _hire(world)
    refresh_all_schools()  # no error, no flag for anyone
    export = bron.build(world["school"])
    assert export.rows == [] and all(p.internship_id != internship.id for p in export.problems)
    admin = make.admin()
    db.session.commit()
    _login(client, admin)
    assert client.get("/beheer/monitoring").status_code == 200


# --- EVC confirmed by the school ------------------------------------------------------------------


def _with_school(world):
    adults.choose_school(world["switcher"].profile, world["school"], by=world["switcher"])
    processes = adults.processes_for(world["qualification"])
    adults.save_self_assessment(world["switcher"].profile, by=world["switcher"],
                                levels={processes[0].id: "good", processes[1].id: "some"})  # fmt: skip
    return processes


def test_the_school_confirms_or_adjusts_per_work_process(client, world):
    processes = _with_school(world)
    profile_id = world["switcher"].profile.id
    _login(client, world["coordinator"])
    page = client.get(f"/coordinator/studenten/{profile_id}/evc")
    assert page.status_code == 200 and "Twaalf jaar monteur" in page.text
    response = client.post(
        f"/coordinator/studenten/{profile_id}/evc",
        data={f"level-{processes[0].id}": "good", f"level-{processes[1].id}": "not_yet",
              f"note-{processes[1].id}": "Eerst samen oefenen."},
    )  # fmt: skip
    assert response.status_code == 302
    claims = {c.work_process_id: c for c in db.session.scalars(select(EvcClaim))}
    assert claims[processes[0].id].confirmed_level == "good"
    assert claims[processes[1].id].confirmed_level == "not_yet"
    assert claims[processes[1].id].confirmed_by_id == world["coordinator"].id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evc.confirm"))
    changes = json.loads(event.detail)["changes"]
    assert {
        "process": processes[1].id,
        "self": "some",
        "before": None,
        "after": "not_yet",
    } in changes
    assert event.actor_id == world["coordinator"].id
    # The learner sees it, confirmed by the school, and can no longer change it.
    _login(client, world["switcher"])
    page = client.get("/student/wat-kan-ik-al").text
    assert f"bevestigd door {world['school'].name}" in page and "Eerst samen oefenen." in page
    refused = client.post("/student/wat-kan-ik-al", data={f"level-{processes[1].id}": "good"})
    assert refused.status_code == 422 and "al bevestigd" in refused.text
    assert db.session.get(EvcClaim, claims[processes[1].id].id).self_level == "some"


def test_only_the_learners_school_confirms(client, world):
    processes = _with_school(world)
    profile_id = world["switcher"].profile.id
    _login(client, world["stranger"])
    url = f"/coordinator/studenten/{profile_id}/evc"
    assert client.get(url).status_code == 403
    assert client.post(url, data={f"level-{processes[0].id}": "good"}).status_code == 403
    _login(client, world["coordinator"])
    assert client.post(url, data={f"level-{processes[0].id}": "heel goed"}).status_code == 422
    assert client.post(url, data={f"note-{processes[0].id}": "x" * 1001,
                                  f"level-{processes[0].id}": "good"}).status_code == 422  # fmt: skip
    assert (
        db.session.scalar(
            select(func.count(EvcClaim.id)).where(EvcClaim.confirmed_level.isnot(None))
        )
        == 0
    )


# --- places "ook voor zij-instromers" -------------------------------------------------------------


def test_the_place_shows_the_adult_minimum_wage(client, world):
    page = client.get(f"/plekken/{world['place'].id}")
    assert page.status_code == 200
    assert "Ook voor zij-instromers" in page.text and "Minimumloon vanaf 21 jaar" in page.text


def test_search_and_api_filter_places_for_switchers(client, world, make):
    other = make.placement(world["company"], world["meester"], leerweg=Leerweg.BBL, days_per_week=4,
                           hours_per_week=32, pay_per_month=3000, wage_age=ADULT, title="Gewone BBL")  # fmt: skip
    db.session.commit()
    found = client.get("/plekken/?zij_instromers=y&leerweg=BBL").text
    assert "Smid in opleiding" in found and "Gewone BBL" not in found
    everything = client.get("/plekken/?leerweg=BBL").text
    assert "Smid in opleiding" in everything and "Gewone BBL" in everything
    from stagematch.services import tokens

    token = tokens.create_token(world["owner"], "test")[1]
    api = client.get(
        "/api/v1/places?zij_instromers=y", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200, api.text
    ids = [p["id"] for p in api.json["items"]]
    assert world["place"].id in ids and other.id not in ids
    assert all(p["for_switchers"] for p in api.json["items"])


def test_a_place_for_switchers_must_pay_the_adult_minimum(make, world):
    from stagematch import geo
    from stagematch.services import DomainError
    from stagematch.services.placements import PlacementData, save_placement

    start = today() + timedelta(days=30)
    youth = math.ceil(minimum_wage(18, start).monthly(32))
    data = PlacementData(
        title="Smid", description="", tasks="Smeden", leerweg="BBL",
        qualifications=[world["qualification"]], town=geo.find_town("Enschede"), start_date=start,
        duration_weeks=40, hours_per_week=32, days_per_week=4, pay_per_month=youth, wage_age=18,
        seats=1, meester=world["meester"], gezel=None, required_skills="", languages="Nederlands",
        for_switchers=True,
    )  # fmt: skip
    with pytest.raises(DomainError, match="21"):
        save_placement(company=world["company"], data=data, by=world["owner"])
    import dataclasses

    bol = dataclasses.replace(
        data, leerweg="BOL", days_per_week=None, wage_age=None, pay_per_month=0
    )
    with pytest.raises(DomainError, match="Alleen een BBL-plek"):
        save_placement(company=world["company"], data=bol, by=world["owner"])


# --- reports and objections without a school ------------------------------------------------------


def test_a_discrimination_report_without_a_school_is_refused_with_a_way_out(client, world):
    application = application_service.apply(
        student=world["switcher"].profile, placement=world["place"], motivation="Graag."
    )
    _login(client, world["switcher"])
    response = client.post(f"/student/sollicitaties/{application.id}/melden",
                           data={"description": "Ze vroegen naar mijn afkomst."})  # fmt: skip
    assert response.status_code == 422 and "discriminatie.nl" in response.text
    assert "Ze vroegen naar mijn afkomst." in response.text
    assert db.session.scalar(select(func.count(DiscriminationReport.id))) == 0
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_an_objection_without_a_school_goes_to_an_administrator(make, world):
    from stagematch.services import objections

    admin = make.admin()
    db.session.commit()
    objection = objections.raise_objection(
        user=world["switcher"], role="student", profile=world["switcher"].profile,
        placement=world["place"], explanation={}, text="Waarom zie ik deze plek niet bovenaan?",
    )  # fmt: skip
    assert objection.school_id is None and objection.assigned_to_id == admin.id
    assert db.session.scalar(select(func.count(Objection.id))) == 1


def test_ending_early_waits_for_a_school_too(client, world):
    from stagematch.models import EndRequest

    internship = _hire(world)
    _login(client, world["owner"])
    response = client.post(
        f"/stage/{internship.id}/beeindigen",
        data={"explanation": "Het klikt niet.", "last_day": internship.start_date.isoformat()},
    )
    assert (
        response.status_code == 422
        and "Er is nog geen school die hierover beslist" in response.text
    )
    assert db.session.scalar(select(func.count(EndRequest.id))) == 0


def test_every_section_of_the_placement_page_works_without_a_school(client, world):
    internship = _hire(world)
    for user in (world["switcher"], world["owner"]):
        _login(client, user)
        page = client.get(f"/stage/{internship.id}")
        assert page.status_code == 200
        assert client.get(f"/stage/{internship.id}/beeindigen").status_code == 200
    _login(client, world["switcher"])
    assert client.get("/stage/").status_code in (200, 302)


def test_the_company_offers_and_the_switcher_accepts_without_a_school(client, world):
    application = application_service.apply(
        student=world["switcher"].profile, placement=world["place"], motivation="Graag."
    )
    _login(client, world["owner"])
    assert client.get("/leerbedrijf/").status_code == 200
    assert client.get(f"/leerbedrijf/sollicitaties/{application.id}").status_code == 200
    application_service.make_offer(
        application.id, respond_by=today() + timedelta(days=7), by=world["owner"]
    )
    internship = application_service.accept_offer(application.id, by=world["switcher"])
    assert internship.school_id is None and not internship.agreement_versions
    assert client.get("/leerbedrijf/").status_code == 200


# --- what the company sees of a switcher ----------------------------------------------------------


def test_the_company_sees_experience_and_evc_on_the_applicant_page(client, world):
    """Issue 18 audit gap 3: work experience, self-assessment per work process and "nog geen
    school" on the anonymous applicant page and in the export; only what the learner filled in."""
    import csv
    import io

    switcher = world["switcher"]
    processes = adults.processes_for(world["qualification"])
    adults.save_self_assessment(switcher.profile, by=switcher,
                                levels={processes[0].id: "good", processes[1].id: "some"})  # fmt: skip
    application = application_service.apply(
        student=switcher.profile, placement=world["place"], motivation="Graag."
    )
    _login(client, world["owner"])
    page = client.get(f"/leerbedrijf/sollicitaties/{application.id}")
    assert page.status_code == 200
    text = page.text
    assert "Twaalf jaar monteur bij een garage." in text and "12 jaar" in text
    assert processes[0].title in text and processes[1].title in text
    assert processes[2].title not in text  # left open by the learner: not shown
    assert "nog geen school" in text and "samen met de student een school" in text
    assert switcher.name not in text  # still anonymous
    export = client.get("/leerbedrijf/sollicitaties/export.csv").text.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(export), delimiter=";"))
    (row,) = [r for r in rows if r["id"] == str(application.id)]
    assert row["werkervaring_jaren"] == "12" and row["nog_geen_school"] == "ja"
    assert f"{processes[0].code}: goed" in row["evc"] and switcher.name not in row["student"]


def test_the_company_sees_what_the_school_confirmed(client, world):
    processes = _with_school(world)
    adults.confirm(world["switcher"].profile, levels={processes[1].id: "not_yet"},
                   by=world["coordinator"])  # fmt: skip
    application = application_service.apply(
        student=world["switcher"].profile, placement=world["place"], motivation="Graag."
    )
    _login(client, world["owner"])
    text = client.get(f"/leerbedrijf/sollicitaties/{application.id}").text
    assert f"bevestigd door {world['school'].name}" in text
    assert "nog geen school" not in text


# --- demo -----------------------------------------------------------------------------------------


def test_the_demo_has_adults_switchers_and_places_for_them(app):
    from stagematch.demo import generate

    summary = generate(students=300, companies=80, seed=18)
    db.session.expire_all()
    marked = list(db.session.scalars(select(Placement).where(Placement.for_switchers.is_(True))))
    assert marked and all(p.leerweg == "BBL" for p in marked)
    assert sum(p.status == "open" for p in marked) >= len(marked) - 1  # one hired a switcher
    for p in marked:  # at least the adult minimum wage
        floor = minimum_wage(ADULT, max(p.start_date, today())).monthly(p.hours_per_week)
        assert p.pay_per_month + 0.5 >= floor
    switchers = list(
        db.session.scalars(select(StudentProfile).where(StudentProfile.school_id.is_(None)))
    )
    assert len(switchers) == SWITCHERS
    assert all(s.birth_date and s.work_experience for s in switchers)
    waiting = list(db.session.scalars(select(Internship).where(Internship.school_id.is_(None))))
    assert len(waiting) == 1 and not waiting[0].agreement_versions
    confirmed = db.session.scalar(
        select(func.count(EvcClaim.id)).where(EvcClaim.confirmed_level.is_not(None))
    )
    assert confirmed > 0
    assert any("zij-instromer" in login[2] for login in summary.logins)
    # Every meester and gezel can be reached (audit 17), with a number the mentor form accepts.
    from stagematch.models import Mentor
    from stagematch.services.school_contacts import PHONE

    mentors = list(db.session.scalars(select(Mentor)))
    assert mentors and all(m.email and "@" in m.email and PHONE.match(m.phone) for m in mentors)


def test_a_placement_without_a_school_does_not_make_a_reviewing_school(world):
    from stagematch.services.fair_ads import reviewing_school_ids

    _hire(world)
    ids = reviewing_school_ids(world["company"])
    assert ids and None not in ids  # the schools nearby review, as for a company without hosts


def test_a_saved_search_keeps_the_zij_instromers_filter():
    from stagematch.services.alerts import filters_from_query

    assert filters_from_query("leerweg=BBL&zij_instromers=y").for_switchers
    assert not filters_from_query("leerweg=BBL").for_switchers

"""The meester's own firm in a leerbedrijf network (issues 17 and 18): a place published by one
firm (the leerbedrijf of the POK) may be supervised by the meester of a partner firm. Accounts of
the partner firm are on the company side of that placement: they open and list it, approve
hours, plan meetings, assess, ask to end early and see the school's contacts, and are told what
the company is told. The place's own firm signs the agreement; the partner sees it and is told.
A firm that is merely in the same network stays out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import (
    AgreementSignature,
    AgreementVersion,
    Application,
    Assessment,
    EndRequest,
    HoursEntry,
    Notification,
)
from stagematch.services import agreements, assessments, hours
from stagematch.services import applications as application_service
from stagematch.services import internships as internship_service
from stagematch.services.tokens import create_token
from stagematch.timeutil import today, utcnow
from tests.test_networks import _network


@pytest.fixture
def world(make):
    """Smederij Het Vuur employs meester Henk Smid; Meubelmakerij 0 publishes the place he
    supervises; Meubelmakerij 1 is in the same network but supervises nothing."""
    network, smithy, (place_firm, bystander), meester = _network(make, members=3, capacity=2)
    place = make.placement(place_firm, meester, title="Leerling meubelmaker", seats=1)
    student = make.student(name="Sanne Student", birth_date=date(2000, 1, 1))
    coordinator = make.coordinator(student.school)
    users = dict(smithy=make.company_user(smithy), place_firm=make.company_user(place_firm),
                 bystander=make.company_user(bystander), outsider=make.company_user(make.company()))  # fmt: skip
    db.session.commit()
    application = Application(student=student.profile, placement=place, motivation="Graag.")
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date = hours.monday(today()) - timedelta(weeks=3)
    internship.end_date = internship.start_date + timedelta(weeks=20)
    db.session.commit()
    return dict(internship=internship, student=student, coordinator=coordinator, meester=meester,
                **users)  # fmt: skip


def _sign_everything(internship) -> None:
    """The agreement in force (its own flow is tested in test_agreements and below)."""
    version = db.session.scalar(
        select(AgreementVersion).where(AgreementVersion.internship_id == internship.id)
    )
    version.status, version.signed_at = "signed", utcnow()
    db.session.commit()
    db.session.expire_all()


def _notified(user, kind: str) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ))  # fmt: skip


def test_the_meesters_firm_opens_and_lists_the_placement_with_chain_and_school_contacts(
    client, auth, world
):
    internship = world["internship"]
    auth.login(world["smithy"])
    page = client.get(f"/stage/{internship.id}")
    assert page.status_code == 200
    assert "Waar je werkt en wie je begeleidt" in page.text and "Henk Smid" in page.text
    assert world["coordinator"].name in page.text  # the school's contacts
    assert f"/stage/{internship.id}" in client.get("/stage/").text
    assert internship_service.company_ids_of(internship) == {
        world["smithy"].company_id,
        world["place_firm"].company_id,
    }


@pytest.mark.parametrize("who", ["bystander", "outsider"])
def test_a_firm_that_supervises_nothing_stays_out(client, auth, world, who):
    internship = world["internship"]
    auth.login(world[who])
    assert client.get(f"/stage/{internship.id}").status_code == 403
    assert f"/stage/{internship.id}" not in client.get("/stage/").text
    approve = f"/stage/{internship.id}/uren/{hours.monday(today()).isoformat()}/goedkeuren"
    assert client.post(approve).status_code == 403


def test_the_meesters_firm_is_told_of_hours_and_approves_them(client, auth, world):
    internship = world["internship"]
    _sign_everything(internship)
    week = hours.monday(today())
    auth.login(world["student"])
    logged = client.post(
        f"/stage/{internship.id}/uren", data={"week": week.isoformat(), "hours": "32"}
    )
    assert logged.status_code == 302
    assert len(_notified(world["smithy"], "hours_waiting")) == 1
    assert len(_notified(world["place_firm"], "hours_waiting")) == 1
    assert _notified(world["bystander"], "hours_waiting") == []
    auth.logout()
    auth.login(world["smithy"])
    approved = client.post(f"/stage/{internship.id}/uren/{week.isoformat()}/goedkeuren",
                           data={"gezien": "32"})  # fmt: skip
    assert approved.status_code == 302
    db.session.expire_all()
    entry = db.session.scalar(select(HoursEntry))
    assert entry.status == "approved" and entry.approved_by_id == world["smithy"].id


def test_the_meesters_firm_plans_a_meeting_and_hears_of_the_others(client, auth, world):
    internship = world["internship"]
    data = {"planned_on": (today() + timedelta(days=2)).isoformat(), "with_student": "y",
            "with_meester": "y", "school_contact": "", "extra": ""}  # fmt: skip
    auth.login(world["student"])
    assert client.post(f"/stage/{internship.id}/gesprekken/start", data=data).status_code == 302
    assert len(_notified(world["smithy"], "meeting_planned")) == 1
    assert _notified(world["bystander"], "meeting_planned") == []
    auth.logout()
    auth.login(world["smithy"])
    assert client.get(f"/stage/{internship.id}/gesprekken/midway").status_code == 200
    data["planned_on"] = (today() + timedelta(weeks=8)).isoformat()
    planned = client.post(f"/stage/{internship.id}/gesprekken/midway", data=data)
    assert planned.status_code == 302
    # The place's firm hears of it; the one who planned does not.
    assert len(_notified(world["place_firm"], "meeting_planned")) == 2
    assert len(_notified(world["smithy"], "meeting_planned")) == 1


def test_the_meesters_firm_fills_in_the_assessment(client, auth, world):
    internship = world["internship"]
    internship.start_date = today() - timedelta(weeks=18)
    internship.end_date = today() + timedelta(days=10)  # the assessment is open
    db.session.commit()
    first = assessments.items_for(internship).processes[0]
    auth.login(world["smithy"])
    assert client.get(f"/stage/{internship.id}/beoordeling").status_code == 200
    response = client.post(f"/stage/{internship.id}/beoordeling",
                           data={f"score-{first.id}": "3", "remark": "Netjes.", "action": "bewaren"})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert [s.score for s in db.session.scalar(select(Assessment)).scores] == [3]


def test_the_meesters_firm_asks_to_end_early_and_the_places_firm_is_told(client, auth, world):
    internship = world["internship"]
    auth.login(world["smithy"])
    response = client.post(f"/stage/{internship.id}/beeindigen",
                           data={"explanation": "De meester stopt met zijn bedrijf.",
                                 "last_day": (today() + timedelta(days=7)).isoformat()})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    request = db.session.scalar(select(EndRequest))
    assert request.requested_role == "company" and request.requested_by_id == world["smithy"].id
    assert len(_notified(world["place_firm"], "end_requested")) == 1
    assert _notified(world["smithy"], "end_requested") == []
    assert _notified(world["bystander"], "end_requested") == []


def _sign(client, internship, user):
    version = db.session.scalar(
        select(AgreementVersion).where(AgreementVersion.internship_id == internship.id)
    )
    return client.post(f"/stage/{internship.id}/overeenkomst/1/tekenen",
                       data={"typed_name": user.name, "content_hash": version.content_hash,
                             "confirm": "y"})  # fmt: skip


def test_the_places_firm_signs_and_the_meesters_firm_sees_it_and_is_told(client, auth, world):
    internship, smithy, owner = world["internship"], world["smithy"], world["place_firm"]
    auth.login(world["student"])
    assert _sign(client, internship, world["student"]).status_code == 302
    # The company's turn: the place's firm is asked, the meester's firm is told whom it waits for.
    [asked] = _notified(owner, "agreement_turn")
    [told] = _notified(smithy, "agreement_turn")
    assert asked.message_data["msgid"] == agreements.TURN_TEXT
    assert told.message_data["msgid"] == agreements.PARTNER_TURN_TEXT
    assert "Meubelmakerij 0" in str(told.message_data)
    assert _notified(world["bystander"], "agreement_turn") == []
    auth.logout()
    auth.login(smithy)
    page = client.get(f"/stage/{internship.id}")
    assert "Lezen en tekenen" not in page.text and "Meubelmakerij 0" in page.text
    version_page = client.get(f"/stage/{internship.id}/overeenkomst/1")
    assert version_page.status_code == 200 and 'name="typed_name"' not in version_page.text
    refused = _sign(client, internship, smithy)
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(
        select(AgreementSignature).where(AgreementSignature.party == "company")
    ) is None  # fmt: skip
    auth.logout()
    auth.login(owner)
    assert _sign(client, internship, owner).status_code == 302


@pytest.mark.parametrize("who, status", [("smithy", 200), ("place_firm", 200), ("bystander", 404)])
def test_the_api_answers_the_meesters_firm_like_the_places_firm(client, world, who, status):
    internship = world["internship"]
    secret = create_token(world[who], "t")[1]
    response = client.get(f"/api/v1/internships/{internship.id}",
                          headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
    assert response.status_code == status
    if status == 200:
        body = response.get_json()
        assert body["company"]["id"] == world["place_firm"].company_id
        assert body["meester"] == "Henk Smid"


# --- evaluations, the /stage/ list, the assessment's notice --------------------------------------


def _meester_evaluation(internship, moment="midterm"):
    return next(e for e in internship.evaluations
                if e.author_role == "meester" and e.moment == moment)  # fmt: skip


def test_the_meesters_firm_fills_in_the_evaluation_and_sees_it_due(client, auth, world):
    internship = world["internship"]
    evaluation = _meester_evaluation(internship)
    evaluation.due_date = today() + timedelta(days=3)
    db.session.commit()
    auth.login(world["smithy"])
    assert f"/leerbedrijf/evaluaties/{evaluation.id}" in client.get("/leerbedrijf/").text
    assert client.get(f"/leerbedrijf/evaluaties/{evaluation.id}").status_code == 200
    response = client.post(f"/leerbedrijf/evaluaties/{evaluation.id}",
                           data={"progress": "4", "attitude": "3", "comment": "Leert snel."})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert (evaluation.progress, evaluation.attitude) == (4, 3) and evaluation.submitted_at
    # Still not the student's own evaluation, and not for a firm that supervises nothing.
    student_own = next(e for e in internship.evaluations if e.author_role == "student")
    assert client.get(f"/leerbedrijf/evaluaties/{student_own.id}").status_code == 403
    auth.logout()
    auth.login(world["bystander"])
    final = _meester_evaluation(internship, "final")
    assert client.get(f"/leerbedrijf/evaluaties/{final.id}").status_code == 403
    assert f"/leerbedrijf/evaluaties/{final.id}" not in client.get("/leerbedrijf/").text


def test_the_meesters_firm_and_the_places_firm_get_the_evaluation_reminder(app, world):
    from stagematch.services.evaluations import send_reminders

    internship = world["internship"]
    evaluation = _meester_evaluation(internship)
    evaluation.due_date = today() + timedelta(days=3)
    db.session.commit()
    with app.test_request_context():
        send_reminders()
    assert len(_notified(world["smithy"], "evaluation_due")) == 1
    assert len(_notified(world["place_firm"], "evaluation_due")) == 1
    assert _notified(world["bystander"], "evaluation_due") == []


def test_the_stage_list_names_the_partners_firm_for_its_place(client, auth, world):
    place_firm_name = world["place_firm"].company.name
    auth.login(world["smithy"])
    row = next(r for r in client.get("/stage/").text.split("<tr>") if "Sanne Student" in r)
    assert place_firm_name in row
    auth.logout()
    auth.login(world["place_firm"])  # its own place: no firm named
    row = next(r for r in client.get("/stage/").text.split("<tr>") if "Sanne Student" in r)
    assert place_firm_name not in row


def test_the_places_firm_hears_when_the_meesters_firm_submits_the_assessment(client, auth, world):
    internship = world["internship"]
    internship.start_date = today() - timedelta(weeks=18)
    internship.end_date = today() + timedelta(days=10)  # the assessment is open
    db.session.commit()
    data = {f"score-{item.id}": "3" for item in assessments.items_for(internship).processes}
    auth.login(world["smithy"])
    response = client.post(f"/stage/{internship.id}/beoordeling",
                           data={**data, "remark": "Goed.", "action": "versturen"})  # fmt: skip
    assert response.status_code == 302, response.text
    [told] = _notified(world["place_firm"], "assessment_submitted")
    assert "Smederij Het Vuur" in str(told.message_data)
    assert _notified(world["smithy"], "assessment_submitted") == []
    assert _notified(world["bystander"], "assessment_submitted") == []
    assert len(_notified(world["coordinator"], "assessment_submitted")) == 1


# --- demo ------------------------------------------------------------------------------------------


def test_the_demo_has_a_learner_placed_across_firms(app, client, auth):
    from stagematch.demo import generate
    from stagematch.models import Internship, User
    from stagematch.services.agreements import is_signed

    summary = generate(students=200, companies=90, seed=18)
    db.session.expire_all()
    across = [
        i
        for i in db.session.scalars(select(Internship).where(Internship.status == "active"))
        if i.meester.company_id != i.placement.company_id
    ]
    assert across, "no learner placed across firms"
    internship = across[0]
    assert internship.start_date <= today() <= internship.end_date and is_signed(internship)
    assert internship_service.phase(internship) == internship_service.Phase.RUNNING
    # The printed logins name an account of the meester's firm, which sees the chain.
    emails = [login[1] for login in summary.logins if "meester" in login[2]]
    meester_firm_users = [u for u in (db.session.scalar(select(User).where(User.email == e))
                                      for e in emails)
                          if u.company_id == internship.meester.company_id]  # fmt: skip
    assert meester_firm_users
    auth.login(meester_firm_users[0].email, app.config["DEMO_PASSWORD"])
    page = client.get(f"/stage/{internship.id}")
    assert page.status_code == 200 and "Waar je werkt en wie je begeleidt" in page.text

"""Acting for a student (issue 18, item 5): a coordinator applies for a student only with the
student's valid consent (given on the student's account, 30 days, revocable), with the student's
rules; the application says who submitted it, to the student and the company; the audit log
names both; another school's coordinator cannot reach the student at all."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import ActingConsent, Application, AuditEvent
from stagematch.timeutil import today

MOTIVATION = "Ik wil graag leren bakken in een echte bakkerij."


def _login(auth, user):
    auth.logout()
    auth.login(user)


def _world(make):
    company = make.company(name="Bakkerij Bol")
    owner = make.company_user(company)
    place = make.placement(
        company, make.meester(company, capacity=3), seats=2, title="Stage bakkerij"
    )
    student = make.student()
    coordinator = make.coordinator(student.school)
    other_school = make.coordinator(make.school("Deltion College"))
    db.session.commit()
    return dict(company=company, owner=owner, place=place, student=student,
                coordinator=coordinator, other=other_school)  # fmt: skip


def _grant(client, auth, world):
    _login(auth, world["student"])
    response = client.post("/student/hulp", data={"coordinator": str(world["coordinator"].id)})
    assert response.status_code == 302, response.text
    auth.logout()


def _apply_for(client, auth, world, user=None):
    _login(auth, user or world["coordinator"])
    profile, place = world["student"].profile.id, world["place"].id
    return client.post(
        f"/coordinator/namens/{profile}/plek/{place}", data={"motivation": MOTIVATION}
    )


def _applications(world):
    db.session.expire_all()
    return db.session.scalars(
        select(Application).where(Application.student_id == world["student"].profile.id)
    ).all()


def test_with_consent_the_coordinator_applies_and_everyone_sees_who(client, auth, make, outbox):
    world = _world(make)
    _grant(client, auth, world)
    page = client.get(f"/coordinator/namens/{world['student'].profile.id}")
    assert page.status_code == 302  # logged out: to the login page
    _login(auth, world["coordinator"])
    page = client.get(f"/coordinator/namens/{world['student'].profile.id}")
    assert page.status_code == 200 and "Stage bakkerij" in page.text
    response = _apply_for(client, auth, world)
    assert response.status_code == 302
    [application] = _applications(world)
    assert application.motivation == MOTIVATION
    # The audit log names both.
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "application.submit", AuditEvent.object_id == application.id))  # fmt: skip
    detail = json.loads(event.detail)
    assert event.actor_id == world["coordinator"].id
    assert detail["submitted_by"] == world["coordinator"].name
    assert detail["on_behalf_of"] == world["student"].name
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "consent.grant"))
    # The student and the company see who submitted it.
    note = f"Ingediend door {world['coordinator'].name} namens"
    _login(auth, world["student"])
    assert note in client.get("/student/sollicitaties").text.replace("<bdi>", "").replace(
        "</bdi>", ""
    )
    _login(auth, world["owner"])
    text = client.get(f"/leerbedrijf/sollicitaties/{application.id}").text
    assert note in text.replace("<bdi>", "").replace("</bdi>", "")


def test_without_consent_the_coordinator_is_refused(client, auth, make):
    world = _world(make)
    _login(auth, world["coordinator"])
    assert client.get(f"/coordinator/namens/{world['student'].profile.id}").status_code == 403
    assert _apply_for(client, auth, world).status_code == 403
    assert _applications(world) == []


def test_an_expired_consent_is_refused(client, auth, make):
    world = _world(make)
    _grant(client, auth, world)
    consent = db.session.scalar(select(ActingConsent))
    consent.expires_on = today() - timedelta(days=1)
    db.session.commit()
    assert _apply_for(client, auth, world).status_code == 403
    assert _applications(world) == []


def test_a_revoked_consent_is_refused(client, auth, make):
    world = _world(make)
    _grant(client, auth, world)
    consent = db.session.scalar(select(ActingConsent))
    _login(auth, world["student"])
    assert client.post(f"/student/hulp/{consent.id}/intrekken").status_code == 302
    assert "mag namens jou solliciteren" not in client.get("/student/hulp").text
    assert _apply_for(client, auth, world).status_code == 403
    assert _applications(world) == []
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "consent.revoke"))


def test_another_schools_coordinator_cannot_reach_the_student(client, auth, make):
    world = _world(make)
    _grant(client, auth, world)
    response = _apply_for(client, auth, world, user=world["other"])
    assert response.status_code == 404
    assert client.get(f"/coordinator/namens/{world['student'].profile.id}").status_code == 404
    assert _applications(world) == []


def test_a_student_can_only_choose_a_coordinator_of_their_own_school(client, auth, make):
    world = _world(make)
    _login(auth, world["student"])
    response = client.post("/student/hulp", data={"coordinator": str(world["other"].id)})
    assert response.status_code == 422
    assert db.session.scalar(select(ActingConsent.id)) is None


def test_the_students_rules_still_apply(client, auth, make):
    """Applying twice for the same student: refused as the student would be, the form back."""
    world = _world(make)
    _grant(client, auth, world)
    assert _apply_for(client, auth, world).status_code == 302
    response = _apply_for(client, auth, world)
    assert response.status_code == 422
    assert "al op deze plek gesolliciteerd" in response.text
    assert len(_applications(world)) == 1


def test_a_learner_without_a_school_can_give_a_helper_consent(client, auth, make):
    """Audit 18, gap 2: a zij-instromer has no school, so no coordinator; a job coach helps."""
    from stagematch.models.enums import Role

    learner = make.student()
    learner.school = None
    learner.profile.school = None
    coach = make.user(Role.JOB_COACH, organisation="Gemeente Almelo")
    db.session.commit()
    _login(auth, learner)
    page = client.get("/student/hulp")
    assert "Je school heeft nog geen stagecoördinator" not in page.text
    assert client.post("/student/hulp", data={"jobcoach": str(coach.id)}).status_code == 302
    consent = db.session.scalar(select(ActingConsent))
    assert consent is not None and consent.helper_id == coach.id

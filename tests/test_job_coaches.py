"""Job coaches (issue 18): a coach of a municipality, UWV, VluchtelingenWerk or a welcome
organisation helps learners who find applying online hard, also those without a school. An
administrator invites the coach; the learner chooses the coach on /student/hulp (searchable by name
or organisation) and gives a consent that is valid 30 days, revocable and in the audit log; the coach
applies for the learner through the same service as a coordinator, the learner is told, and without
a valid consent the coach cannot reach the learner."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import ActingConsent, Application, AuditEvent, Notification, User
from stagematch.models.enums import Leerweg, Role
from stagematch.timeutil import today
from stagematch.wages import ADULT, minimum_wage
from tests.conftest import mailed_link

MOTIVATION = "Ik wil graag leren lassen in een echte werkplaats."


def _login(auth, user):
    auth.logout()
    auth.login(user)


def _switcher(make):
    """A learner without a school (zij-instromer)."""
    birth = date(today().year - 35, 6, 1)
    user = make.student(leerweg=Leerweg.BBL, name="Amal Haddad", birth_date=birth)
    user.school = None
    user.profile.school = None
    db.session.flush()
    return user


def _coach(make, name="Sanne de Wit", organisation="VluchtelingenWerk Twente"):
    return make.user(Role.JOB_COACH, name=name, organisation=organisation)


def _world(make):
    company = make.company(name="Constructie Kaya")
    owner = make.company_user(company)
    start = today() + timedelta(days=30)
    pay = math.ceil(minimum_wage(ADULT, start).monthly(32))
    place = make.placement(
        company, make.meester(company, capacity=3), seats=2, title="Lasser BBL",
        leerweg=Leerweg.BBL, days_per_week=4, hours_per_week=32, pay_per_month=pay,
        wage_age=ADULT, for_switchers=True, start_date=start,
    )  # fmt: skip
    learner = _switcher(make)
    coach = _coach(make)
    other = _coach(make, name="Joost Bakker", organisation="UWV Enschede")
    db.session.commit()
    return dict(company=company, owner=owner, place=place, learner=learner, coach=coach,
                other=other)  # fmt: skip


def _grant(client, auth, world, coach=None):
    _login(auth, world["learner"])
    response = client.post("/student/hulp", data={"jobcoach": str((coach or world["coach"]).id)})
    assert response.status_code == 302, response.text
    auth.logout()


def _apply_for(client, auth, world, user=None):
    _login(auth, user or world["coach"])
    profile, place = world["learner"].profile.id, world["place"].id
    return client.post(f"/jobcoach/namens/{profile}/plek/{place}", data={"motivation": MOTIVATION})


def _applications(world):
    db.session.expire_all()
    return db.session.scalars(
        select(Application).where(Application.student_id == world["learner"].profile.id)
    ).all()


# --- the learner chooses ----------------------------------------------------------------------------


def test_a_learner_without_a_school_is_offered_job_coaches_not_a_missing_coordinator(
    client, auth, make
):
    world = _world(make)
    _login(auth, world["learner"])
    page = client.get("/student/hulp")
    assert page.status_code == 200
    assert "Je school heeft nog geen stagecoördinator" not in page.text
    assert "jobcoach" in page.text.lower() and "niet op een school" in page.text
    assert "Sanne de Wit" in page.text and "VluchtelingenWerk Twente" in page.text
    # Searching by organisation narrows the list.
    found = client.get("/student/hulp?zoek=uwv").text
    assert "Joost Bakker" in found and "Sanne de Wit" not in found


def test_a_student_of_a_school_can_choose_a_coordinator_or_a_job_coach(client, auth, make):
    student = make.student()
    coordinator = make.coordinator(student.school)
    _coach(make, name="Els Visser", organisation="Gemeente Hengelo")
    db.session.commit()
    _login(auth, student)
    page = client.get("/student/hulp").text
    assert coordinator.name in page and "Els Visser" in page


def test_the_learner_gives_and_revokes_a_job_coach_consent_in_the_audit_log(client, auth, make):
    world = _world(make)
    _grant(client, auth, world)
    consent = db.session.scalar(select(ActingConsent))
    assert consent.helper_id == world["coach"].id
    assert consent.expires_on == today() + timedelta(days=30)
    grant = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.grant"))
    detail = json.loads(grant.detail)
    assert detail["helper"] == "Sanne de Wit" and detail["student"] == "Amal Haddad"
    _login(auth, world["learner"])
    assert "Sanne de Wit" in client.get("/student/hulp").text
    assert client.post(f"/student/hulp/{consent.id}/intrekken").status_code == 302
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "consent.revoke"))
    assert _apply_for(client, auth, world).status_code == 403
    assert _applications(world) == []


def test_only_an_active_job_coach_can_be_chosen(client, auth, make):
    world = _world(make)
    world["coach"].is_active_account = False
    admin = make.admin()
    db.session.commit()
    _login(auth, world["learner"])
    assert "Sanne de Wit" not in client.get("/student/hulp").text
    for helper in (world["coach"], admin, world["owner"]):
        response = client.post("/student/hulp", data={"jobcoach": str(helper.id)})
        assert response.status_code == 422
    assert client.post("/student/hulp", data={"jobcoach": "x"}).status_code == 422
    # A learner without a school cannot pick a coordinator (there is no school of theirs).
    coordinator = make.coordinator(make.school())
    db.session.commit()
    assert (
        client.post("/student/hulp", data={"coordinator": str(coordinator.id)}).status_code == 422
    )
    assert db.session.scalar(select(ActingConsent.id)) is None


# --- the coach acts ---------------------------------------------------------------------------------


def test_with_consent_the_job_coach_applies_and_the_learner_is_told(client, auth, make, outbox):
    world = _world(make)
    _grant(client, auth, world)
    _login(auth, world["coach"])
    home = client.get("/jobcoach/")
    assert home.status_code == 200 and "Amal Haddad" in home.text
    assert client.get("/home").headers["Location"].endswith("/jobcoach/")
    assert "Amal Haddad" not in client.get("/jobcoach/?zoek=piet").text
    page = client.get(f"/jobcoach/namens/{world['learner'].profile.id}")
    assert page.status_code == 200 and "Lasser BBL" in page.text
    assert _apply_for(client, auth, world).status_code == 302
    [application] = _applications(world)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "application.submit", AuditEvent.object_id == application.id))  # fmt: skip
    detail = json.loads(event.detail)
    assert event.actor_id == world["coach"].id
    assert detail["submitted_by"] == "Sanne de Wit" and detail["on_behalf_of"] == "Amal Haddad"
    notification = db.session.scalar(
        select(Notification).where(Notification.user_id == world["learner"].id,
                                   Notification.kind == "application_on_behalf")
    )  # fmt: skip
    assert notification is not None and "Sanne de Wit" in notification.text
    [mail] = [m for m in outbox() if m["To"] == world["learner"].email]
    assert "jobcoach" in mail["Subject"]  # not "je stagecoördinator"
    # The learner and the company see who submitted it.
    _login(auth, world["learner"])
    text = client.get("/student/sollicitaties").text.replace("<bdi>", "").replace("</bdi>", "")
    assert "Ingediend door Sanne de Wit namens" in text


def test_without_consent_the_job_coach_cannot_reach_the_learner(client, auth, make):
    world = _world(make)
    _grant(client, auth, world)  # to the coach, not to the other one
    _login(auth, world["other"])
    assert "Amal Haddad" not in client.get("/jobcoach/").text
    assert client.get(f"/jobcoach/namens/{world['learner'].profile.id}").status_code == 404
    assert _apply_for(client, auth, world, user=world["other"]).status_code == 404
    assert _applications(world) == []


def test_an_expired_consent_is_refused_to_the_job_coach(client, auth, make):
    world = _world(make)
    _grant(client, auth, world)
    consent = db.session.scalar(select(ActingConsent))
    consent.expires_on = today() - timedelta(days=1)
    db.session.commit()
    _login(auth, world["coach"])
    assert client.get(f"/jobcoach/namens/{world['learner'].profile.id}").status_code == 403
    assert _apply_for(client, auth, world).status_code == 403
    assert _applications(world) == []


def test_the_learners_rules_still_apply_to_the_job_coach(client, auth, make):
    world = _world(make)
    _grant(client, auth, world)
    assert _apply_for(client, auth, world).status_code == 302
    response = _apply_for(client, auth, world)
    assert response.status_code == 422 and "al op deze plek gesolliciteerd" in response.text
    short = client.post(
        f"/jobcoach/namens/{world['learner'].profile.id}/plek/{world['place'].id}",
        data={"motivation": "kort"},
    )
    assert short.status_code == 422 and "kort" in short.text
    assert len(_applications(world)) == 1


def test_a_job_coach_cannot_use_the_coordinator_pages(client, auth, make):
    world = _world(make)
    _grant(client, auth, world)
    _login(auth, world["coach"])
    assert client.get("/coordinator/namens").status_code == 403
    assert client.get(f"/coordinator/namens/{world['learner'].profile.id}").status_code == 403


# --- the administrator invites ----------------------------------------------------------------------


def test_an_administrator_invites_a_job_coach_who_chooses_a_password(client, auth, make, outbox):
    admin = make.admin()
    db.session.commit()
    _login(auth, admin)
    assert "Jobcoach uitnodigen" in client.get("/beheer/gebruikers").text
    form = {"name": "Fatima El Amrani", "email": "Fatima@Gemeente.nl",
            "organisation": "Gemeente Enschede"}  # fmt: skip
    response = client.post("/beheer/gebruikers/jobcoach", data=form)
    assert response.status_code == 302, response.text
    coach = db.session.scalar(select(User).where(User.email == "fatima@gemeente.nl"))
    assert coach.role == Role.JOB_COACH and coach.organisation == "Gemeente Enschede"
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "user.invite_job_coach",
                                    AuditEvent.actor_id == admin.id)
    )  # fmt: skip
    [mail] = outbox()
    assert mail["To"] == "fatima@gemeente.nl"
    link = "/" + mailed_link(mail, "/account/wachtwoord/").split("/", 3)[3]
    # The same address again: the form back with a Dutch message, no second account.
    again = client.post("/beheer/gebruikers/jobcoach", data=form)
    assert again.status_code == 422 and "Fatima@Gemeente.nl" in again.text
    empty = client.post("/beheer/gebruikers/jobcoach", data={"name": "", "email": "x"})
    assert empty.status_code == 422
    # The administrator can send the invitation again from the user's page.
    assert "Uitnodiging opnieuw sturen" in client.get(f"/beheer/gebruikers/{coach.id}").text
    # The coach chooses a password through the link and lands on the job coach home.
    auth.logout()
    secret = "een-lang-wachtwoord-9"
    page = client.post(link, data={"password": secret, "password2": secret})
    assert page.status_code == 302, page.text
    assert client.get("/jobcoach/").status_code == 200


def test_only_an_administrator_invites_job_coaches(client, auth, make):
    coordinator = make.coordinator()
    db.session.commit()
    _login(auth, coordinator)
    assert client.get("/beheer/gebruikers/jobcoach").status_code == 403


# --- demo -------------------------------------------------------------------------------------------


def test_the_demo_has_job_coaches_and_a_learner_without_a_school_who_asked_one_for_help(app):
    from stagematch.demo import generate

    summary = generate(students=300, companies=80, seed=18)
    db.session.expire_all()
    coaches = db.session.scalars(select(User).where(User.role == Role.JOB_COACH)).all()
    assert len(coaches) == 2 and all(c.organisation for c in coaches)
    assert all(c.check_password(summary.password) for c in coaches)
    [consent] = db.session.scalars(select(ActingConsent)).all()
    assert consent.helper in coaches and consent.student.school_id is None
    assert consent.expires_on > today()
    assert sum(role == "jobcoach" for role, _email, _note in summary.logins) == 2


def test_the_chosen_helper_is_told_with_a_link_to_the_learner(app, client, auth, make, outbox):
    """A learner who asks for help waits for it: the job coach (or coordinator) they chose gets a
    notification that links to the learner's page; choosing the same helper again tells nobody
    twice."""
    from tests.test_notifications import check_sent

    world = _world(make)
    _grant(client, auth, world)
    notification = check_sent(
        app, client, outbox, world["coach"], "help_requested",
        repeat=lambda: _grant(client, auth, world),
    )  # fmt: skip
    assert notification.url == f"/jobcoach/namens/{world['learner'].profile.id}"
    student = make.student()
    coordinator = make.coordinator(student.school)
    db.session.commit()
    _login(auth, student)
    assert (
        client.post("/student/hulp", data={"coordinator": str(coordinator.id)}).status_code == 302
    )
    told = check_sent(app, client, outbox, coordinator, "help_requested")
    assert told.url == f"/coordinator/namens/{student.profile.id}"


def test_a_helper_is_shown_only_places_the_rules_allow_the_learner(client, auth, make):
    """Match integrity (issue 14) on the helpers' paths: the job coach's and the coordinator's
    list of places for a learner is the learner's own search under the rules — a BBL switcher is
    not offered a BOL stage of the same qualification, nor a place without a free seat."""
    world = _world(make)
    company, kok = world["company"], world["place"].qualifications[0]
    bol = make.placement(company, make.meester(company, capacity=3), title="Lasser stage BOL",
                         leerweg=Leerweg.BOL, qualification=kok)  # fmt: skip
    full = make.placement(company, make.meester(company, capacity=3), title="Lasser vol",
                          leerweg=Leerweg.BBL, qualification=kok, seats=0,
                          days_per_week=4, hours_per_week=32,
                          pay_per_month=world["place"].pay_per_month, wage_age=ADULT,
                          for_switchers=True, start_date=world["place"].start_date)  # fmt: skip
    db.session.commit()
    _grant(client, auth, world)
    _login(auth, world["coach"])
    page = client.get(f"/jobcoach/namens/{world['learner'].profile.id}").text
    assert "Lasser BBL" in page
    assert bol.title not in page and full.title not in page

    student = make.student(leerweg=Leerweg.BBL, qualification=kok)
    coordinator = make.coordinator(student.school)
    db.session.commit()
    _login(auth, student)
    assert (
        client.post("/student/hulp", data={"coordinator": str(coordinator.id)}).status_code == 302
    )
    _login(auth, coordinator)
    listed = client.get(f"/coordinator/namens/{student.profile.id}").text
    assert bol.title not in listed and full.title not in listed

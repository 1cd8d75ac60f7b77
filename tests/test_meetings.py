"""The three meetings of a placement (issue 17): planned by any party with a date and who attends,
moved until held, notes afterwards by school or company, missed ones shown and flagged, the other
parties told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application, AuditEvent, Flag, Meeting, Notification
from stagematch.services import applications as application_service
from stagematch.services import meetings
from stagematch.services.flags import refresh_flags
from stagematch.timeutil import today
from tests.test_notifications import check_sent


@pytest.fixture
def world(make):
    company = make.company(name="Bakkerij Bol")
    owner = make.company_user(company)
    meester = make.meester(company, capacity=3, name="Jan Meester")
    place = make.placement(company, meester, seats=2, title="Stage bakkerij")
    student = make.student(name="Sanne Student")
    coordinator = make.coordinator(student.school)
    db.session.commit()
    application = Application(student=student.profile, placement=place, motivation="Graag.")
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date = today() - timedelta(days=3)
    internship.end_date = internship.start_date + timedelta(weeks=20)
    db.session.commit()
    return dict(owner=owner, student=student, coordinator=coordinator, internship=internship,
                company=company)  # fmt: skip


def _plan(client, internship, kind="start", day=None, **extra):
    data = {"planned_on": (day or today() + timedelta(days=2)).isoformat(), "with_student": "y",
            "with_meester": "y", "school_contact": "", "extra": "", **extra}  # fmt: skip
    return client.post(f"/stage/{internship.id}/gesprekken/{kind}", data=data)


def test_the_student_plans_the_start_meeting_and_the_others_are_told(
    app, client, auth, world, outbox
):
    internship, coordinator = world["internship"], world["coordinator"]
    auth.login(world["student"])
    form = client.get(f"/stage/{internship.id}/gesprekken/start")
    assert form.status_code == 200 and "Jan Meester" in form.text
    response = _plan(client, internship, school_contact=coordinator.name, extra="Mijn moeder")
    assert response.status_code == 302 and response.headers["Location"].endswith("#gesprekken")
    db.session.expire_all()
    [meeting] = db.session.scalars(select(Meeting)).all()
    assert meeting.kind == "start" and meeting.planned_on == today() + timedelta(days=2)
    attendees = meetings.Attendees.from_text(meeting.attendees)
    assert attendees.names() == ["Sanne Student", "Jan Meester", coordinator.name, "Mijn moeder"]
    page = client.get(f"/stage/{internship.id}").text
    assert "Gepland op" in page and "Mijn moeder" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.plan"))
    # The company and the school hear of it, the student (who planned it) does not.
    assert not db.session.scalars(
        select(Notification).where(Notification.user_id == world["student"].id)
    ).all()
    assert db.session.scalar(
        select(Notification).where(Notification.user_id == world["owner"].id,
                                   Notification.kind == "meeting_planned")
    )  # fmt: skip
    client.post("/account/uitloggen")
    check_sent(app, client, outbox, coordinator, "meeting_planned",
               repeat=lambda: meetings._tell_others(internship, meeting, side="student", moved=False))  # fmt: skip


def test_moving_the_date_tells_the_others_again_until_the_meeting_is_held(
    client, auth, world, outbox
):
    internship = world["internship"]
    auth.login(world["owner"])
    assert _plan(client, internship, kind="midway").status_code == 302
    moved = today() + timedelta(days=9)
    assert _plan(client, internship, kind="midway", day=moved).status_code == 302
    db.session.expire_all()
    student_notes = db.session.scalars(
        select(Notification).where(Notification.user_id == world["student"].id)
    ).all()
    assert len(student_notes) == 2  # planned, then moved
    assert [m for m in outbox() if world["student"].email in m["To"]][-1]
    meeting = db.session.scalar(select(Meeting))
    assert meeting.planned_on == moved
    meeting.planned_on = today() - timedelta(days=1)
    meeting.held_on = today() - timedelta(days=1)
    db.session.commit()
    response = _plan(client, internship, kind="midway", day=today() + timedelta(days=3))
    assert response.status_code == 422 and "al gehouden" in response.text
    db.session.expire_all()
    assert db.session.scalar(select(Meeting)).planned_on == today() - timedelta(days=1)


def test_bad_dates_and_no_attendees_give_the_form_back(client, auth, world):
    internship = world["internship"]
    auth.login(world["coordinator"])
    past = _plan(client, internship, day=today() - timedelta(days=1))
    assert past.status_code == 422 and "vanaf vandaag" in past.text
    far = _plan(client, internship, day=today() + timedelta(days=400))
    assert far.status_code == 422 and "Kies een datum tussen" in far.text
    nobody = client.post(f"/stage/{internship.id}/gesprekken/start",
                         data={"planned_on": (today() + timedelta(days=1)).isoformat(),
                               "school_contact": "", "extra": "  "})  # fmt: skip
    assert nobody.status_code == 422 and "Kies wie er bij het gesprek zijn" in nobody.text
    garbage = _plan(client, internship, planned_on="31-02-2027", extra="Oma")
    assert garbage.status_code == 422 and 'value="Oma"' in garbage.text
    assert client.get(f"/stage/{internship.id}/gesprekken/koffie").status_code == 404
    assert db.session.scalars(select(Meeting)).all() == []


def test_notes_after_the_meeting_by_school_or_company_not_by_the_student(client, auth, world):
    internship = world["internship"]
    auth.login(world["owner"])
    assert _plan(client, internship).status_code == 302
    meeting = db.session.scalar(select(Meeting))
    meeting.planned_on = today() - timedelta(days=1)
    db.session.commit()
    future = client.post(f"/stage/{internship.id}/gesprekken/start/verslag",
                         data={"held_on": (today() + timedelta(days=1)).isoformat(), "notes": "Goed."})  # fmt: skip
    assert future.status_code == 422 and "toekomst" in future.text
    done = client.post(f"/stage/{internship.id}/gesprekken/start/verslag",
                       data={"held_on": today().isoformat(), "notes": "Afspraken over leerdoelen."})  # fmt: skip
    assert done.status_code == 302
    auth.logout()
    auth.login(world["student"])
    page = client.get(f"/stage/{internship.id}").text
    assert "Gehouden op" in page and "Afspraken over leerdoelen." in page
    refused = client.post(f"/stage/{internship.id}/gesprekken/start/verslag",
                          data={"held_on": today().isoformat(), "notes": "Zelf geschreven."})  # fmt: skip
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(Meeting)).notes == "Afspraken over leerdoelen."


def test_missed_meetings_show_on_the_page_and_in_the_flags(client, auth, world):
    internship = world["internship"]
    # Week 3 began and no start meeting is planned: missed.
    internship.start_date = today() - timedelta(days=15)
    db.session.commit()
    auth.login(world["student"])
    assert "Gemist" in client.get(f"/stage/{internship.id}").text
    missed = meetings.missed_for_school(world["student"].school)
    assert [(m.internship_id, m.kind, m.planned_on) for m in missed] == [
        (internship.id, "start", None)
    ]
    # Planned (in time now), then its date passes by more than 7 days without being held.
    db.session.add(Meeting(internship_id=internship.id, kind="start",
                           planned_on=today() - timedelta(days=8), attendees="{}"))  # fmt: skip
    db.session.add(Meeting(internship_id=internship.id, kind="midway",
                           planned_on=today() - timedelta(days=7), attendees="{}"))  # fmt: skip
    db.session.commit()
    missed = meetings.missed_for_school(world["student"].school)
    assert [(m.kind, m.planned_on) for m in missed] == [("start", today() - timedelta(days=8))]
    page = client.get(f"/stage/{internship.id}").text
    assert page.count("Gemist") == 1
    assert refresh_flags(world["student"].school) >= 1
    flag = db.session.scalar(select(Flag).where(Flag.kind == "meeting_missed"))
    assert flag is not None and flag.internship_id == internship.id
    assert refresh_flags(world["student"].school) == 0  # once


def test_suggested_dates_fall_in_their_windows(world):
    internship = world["internship"]
    internship.start_date = today() + timedelta(days=10)
    internship.end_date = internship.start_date + timedelta(weeks=20)
    for kind in meetings.KINDS:
        first, last = meetings.window(internship, kind)
        assert first <= meetings.suggested_date(internship, kind) <= last
        assert meetings.suggested_date(internship, kind).weekday() < 5
    assert meetings.window(internship, "start")[1] == internship.start_date + timedelta(days=13)
    assert meetings.window(internship, "final")[0] == internship.end_date - timedelta(days=13)

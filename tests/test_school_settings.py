"""A coordinator records the school's BRIN code, which the BRON export needs (the shipped register
has none yet): validated, audited, and only for their own school."""

from __future__ import annotations

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import AuditEvent, School


def test_a_coordinator_sets_the_brin_of_their_school(client, make, auth):
    coordinator = make.coordinator()
    auth.login(coordinator)
    school = coordinator.school
    page = client.get("/coordinator/school")
    assert page.status_code == 200 and "BRIN" in page.text

    bad = client.post("/coordinator/school", data={"brin": "12 34"})
    assert bad.status_code == 422 and "12 34" in bad.text and "twee cijfers" in bad.text
    db.session.refresh(school)
    assert school.brin is None

    ok = client.post("/coordinator/school", data={"brin": "25lh"})
    assert ok.status_code == 302
    db.session.refresh(school)
    assert school.brin == "25LH"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "school.brin"))


def test_a_brin_already_used_by_another_school_is_refused(client, make, auth):
    coordinator = make.coordinator()
    other = db.session.scalar(select(School).where(School.id != coordinator.school_id))
    other.brin = "30AB"
    db.session.commit()
    auth.login(coordinator)
    answer = client.post("/coordinator/school", data={"brin": "30AB"})
    assert answer.status_code == 422 and "al gebruikt" in answer.text
    db.session.refresh(coordinator.school)
    assert coordinator.school.brin is None


def test_the_bron_page_asks_for_the_brin_while_the_school_has_none(client, make, auth):
    coordinator = make.coordinator()
    auth.login(coordinator)
    assert 'href="/coordinator/school"' in client.get("/coordinator/stages/bron").text
    coordinator.school.brin = "25LH"
    db.session.commit()
    assert 'href="/coordinator/school"' not in client.get("/coordinator/stages/bron").text

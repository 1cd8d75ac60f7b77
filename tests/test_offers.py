"""Hiring by consent: the company offers, the student accepts or declines before the respond-by
date, unanswered offers expire (daily job); applying and offering follow the eligibility rules."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Application, AuditEvent, Internship
from stagematch.models.enums import ApplicationStatus
from stagematch.services import DomainError
from stagematch.services import applications as service
from stagematch.services.capacity import free_seats
from stagematch.timeutil import today


@pytest.fixture
def world(make):
    company = make.company()
    owner = make.company_user(company)
    meester = make.meester(company, capacity=3)
    place = make.placement(company, meester, seats=2, title="Stage keuken")
    db.session.commit()
    return dict(company=company, owner=owner, meester=meester, place=place)


def _apply(make, place, **student) -> Application:
    profile = make.student(**student).profile
    db.session.commit()
    return service.apply(student=profile, placement=place, motivation="Graag.")


def _in(days: int) -> date:
    return today() + timedelta(days=days)


def _mails_to(outbox, address: str) -> list:
    return [m for m in outbox() if address in m["To"]]


def test_an_offer_holds_a_seat_until_answered_and_is_audited(make, world, outbox):
    application = _apply(make, world["place"])
    assert free_seats(world["place"]) == 2
    service.make_offer(application.id, respond_by=_in(7), by=world["owner"])
    assert application.status == ApplicationStatus.OFFERED
    assert application.respond_by == _in(7) and application.offered_at is not None
    assert free_seats(world["place"]) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.offer"))
    assert event.object_id == application.id and event.actor_id == world["owner"].id
    [mail] = _mails_to(outbox, application.student.user.email)
    body = mail.get_content()
    assert "Stage keuken" in body and "ouder of voogd" not in body
    with pytest.raises(DomainError, match="aanbod gedaan"):
        service.make_offer(application.id, respond_by=_in(7))


def test_a_minor_is_told_to_discuss_it_and_the_school_is_informed(
    client, auth, make, world, outbox
):
    coordinator = make.coordinator()
    application = _apply(make, world["place"], birth_date=today().replace(year=today().year - 16))
    service.make_offer(application.id, respond_by=_in(7))
    [mail] = _mails_to(outbox, application.student.user.email)
    body = mail.get_content()
    assert "jonger dan 18" in body and "ouder of voogd" in body
    assert "stagecoördinator van je school" in body
    [school_mail] = _mails_to(outbox, coordinator.email)
    assert "minderjarig" in school_mail["Subject"]
    assert f"/coordinator/studenten/{application.student_id}" in school_mail.get_content()
    auth.login(application.student.user)
    page = client.get("/student/sollicitaties").text
    assert "jonger dan 18" in page and "ouder of voogd" in page


def test_without_a_coordinator_the_mail_does_not_claim_one_was_told(make, world, outbox):
    application = _apply(make, world["place"], birth_date=today().replace(year=today().year - 17))
    service.make_offer(application.id, respond_by=_in(7))
    body = _mails_to(outbox, application.student.user.email)[0].get_content()
    assert "jonger dan 18" in body and "stagecoördinator" not in body
    assert "Je school ziet dit aanbod ook" in body


def test_the_student_declines_the_seat_is_free_and_the_company_is_told(
    client, auth, make, world, outbox
):
    application = _apply(make, world["place"])
    service.make_offer(application.id, respond_by=_in(5))
    auth.login(application.student.user)
    page = client.get("/student/sollicitaties").text
    assert "Reageer uiterlijk op" in page and "Afslaan" in page
    response = client.post(f"/student/sollicitaties/{application.id}/aanbod-afslaan")
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status == ApplicationStatus.DECLINED
    assert free_seats(world["place"]) == 2
    assert any("afgeslagen" in m["Subject"] for m in _mails_to(outbox, world["owner"].email))
    # Answering twice changes nothing.
    page = client.post(f"/student/sollicitaties/{application.id}/aanbod-aannemen",
                       follow_redirects=True).text  # fmt: skip
    assert "al afgehandeld" in page
    assert db.session.scalar(select(func.count(Internship.id))) == 0


def test_the_accept_form_ticks_every_other_open_application_and_honours_unticking(
    client, auth, make, world
):
    application = _apply(make, world["place"])
    student = application.student
    other_company = make.company()
    elsewhere = make.placement(other_company, make.meester(other_company), title="Stage elders")
    other = Application(student=student, placement=elsewhere, motivation="")
    db.session.add(other)
    db.session.commit()
    service.make_offer(application.id, respond_by=_in(7))
    auth.login(student.user)
    page = client.get("/student/sollicitaties").text
    assert f'name="aanbod{application.id}-withdraw"' in page
    assert re.search(
        rf'<input checked [^>]*name="aanbod{application.id}-withdraw"[^>]*value="{other.id}"', page
    )
    # Submitted with the box unticked: the other application stays open.
    response = client.post(f"/student/sollicitaties/{application.id}/aanbod-aannemen",
                           data={"aanbod-marker": "1"})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.ACCEPTED
    assert db.session.get(Application, other.id).status == ApplicationStatus.SUBMITTED


def test_an_expired_offer_frees_its_seat_is_refused_and_the_job_tells_both(
    app, make, world, outbox
):
    application = _apply(make, world["place"])
    service.make_offer(application.id, respond_by=_in(1))
    application.respond_by = _in(-1)  # two days later
    db.session.commit()
    assert free_seats(world["place"]) == 2
    with pytest.raises(DomainError, match="verlopen"):
        service.accept_offer(application.id)
    result = app.test_cli_runner().invoke(args=["expire-offers"])
    assert result.exit_code == 0, result.output
    assert "1 aanbiedingen verlopen" in result.output
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.status == ApplicationStatus.EXPIRED
    assert any(
        "verlopen" in m["Subject"] for m in _mails_to(outbox, application.student.user.email)
    )
    assert any("verlopen" in m["Subject"] for m in _mails_to(outbox, world["owner"].email))
    with pytest.raises(DomainError):
        service.accept_offer(application.id)
    # The next day there is nothing left to do.
    assert "0 aanbiedingen verlopen" in app.test_cli_runner().invoke(args=["expire-offers"]).output


def test_an_offer_still_within_its_date_is_left_alone_by_the_job(make, world):
    application = _apply(make, world["place"])
    service.make_offer(application.id, respond_by=_in(1))
    assert service.expire_offers() == []
    assert service.expire_offers(on=_in(2))[0].id == application.id


def test_applying_follows_the_rules_and_a_second_application_is_refused(make, world):
    kok = make.qualification("25180")
    with pytest.raises(DomainError, match="andere opleiding"):
        _apply(make, world["place"], qualification=kok)
    application = _apply(make, world["place"])
    with pytest.raises(DomainError, match="al op deze plek gesolliciteerd"):
        service.apply(student=application.student, placement=world["place"], motivation="")


def test_a_double_insert_hits_the_constraint_and_becomes_a_clear_message(make, world, monkeypatch):
    """What a second simultaneous submit meets: its existence check passed before the first
    insert committed, so the unique constraint refuses the insert."""
    application = _apply(make, world["place"])
    calls = []

    def not_yet_then_yes(*args):
        calls.append(args)
        return len(calls) > 1

    monkeypatch.setattr(service, "_already_applied", not_yet_then_yes)
    with pytest.raises(DomainError, match="al op deze plek gesolliciteerd"):
        service.apply(student=application.student, placement=world["place"], motivation="")
    assert len(calls) == 2
    assert db.session.scalar(select(func.count(Application.id))) == 1

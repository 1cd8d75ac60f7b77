"""Notifications: every kind is sent once, to the right person, in their language, with a link that
works for them; the user's choice (mail, daily overview, site only); the in-site list; answers
within a deadline (reminders, expiry) by an idempotent nightly job; no view sends mail."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import AllocationRound, Application, Notification, User
from stagematch.models.enums import ApplicationStatus
from stagematch.services import allocation_rounds as rounds
from stagematch.services import applications as service
from stagematch.services import notifications
from stagematch.services.notifications import absolute, notify
from stagematch.timeutil import today
from tests.conftest import OK, run_together

ROOT = Path(__file__).resolve().parent.parent


# --- helpers ------------------------------------------------------------------------------------


def _clear(app) -> None:
    shutil.rmtree(app.config["MAIL_FILE_PATH"], ignore_errors=True)


def _mails_to(outbox, user: User) -> list:
    return [m for m in outbox() if user.email in m["To"]]


def _days_ago(days: int) -> datetime:
    return datetime.combine(today() - timedelta(days=days), time(9, 0))


def _login(client, user: User) -> None:
    client.post("/account/uitloggen")
    db.session.commit()
    response = client.post(
        "/account/inloggen", data={"email": user.email, "password": "goed-wachtwoord-123"}
    )
    assert response.status_code == 302


def check_sent(app, client, outbox, user: User, kind: str, *, repeat=None) -> Notification:
    """`user` has exactly one notification of `kind` and got one mail, in their language, whose
    link is the notification's page; opening it from the list marks it read and the page answers
    200 for them. `repeat` (the same trigger again) makes no second notification or mail."""
    db.session.expire_all()
    [notification] = db.session.scalars(
        select(Notification).where(Notification.kind == kind, Notification.user_id == user.id)
    ).all()
    mails = _mails_to(outbox, user)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    body = mails[0].get_content()
    assert absolute(notification.url) in body, body
    assert notification.url.startswith("/") and notification.mailed_at is not None
    if user.locale == "en":
        assert "Hello" in body and "Hallo" not in body, body
    else:
        assert "Hallo" in body, body
    if repeat is not None:
        repeat()
        db.session.expire_all()
        assert len(_mails_to(outbox, user)) == 1
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.kind == kind, Notification.user_id == user.id
                )
            )
            == 1
        )
    _login(client, user)
    listed = client.get("/meldingen").text
    assert f"/meldingen/{notification.id}" in listed
    response = client.get(f"/meldingen/{notification.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == notification.url
    page = client.get(notification.url.split("#")[0])
    assert page.status_code == 200, notification.url
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).read_at is not None
    client.post("/account/uitloggen")
    return notification


@pytest.fixture
def world(make):
    company = make.company(name="Bakkerij Bol")
    owner = make.company_user(company)
    meester = make.meester(company, capacity=3)
    place = make.placement(company, meester, seats=2, title="Stage bakkerij")
    student = make.student()
    coordinator = make.coordinator(student.school)
    db.session.commit()
    return dict(company=company, owner=owner, meester=meester, place=place, student=student,
                coordinator=coordinator)  # fmt: skip


def _apply(world, student: User | None = None) -> Application:
    profile = (student or world["student"]).profile
    return service.apply(student=profile, placement=world["place"], motivation="Graag.")


def _english(*users: User) -> None:
    for user in users:
        user.locale = "en"
    db.session.commit()


# --- the core: once, channels, who gets nothing -------------------------------------------------


def test_notify_sends_once_per_user_kind_and_subject(app, world, outbox):
    student = world["student"]
    message = notifications.phrase("Test %(title)s", title="één")
    first = notify(student, "application_rejected", "application:1", message, "/student/")
    assert first is not None and first.channel == "mail" and first.mailed_at is not None
    assert notify(student, "application_rejected", "application:1", message, "/student/") is None
    assert len(_mails_to(outbox, student)) == 1
    # Another subject, or another kind, is another notification.
    assert notify(student, "application_rejected", "application:2", message, "/student/")
    assert notify(student, "application_shortlisted", "application:1", message, "/student/")
    assert len(_mails_to(outbox, student)) == 3


def test_notify_is_race_safe(app, world, outbox):
    """Two simultaneous calls (two workers running the nightly job): one row, one mail."""
    student_id = world["student"].id

    def send():
        user = db.session.get(User, student_id)
        notify(user, "offer_expiring", "application:9", notifications.phrase("Test"), "/student/")

    assert run_together(app, [send, send, send]) == [OK, OK, OK]
    assert db.session.scalar(select(func.count(Notification.id))) == 1
    assert len(_mails_to(outbox, world["student"])) == 1


def test_refuses_urls_that_leave_the_site_and_unknown_kinds(world):
    student = world["student"]
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""):
        with pytest.raises(ValueError):
            notify(student, "application_rejected", "x", notifications.phrase("x"), url)
    with pytest.raises(ValueError):
        notify(student, "no_such_kind", "x", notifications.phrase("x"), "/student/")


def test_deactivated_and_anonymised_users_and_deactivated_companies_get_nothing(world, outbox):
    from stagematch.timeutil import utcnow

    student, owner = world["student"], world["owner"]
    student.is_active_account = False
    world["company"].deactivated_at = utcnow()
    db.session.commit()
    assert notify(student, "application_rejected", "a", notifications.phrase("x"), "/") is None
    assert notify(owner, "application_received", "a", notifications.phrase("x"), "/") is None
    assert outbox() == [] and db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_kind_meant_for_another_role_is_not_sent(world, outbox):
    made = notify(world["student"], "application_received", "a", notifications.phrase("x"), "/")
    assert made is None
    assert outbox() == []


def test_site_only_and_digest_are_not_mailed_at_once_and_the_digest_goes_out_once(
    app, client, world, outbox
):
    student = world["student"]
    student.notification_settings = {"application_rejected": "digest",
                                     "application_shortlisted": "site"}  # fmt: skip
    db.session.commit()
    first = notify(
        student,
        "application_rejected",
        "a:1",
        notifications.phrase("Eerste"),
        "/student/sollicitaties",
    )
    notify(student, "application_rejected", "a:2", notifications.phrase("Tweede"), "/student/")
    site = notify(
        student, "application_shortlisted", "a:1", notifications.phrase("Site"), "/student/"
    )
    assert first.channel == "digest" and site.channel == "site"
    assert outbox() == []
    assert notifications.send_digests() == 1
    [mail] = outbox()
    body = mail.get_content()
    assert "Eerste" in body and "Tweede" in body and "Site" not in body
    assert absolute("/student/sollicitaties") in body and absolute("/meldingen") in body
    # The next day: nothing new, nothing sent; the site-only one never goes out.
    _clear(app)
    assert notifications.send_digests() == 0 and outbox() == []
    db.session.expire_all()
    assert db.session.get(Notification, site.id).mailed_at is None


def test_the_digest_is_in_the_users_language(app, world, outbox):
    student = world["student"]
    student.locale = "en"
    student.notification_settings = {"application_rejected": "digest"}
    db.session.commit()
    notify(student, "application_rejected", "a:1", notifications.phrase("Eerste"), "/student/")
    notifications.send_digests()
    [mail] = outbox()
    assert "Hello" in mail.get_content()


# --- every kind: once, to the right person, in their language, with a working link -------------


def test_application_received_goes_to_every_company_user(app, client, make, world, outbox):
    colleague = make.company_user(world["company"])
    _english(colleague)
    application = _apply(world)
    for user in (world["owner"], colleague):
        check_sent(app, client, outbox, user, "application_received",
                   repeat=lambda: service._tell_company(application, "application_received"))  # fmt: skip
    assert not _mails_to(outbox, world["student"])


def test_shortlisted_and_rejected_tell_the_student(app, client, make, world, outbox):
    application = _apply(world)
    other = make.student()
    _english(world["student"])
    rejected = _apply(world, other)
    _clear(app)
    service.shortlist(application, by=world["owner"])
    check_sent(app, client, outbox, world["student"], "application_shortlisted",
               repeat=lambda: service._tell_student(application, "application_shortlisted"))  # fmt: skip
    service.reject(rejected, reason="skills", note="Nog te weinig ervaring.")
    notification = check_sent(app, client, outbox, other, "application_rejected")
    assert "Bakkerij Bol" in notification.text
    assert not _mails_to(outbox, world["owner"])


def test_invitation_to_apply(app, client, make, world, outbox):
    profile = world["student"].profile
    assert service.invite_to_apply(placement=world["place"], profile=profile, by=world["owner"])
    check_sent(app, client, outbox, world["student"], "place_invitation",
               repeat=lambda: service.invite_to_apply(placement=world["place"], profile=profile))  # fmt: skip


def test_application_on_behalf_tells_the_student(app, client, make, world, outbox):
    """A coordinator applied with the student's consent (services/acting.py): the student is told."""
    from stagematch.services import acting

    _english(world["student"])
    acting.grant(student=world["student"].profile, coordinator_id=world["coordinator"].id)
    _clear(app)
    service.apply(student=world["student"].profile, placement=world["place"],
                  motivation="Ik wil graag bakken leren.", by=world["coordinator"])  # fmt: skip
    notification = check_sent(app, client, outbox, world["student"], "application_on_behalf")
    assert world["coordinator"].name in notification.text


def test_offer_made_and_a_minor_tells_the_coordinator(app, client, make, world, outbox):
    minor = make.student(birth_date=today().replace(year=today().year - 16))
    coordinator = make.coordinator(minor.school)
    _english(minor, coordinator)
    application = _apply(world, minor)
    _clear(app)
    service.make_offer(application.id, respond_by=today() + timedelta(days=7))
    check_sent(app, client, outbox, minor, "offer_made",
               repeat=lambda: service._notify_offer_made(application, minor=True))  # fmt: skip
    check_sent(app, client, outbox, coordinator, "offer_minor")


def test_offer_expiring_two_days_before_the_date(app, client, world, outbox):
    application = _apply(world)
    service.make_offer(application.id, respond_by=today() + timedelta(days=5))
    _clear(app)
    assert service.warn_expiring_offers() == 0  # five days left: not yet
    assert service.warn_expiring_offers(on=today() + timedelta(days=3)) == 1
    check_sent(app, client, outbox, world["student"], "offer_expiring",
               repeat=lambda: service.warn_expiring_offers(on=today() + timedelta(days=3)))  # fmt: skip


def test_offer_expired_tells_student_and_company(app, client, world, outbox):
    application = _apply(world)
    service.make_offer(application.id, respond_by=today() + timedelta(days=2))
    _english(world["owner"])
    _clear(app)
    assert len(service.expire_offers(on=today() + timedelta(days=3))) == 1
    check_sent(app, client, outbox, world["student"], "offer_expired",
               repeat=lambda: service.expire_offers(on=today() + timedelta(days=3)))  # fmt: skip
    check_sent(app, client, outbox, world["owner"], "offer_expired")


def test_offer_accepted_and_declined(app, client, make, world, outbox):
    application = _apply(world)
    other = make.student()
    declined = _apply(world, other)
    for a in (application, declined):
        service.make_offer(a.id, respond_by=today() + timedelta(days=7))
    _clear(app)
    service.accept_offer(application.id, withdraw_ids=[])
    check_sent(app, client, outbox, world["owner"], "offer_accepted",
               repeat=lambda: service._notify_accepted(application, []))  # fmt: skip
    check_sent(app, client, outbox, world["student"], "offer_accepted")
    _clear(app)
    service.decline_offer(declined.id)
    check_sent(app, client, outbox, world["owner"], "offer_declined")


def test_company_is_reminded_after_7_and_12_days(app, client, world, outbox):
    application = _apply(world)
    application.created_at = _days_ago(6)
    db.session.commit()
    _clear(app)
    assert service.remind_companies() == 0
    application.created_at = _days_ago(7)
    db.session.commit()
    assert service.remind_companies() == 1
    notification = check_sent(app, client, outbox, world["owner"], "application_reminder",
                              repeat=service.remind_companies)  # fmt: skip
    assert notification.subject_key.endswith(":7") and "7" in notification.text
    application.created_at = _days_ago(12)
    db.session.commit()
    _clear(app)
    assert service.remind_companies() == 1
    [mail] = _mails_to(outbox, world["owner"])
    assert "12" in mail.get_content()
    assert service.remind_companies() == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 3  # received, day 7, day 12


def test_unanswered_application_expires_after_the_deadline(app, client, world, outbox):
    """Nightly and idempotent: the day after the answer-by date it expires; student and company
    are told once; a shortlisted (answered) application does not expire."""
    application = _apply(world)
    application.created_at = _days_ago(14)  # answer-by date is today: not yet
    db.session.commit()
    assert service.answer_by(application) == today()
    assert service.expire_unanswered() == []
    application.created_at = _days_ago(15)
    db.session.commit()
    _english(world["student"])
    _clear(app)
    assert [a.id for a in service.expire_unanswered()] == [application.id]
    db.session.refresh(application)
    assert application.status == ApplicationStatus.EXPIRED and not application.is_open
    check_sent(app, client, outbox, world["student"], "application_expired",
               repeat=service.expire_unanswered)  # fmt: skip
    check_sent(app, client, outbox, world["owner"], "application_expired")


def test_answered_applications_do_not_expire_and_expired_ones_are_closed(app, make, world):
    answered = _apply(world)
    service.shortlist(answered)
    answered.created_at = _days_ago(30)
    db.session.commit()
    assert service.expire_unanswered() == []
    # An expired application is closed: the company can no longer answer it, it holds nothing.
    late = _apply(world, make.student())
    late.created_at = _days_ago(20)
    db.session.commit()
    service.expire_unanswered()
    db.session.refresh(late)
    from stagematch.services import DomainError

    with pytest.raises(DomainError):
        service.shortlist(late)
    with pytest.raises(DomainError):
        service.make_offer(late.id, respond_by=today() + timedelta(days=7))


def test_answer_days_come_from_the_config(app, world):
    application = _apply(world)
    app.config["APPLICATION_ANSWER_DAYS"] = 21
    try:
        application.created_at = _days_ago(20)
        db.session.commit()
        assert service.answer_by(application) == today() + timedelta(days=1)
        assert service.expire_unanswered() == []
    finally:
        app.config["APPLICATION_ANSWER_DAYS"] = 14


def test_the_students_applications_page_shows_the_answer_by_date(client, auth, world):
    from stagematch.templating import format_date

    application = _apply(world)
    auth.login(world["student"])
    page = client.get("/student/sollicitaties").text
    assert format_date(service.answer_by(application)) in page


# --- rounds --------------------------------------------------------------------------------------


@pytest.fixture
def cohort(make):
    q = make.qualification()
    students = [make.student(qualification=q, town=t) for t in ("Hengelo", "Enschede", "Almelo")]
    company = make.company(qualifications=[q])
    owner = make.company_user(company)
    meester = make.meester(company, capacity=2)
    places = [make.placement(company, meester, title=f"Plek {n}") for n in (1, 2)]
    coordinator = make.coordinator()
    db.session.commit()
    return dict(q=q, students=students, places=places, owner=owner, coordinator=coordinator)


def _open(cohort):
    return rounds.open_round(
        school=cohort["coordinator"].school, name="Ronde voorjaar", closes_on=today() + timedelta(days=7),
        max_choices=2, cohort=rounds.Cohort(qualification_id=cohort["q"].id),
        created_by=cohort["coordinator"],
    )  # fmt: skip


def test_round_opened_and_closing_soon(app, client, cohort, outbox):
    first = cohort["students"][0]
    _english(first)
    round_ = _open(cohort)
    for user in cohort["students"]:
        check_sent(app, client, outbox, user, "round_opened",
                   repeat=lambda: rounds.notify_round(round_.id, "round_opened"))  # fmt: skip
    _clear(app)
    assert rounds.warn_closing_rounds() == 0  # seven days left
    assert rounds.warn_closing_rounds(on=today() + timedelta(days=5)) == 3
    check_sent(app, client, outbox, first, "round_closing",
               repeat=lambda: rounds.warn_closing_rounds(on=today() + timedelta(days=5)))  # fmt: skip


def test_round_result_placed_and_not_placed_and_the_coordinator_hears_it_was_computed(
    app, client, cohort, outbox
):
    round_ = _open(cohort)
    round_.closes_on = today() - timedelta(days=1)
    db.session.commit()
    _clear(app)
    [(computed, summary)] = rounds.compute_closed_rounds()
    assert summary.assigned == 2 and summary.unassigned == 1
    check_sent(app, client, outbox, cohort["coordinator"], "round_computed")
    _clear(app)
    rounds.publish(round_.id, by=cohort["coordinator"])
    db.session.expire_all()
    round_ = db.session.get(AllocationRound, round_.id)
    unplaced = next(m for m in round_.students if m.assigned_placement_id is None)
    placed = [m for m in round_.students if m.assigned_placement_id is not None]
    for member in placed:
        notification = check_sent(app, client, outbox, member.student.user, "round_result",
                                  repeat=lambda: rounds.notify_round(round_.id, "round_result"))  # fmt: skip
        assert "#sollicitatie-" in notification.url
    notification = check_sent(app, client, outbox, unplaced.student.user, "round_result")
    assert notification.url == "/plekken/" and "geen plek" in notification.text
    # The company of each offered place hears of its offers (one notification per offer).
    owner_notes = db.session.scalars(
        select(Notification).where(Notification.user_id == cohort["owner"].id)
    ).all()
    assert {n.kind for n in owner_notes} == {"offer_made"} and len(owner_notes) == 2


# --- evaluations and flags ----------------------------------------------------------------------


def test_evaluation_due(app, client, make, world, outbox):
    application = _apply(world)
    internship = service.accept(application.id)
    for e in internship.evaluations:
        e.due_date = today() + timedelta(days=3) if e.moment == "midterm" else internship.end_date
    db.session.commit()
    _english(world["owner"])
    _clear(app)
    from stagematch.services.evaluations import send_reminders

    assert send_reminders() == 2
    check_sent(app, client, outbox, world["student"], "evaluation_due")
    check_sent(app, client, outbox, world["owner"], "evaluation_due")


def test_a_discrimination_report_tells_the_coordinators_with_a_link_to_the_flag(
    app, client, make, world, outbox
):
    from stagematch.services.students import report_discrimination

    other_school = make.coordinator(make.school("Deltion College"))
    application = _apply(world)
    _clear(app)
    report_discrimination(application, "Ze vroegen naar mijn geloof.")
    notification = check_sent(app, client, outbox, world["coordinator"], "report_raised")
    assert (
        "Ze vroegen naar mijn geloof." in _mails_to(outbox, world["coordinator"])[0].get_content()
    )
    assert "signal" in notification.url
    assert not _mails_to(outbox, other_school) and not _mails_to(outbox, world["owner"])


def test_other_flags_go_to_the_coordinators_daily_overview(app, client, make, world, outbox):
    from stagematch.services.flags import refresh_flags

    application = _apply(world)
    internship = service.accept(application.id)
    for e in internship.evaluations:  # the midterm evaluations are a week late
        if e.moment == "midterm":
            e.due_date = today() - timedelta(days=7)
    db.session.commit()
    _english(world["coordinator"])
    _clear(app)
    assert refresh_flags(world["coordinator"].school) >= 1
    assert _mails_to(outbox, world["coordinator"]) == []
    notes = db.session.scalars(select(Notification).where(Notification.kind == "flag_raised")).all()
    assert notes and {n.channel for n in notes} == {"digest"}
    assert {n.user_id for n in notes} == {world["coordinator"].id}  # nobody else
    assert refresh_flags(world["coordinator"].school) == 0  # once
    assert notifications.send_digests() == 1
    [mail] = _mails_to(outbox, world["coordinator"])
    assert absolute(notes[0].url) in mail.get_content()
    assert "Hello" in mail.get_content()  # in the coordinator's language
    assert all(n.url.startswith("/coordinator/signalen/") for n in notes)  # the case page
    _login(client, world["coordinator"])
    assert client.get(notes[0].url.split("#")[0]).status_code == 200
    assert notifications.send_digests() == 0


def test_network_invitation_and_its_answer(app, client, make, outbox):
    """Issue 18 audit gap 4: the invited firm hears of the invitation, the inviting firm of the
    answer (accepted here, declined below)."""
    from stagematch.services import networks

    q = make.qualification()
    smithy = make.company(name="Smederij Het Vuur", qualifications=[q])
    joiner = make.company(name="Meubelmakerij Eik", qualifications=[q])
    inviter, invited = make.company_user(smithy), make.company_user(joiner)
    db.session.commit()
    network = networks.create(company=smithy, name="Ambacht Twente", by=inviter)
    networks.invite(network=network, company=smithy, kvk_number=joiner.kvk_number, by=inviter)
    note = check_sent(app, client, outbox, invited, "network_invitation")
    assert note.url == "/leerbedrijf/netwerken"
    assert "Smederij Het Vuur" in note.text and "Ambacht Twente" in note.text
    assert not _mails_to(outbox, inviter)
    networks.accept(network=network, company=joiner, by=invited)
    answer = check_sent(app, client, outbox, inviter, "network_answered")
    assert answer.url == "/leerbedrijf/netwerken" and "Meubelmakerij Eik" in answer.text
    assert "aangenomen" in answer.text


def test_a_declined_network_invitation_tells_the_inviting_firm(make, outbox):
    from stagematch.services import networks

    q = make.qualification()
    smithy = make.company(name="Smederij Het Vuur", qualifications=[q])
    other = make.company(name="Bakkerij Nee", qualifications=[q])
    inviter, invited = make.company_user(smithy), make.company_user(other)
    db.session.commit()
    network = networks.create(company=smithy, name="Ambacht Twente", by=inviter)
    networks.invite(network=network, company=smithy, kvk_number=other.kvk_number, by=inviter)
    networks.leave(network=network, company=other, by=invited)
    [answer] = db.session.scalars(
        select(Notification).where(Notification.kind == "network_answered")
    ).all()
    assert answer.user_id == inviter.id and "afgeslagen" in answer.text
    # Invited again later: a new invitation is a new notification.
    networks.invite(network=network, company=smithy, kvk_number=other.kvk_number, by=inviter)
    assert (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.kind == "network_invitation", Notification.user_id == invited.id
            )
        )
        == 2
    )


def test_every_kind_has_a_test_that_it_is_sent_once_to_the_right_person_with_a_link():
    """A new kind needs a `check_sent` test here (or, for a digest kind, a test like the one
    above): this list is read from the source, not kept by hand."""
    import re
    from pathlib import Path

    source = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    checked = set(re.findall(r'check_sent\([^)]*?,\s*"([a-z_]+)"', source, flags=re.S))
    checked.add("flag_raised")  # the digest test above
    assert set(notifications.KINDS) - checked == set()


# --- the list, the preferences, the menu --------------------------------------------------------


def test_the_list_is_paginated_newest_first_and_only_ones_own(app, client, make, world):
    student = world["student"]
    for n in range(30):
        notify(student, "application_rejected", f"a:{n}", notifications.phrase(f"Melding {n:02}"),
               "/student/sollicitaties")  # fmt: skip
    notify(world["owner"], "application_received", "a:x", notifications.phrase("Niet jouw"), "/")
    _login(client, student)
    page = client.get("/meldingen").text
    assert "Melding 29" in page and "Melding 04" not in page and "Niet jouw" not in page
    assert page.index("Melding 29") < page.index("Melding 28")
    assert "<strong>Melding 29</strong>" in page and "30 ongelezen" in page
    second = client.get("/meldingen?page=2").text
    assert "Melding 00" in second and "Melding 29" not in second
    for hostile in ("99999999999999999999", "-1", "abc", "١"):
        assert client.get(f"/meldingen?page={hostile}").status_code in (200, 302)
    # Someone else's notification does not exist for you.
    foreign = db.session.scalar(
        select(Notification.id).where(Notification.user_id == world["owner"].id)
    )
    assert client.get(f"/meldingen/{foreign}").status_code == 404
    # The unread count in the top menu; "alles gelezen" clears it.
    home = client.get("/student/sollicitaties").text
    assert re.search(r'href="/meldingen"[^>]*>Meldingen <strong class="badge">30</strong>', home)
    assert client.post("/meldingen/alles-gelezen").status_code == 302
    assert 'class="badge">30' not in client.get("/student/sollicitaties").text
    assert "<strong>Melding 29</strong>" not in client.get("/meldingen").text


def test_opening_a_notification_never_redirects_off_site(app, client, world):
    student = world["student"]
    notification = notify(
        student, "application_rejected", "a", notifications.phrase("x"), "/student/"
    )
    notification.url = "//evil.example/steal"  # as if stored by a bug: still refused
    db.session.commit()
    _login(client, student)
    response = client.get(f"/meldingen/{notification.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/meldingen"


def test_the_menu_count_is_one_query_and_only_for_logged_in_users(app, client, world):
    from sqlalchemy import event

    assert "Meldingen" not in client.get("/").text
    _login(client, world["student"])
    statements = []

    def count(conn, cursor, statement, *args):
        if "notification" in statement.lower():
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get("/student/sollicitaties")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "count(" in statements[0].lower()


def test_preferences_per_kind_on_the_account_page(app, client, world, outbox):
    student = world["student"]
    _login(client, student)
    page = client.get("/account/").text
    assert 'name="kind-application_rejected"' in page
    assert 'name="kind-application_received"' not in page  # a company's kind
    response = client.post("/account/meldingen", data={"kind-application_rejected": "site",
                                                       "kind-offer_made": "digest"})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    settings = db.session.get(User, student.id).notification_settings
    assert settings["application_rejected"] == "site" and settings["offer_made"] == "digest"
    # Bad input: the form back with the input and a Dutch message, nothing saved.
    response = client.post("/account/meldingen", data={"kind-application_rejected": "digest",
                                                       "kind-offer_made": "telefoon"})  # fmt: skip
    assert response.status_code == 422
    assert "Kies meteen een mail, dagelijks overzicht of alleen op de site." in response.text
    assert 'value="digest" selected' in response.text
    db.session.expire_all()
    assert db.session.get(User, student.id).notification_settings["application_rejected"] == "site"
    # A kind of another role cannot be set.
    client.post("/account/meldingen", data={"kind-application_received": "site"})
    db.session.expire_all()
    assert "application_received" not in db.session.get(User, student.id).notification_settings


# --- structure -----------------------------------------------------------------------------------


def test_no_view_sends_mail():
    for package in ("places", "companies", "auth", "students", "coordinators", "main", "api"):
        for path in (ROOT / "stagematch" / package).glob("*.py"):
            assert "mailer" not in path.read_text(), path


def test_the_nightly_deadline_job_runs_twice_without_doing_anything_twice(app, world, outbox):
    from stagematch.tasks import nightly_application_deadlines

    application = _apply(world)
    application.created_at = _days_ago(15)
    db.session.commit()
    _clear(app)
    nightly_application_deadlines.call_local()
    first = len(outbox())
    assert first == 2  # the student and the company user
    nightly_application_deadlines.call_local()
    assert len(outbox()) == first


def test_the_company_page_explains_an_expired_unanswered_application(client, auth, make, world):
    """Not "the student did not answer your offer (by –)": the company did not answer in time."""
    from stagematch.templating import format_date

    application = _apply(world)
    waiting = _apply(world, make.student())
    auth.login(world["owner"])
    page = client.get(f"/leerbedrijf/sollicitaties/{waiting.id}").text
    assert f"Antwoord uiterlijk {format_date(service.answer_by(waiting))}" in page
    application.created_at = _days_ago(15)
    db.session.commit()
    service.expire_unanswered()
    page = client.get(f"/leerbedrijf/sollicitaties/{application.id}").text
    assert "niet op tijd op je aanbod gereageerd" not in page
    assert "Je hebt niet binnen 14 dagen geantwoord" in page


def test_a_failing_notification_never_undoes_or_breaks_the_action(world, monkeypatch, outbox):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database went away"))

    application = _apply(world)
    monkeypatch.setattr(notifications, "_insert_once", broken)
    service.shortlist(application)  # no exception
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.SHORTLISTED
    assert _mails_to(outbox, world["student"]) == []


def test_a_mail_that_could_not_be_queued_is_not_marked_mailed(world, monkeypatch):
    from stagematch import mailer

    monkeypatch.setattr(mailer, "send", lambda *args, **kwargs: False)
    made = notify(world["student"], "application_rejected", "a", notifications.phrase("x"), "/")
    db.session.expire_all()
    assert db.session.get(Notification, made.id).mailed_at is None


def test_the_deadline_and_digest_jobs_can_be_run_from_the_command_line(app, runner, world, outbox):
    """For a server without the worker's clock (cron): `flask application-deadlines` and
    `flask send-digests` do what the nightly jobs do, and say how much."""
    application = _apply(world)
    application.created_at = _days_ago(15)
    world["student"].notification_settings = {"application_expired": "digest"}
    db.session.commit()
    result = runner.invoke(args=["application-deadlines"])
    assert result.exit_code == 0, result.output
    assert "Verlopen sollicitaties: 1" in result.output
    db.session.refresh(application)
    assert application.status == ApplicationStatus.EXPIRED
    _clear(app)
    result = runner.invoke(args=["send-digests"])
    assert result.exit_code == 0 and "Dagoverzichten verstuurd: 1" in result.output
    assert len(_mails_to(outbox, world["student"])) == 1
    assert "Dagoverzichten verstuurd: 0" in runner.invoke(args=["send-digests"]).output


def test_the_round_and_flag_jobs_can_be_run_from_the_command_line(runner, make, world):
    """`flask refresh-flags` raises a discrimination report's flag (and tells the coordinator);
    a second run raises nothing."""
    from stagematch.models import DiscriminationReport, Flag

    application = _apply(world)
    db.session.add(DiscriminationReport(application_id=application.id, company_id=world["company"].id,
                                        school_id=world["student"].profile.school_id,
                                        student_id=world["student"].profile.id,
                                        description="Opmerking over mijn afkomst"))  # fmt: skip
    db.session.commit()
    result = runner.invoke(args=["refresh-flags"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.kind == "discrimination")) == 1
    assert "Nieuwe signalen: 0" in runner.invoke(args=["refresh-flags"]).output
    result = runner.invoke(args=["warn-closing-rounds"])
    assert result.exit_code == 0 and "Studenten gewaarschuwd: 0" in result.output

"""Weekly hours (issue 17, item 3): the student logs a week, the meester approves or corrects it,
totals per placement, overdue and missing weeks for the coordinator, and the race between a
student changing a week and the meester approving it (PostgreSQL, real threads)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from stagematch.extensions import db
from stagematch.models import (
    AgreementVersion,
    Application,
    AuditEvent,
    Flag,
    HoursEntry,
    Notification,
)
from stagematch.services import applications as application_service
from stagematch.services import hours
from stagematch.services.flags import refresh_flags
from stagematch.services.notifications import send_digests
from stagematch.timeutil import today, utcnow
from tests.conftest import OK, REFUSED, run_together
from tests.test_notifications import check_sent

THIS_WEEK = hours.monday(today())
LAST_WEEK = THIS_WEEK - timedelta(weeks=1)


def _sign(internship) -> None:
    """Every party signed (the agreement's own flow is tested in its module): version 1, made
    when the offer was accepted, becomes the agreement in force."""
    version = db.session.scalar(
        select(AgreementVersion).where(AgreementVersion.internship_id == internship.id)
        .order_by(AgreementVersion.number)
    )  # fmt: skip
    if version is None:
        version = AgreementVersion(internship_id=internship.id, number=1, content={},
                                   content_hash="0" * 64)  # fmt: skip
        db.session.add(version)
    version.status, version.signed_at = "signed", utcnow()
    db.session.commit()
    db.session.expire(internship, ["agreement_versions"])


@pytest.fixture
def world(make):
    company = make.company(name="Bakkerij Bol")
    owner = make.company_user(company)
    meester = make.meester(company, capacity=3, name="Jan Meester")
    place = make.placement(company, meester, seats=2, title="Stage bakkerij", hours_per_week=32)
    student = make.student(name="Sanne Student", birth_date=date(2000, 1, 1))
    coordinator = make.coordinator(student.school)
    other_company_user = make.company_user(make.company())
    db.session.commit()
    application = Application(student=student.profile, placement=place, motivation="Graag.")
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date = THIS_WEEK - timedelta(weeks=3)
    internship.end_date = internship.start_date + timedelta(weeks=20)
    db.session.commit()
    return dict(owner=owner, student=student, coordinator=coordinator, internship=internship,
                company=company, other=other_company_user)  # fmt: skip


@pytest.fixture
def signed(world):
    _sign(world["internship"])
    return world


def _log(client, internship, week=THIS_WEEK, hours_text="32", note=""):
    return client.post(f"/stage/{internship.id}/uren",
                       data={"week": week.isoformat(), "hours": hours_text, "note": note})  # fmt: skip


def _entry(internship, week=THIS_WEEK) -> HoursEntry | None:
    db.session.expire_all()
    return db.session.scalar(
        select(HoursEntry).where(HoursEntry.internship_id == internship.id,
                                 HoursEntry.week_start == week)
    )  # fmt: skip


# --- logging ------------------------------------------------------------------------------------


def test_the_student_logs_a_week_and_the_meester_approves_it(client, auth, signed):
    internship = signed["internship"]
    auth.login(signed["student"])
    response = _log(client, internship, hours_text="32,5", note="Ook zaterdag gewerkt.")
    assert response.status_code == 302 and response.headers["Location"].endswith("#uren")
    entry = _entry(internship)
    assert (entry.hours, entry.status, entry.entered_role) == (32.5, "submitted", "student")
    assert entry.note == "Ook zaterdag gewerkt."
    page = client.get(f"/stage/{internship.id}").text
    assert "Wacht op goedkeuring" in page and "32,5" in page
    assert "goedkeuren" not in page.lower().replace("wacht op goedkeuring", "")  # no buttons
    auth.logout()
    auth.login(signed["owner"])
    page = client.get(f"/stage/{internship.id}").text
    assert f"/uren/{THIS_WEEK.isoformat()}/goedkeuren" in page and "Ook zaterdag gewerkt." in page
    response = client.post(f"/stage/{internship.id}/uren/{THIS_WEEK.isoformat()}/goedkeuren",
                           data={"gezien": "32,5"})  # fmt: skip
    assert response.status_code == 302
    entry = _entry(internship)
    assert (entry.status, entry.approved_hours, entry.approved_by_id) == (
        "approved", 32.5, signed["owner"].id)  # fmt: skip
    totals = hours.totals(internship)
    assert (totals.logged, totals.approved, totals.waiting) == (32.5, 32.5, 0)
    assert totals.weeks_so_far == 4 and totals.planned == 4 * 32
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"hours.log", "hours.approve"} <= actions


def test_no_hours_before_the_agreement_is_signed(client, auth, world):
    internship = world["internship"]
    auth.login(world["student"])
    response = _log(client, internship, hours_text="31,5")
    assert response.status_code == 422
    assert "praktijkovereenkomst" in response.text and 'value="31,5"' in response.text
    assert _entry(internship) is None


@pytest.mark.parametrize(
    ("week", "text", "message"),
    [
        (THIS_WEEK + timedelta(weeks=1), "30", "nog moet komen"),
        (THIS_WEEK - timedelta(weeks=5), "30", "buiten de stage"),
        (THIS_WEEK, "81", "tussen 0 en 80"),
        (THIS_WEEK, "-1", "tussen 0 en 80"),
        (THIS_WEEK, "7,25", "één cijfer achter de komma"),
        (THIS_WEEK, "veel", "bijvoorbeeld 32"),
        (THIS_WEEK, "NaN", "tussen 0 en 80"),
        (THIS_WEEK, "", "Vul een aantal uren in"),
    ],
)
def test_bad_weeks_and_numbers_come_back_with_the_input(client, auth, signed, week, text, message):
    internship = signed["internship"]
    if week > THIS_WEEK:  # the week select only offers weeks begun: post it to the service too
        with pytest.raises(hours.DomainError, match=message):
            hours.log_week(internship, user=signed["student"], side="student", week_start=week,
                           hours=text)  # fmt: skip
    auth.login(signed["student"])
    response = _log(client, internship, week=week, hours_text=text, note="mijn notitie")
    assert response.status_code == 422
    assert "mijn notitie" in response.text
    if week <= THIS_WEEK and week >= hours.monday(internship.start_date):
        assert message.lower() in response.text.lower()
    else:  # not a choice of the select: the form says to choose a week
        assert "Kies" in response.text or message in response.text
    assert db.session.scalar(select(HoursEntry)) is None


def test_a_waiting_week_is_replaced_an_approved_week_is_locked(client, auth, signed):
    internship = signed["internship"]
    auth.login(signed["student"])
    assert _log(client, internship, hours_text="30").status_code == 302
    assert _log(client, internship, hours_text="28", note="Ziek op vrijdag").status_code == 302
    entry = _entry(internship)
    assert (entry.hours, entry.note, entry.status) == (28, "Ziek op vrijdag", "submitted")
    assert len(db.session.scalars(select(HoursEntry)).all()) == 1
    form = client.get(f"/stage/{internship.id}/uren?week={THIS_WEEK.isoformat()}").text
    assert 'value="28"' in form and "Ziek op vrijdag" in form
    hours.approve(internship, user=signed["owner"], side="company", week_start=THIS_WEEK, seen="28")
    response = _log(client, internship, hours_text="40")
    assert response.status_code == 422 and "Vraag de meester" in response.text
    assert _entry(internship).hours == 28
    # The meester corrects the approved week on the page.
    auth.logout()
    auth.login(signed["owner"])
    page = client.get(f"/stage/{internship.id}").text
    assert f"/uren/{THIS_WEEK.isoformat()}/corrigeren" in page
    url = f"/stage/{internship.id}/uren/{THIS_WEEK.isoformat()}/corrigeren"
    response = client.post(url, data={"gezien": "28", "hours": "abc", "note": "Typfout"})
    assert (
        response.status_code == 422
        and 'value="abc"' in response.text
        and "Typfout" in response.text
    )
    response = client.post(url, data={"gezien": "28", "hours": "26", "note": "Pauzes eraf."})
    assert response.status_code == 302
    assert (_entry(internship).status, _entry(internship).approved_hours) == ("corrected", 26)


def test_the_company_logs_for_the_student_and_the_school_cannot(client, auth, signed):
    internship = signed["internship"]
    auth.login(signed["owner"])
    assert _log(client, internship, week=LAST_WEEK, hours_text="16").status_code == 302
    assert _entry(internship, LAST_WEEK).entered_role == "company"
    auth.logout()
    auth.login(signed["coordinator"])
    assert _log(client, internship, hours_text="16").status_code == 403
    page = client.get(f"/stage/{internship.id}").text
    assert "Uren invullen" not in page and "Gepland tot nu" in page
    auth.logout()
    auth.login(signed["other"])
    assert _log(client, internship, hours_text="16").status_code == 403


def test_a_minor_is_warned_above_45_hours_with_the_working_time_rule(client, auth, signed):
    internship = signed["internship"]
    student = signed["student"]
    auth.login(student)
    response = _log(client, internship, hours_text="46")
    assert "45 uur per week" not in client.get(response.headers["Location"]).text  # adult
    student.profile.birth_date = THIS_WEEK - timedelta(days=365 * 17)
    db.session.commit()
    response = _log(client, internship, week=LAST_WEEK, hours_text="45")
    assert "45 uur per week" not in client.get(response.headers["Location"]).text
    response = _log(client, internship, week=LAST_WEEK, hours_text="45,5")
    page = client.get(response.headers["Location"]).text
    assert "Te veel uren voor een leerling onder de 18 (Arbeidstijdenwet)" in page
    assert _entry(internship, LAST_WEEK).hours == 45.5  # a warning: the week is still logged


# --- approving and correcting ---------------------------------------------------------------------


def test_a_number_changed_after_the_page_was_shown_is_not_approved(client, auth, signed):
    internship = signed["internship"]
    hours.log_week(internship, user=signed["student"], side="student", week_start=THIS_WEEK,
                   hours="30")  # fmt: skip
    auth.login(signed["owner"])
    client.get(f"/stage/{internship.id}")  # the meester sees 30 …
    hours.log_week(internship, user=signed["student"], side="student", week_start=THIS_WEEK,
                   hours="40")  # fmt: skip  # … the student makes it 40
    response = client.post(f"/stage/{internship.id}/uren/{THIS_WEEK.isoformat()}/goedkeuren",
                           data={"gezien": "30"}, follow_redirects=True)  # fmt: skip
    assert "net aangepast" in response.text
    entry = _entry(internship)
    assert (entry.status, entry.hours, entry.approved_hours) == ("submitted", 40, None)


def test_the_meester_corrects_with_a_note_and_the_student_is_told(
    app, client, auth, signed, outbox
):
    internship = signed["internship"]
    hours.log_week(internship, user=signed["student"], side="student", week_start=LAST_WEEK,
                   hours="38")  # fmt: skip
    auth.login(signed["owner"])
    url = f"/stage/{internship.id}/uren/{LAST_WEEK.isoformat()}/corrigeren"
    response = client.post(url, data={"gezien": "38", "hours": "36", "note": ""})
    assert response.status_code == 422
    assert "Schrijf kort waarom" in response.text and 'value="36"' in response.text
    response = client.post(url, data={"gezien": "38", "hours": "38", "note": "Klopt"})
    assert response.status_code == 422 and "keur de week dan goed" in response.text
    response = client.post(url, data={"gezien": "38", "hours": "36", "note": "Pauzes eraf."})
    assert response.status_code == 302
    entry = _entry(internship, LAST_WEEK)
    assert (entry.status, entry.hours, entry.approved_hours) == ("corrected", 38, 36)
    assert entry.correction_note == "Pauzes eraf."
    assert hours.totals(internship).approved == 36
    assert hours.approved_total([internship.id, 999999]) == {internship.id: 36.0, 999999: 0.0}
    # A correction of a number the student changed meanwhile is refused, with the page shown anew.
    hours.log_week(internship, user=signed["student"], side="student", week_start=THIS_WEEK,
                   hours="20")  # fmt: skip
    hours.log_week(internship, user=signed["student"], side="student", week_start=THIS_WEEK,
                   hours="22")  # fmt: skip
    stale = client.post(f"/stage/{internship.id}/uren/{THIS_WEEK.isoformat()}/corrigeren",
                        data={"gezien": "20", "hours": "18", "note": "Te veel."},
                        follow_redirects=True)  # fmt: skip
    assert "net aangepast" in stale.text
    assert (_entry(internship).status, _entry(internship).approved_hours) == ("submitted", None)
    auth.logout()
    check_sent(app, client, outbox, signed["student"], "hours_corrected")
    auth.login(signed["student"])
    page = client.get(f"/stage/{internship.id}").text
    assert "Pauzes eraf." in page and "Aangepast door de meester" in page


def test_approve_all_skips_a_week_changed_meanwhile(client, auth, signed):
    internship = signed["internship"]
    for week, value in (
        (LAST_WEEK - timedelta(weeks=1), "20"),
        (LAST_WEEK, "24"),
        (THIS_WEEK, "8"),
    ):
        hours.log_week(internship, user=signed["student"], side="student", week_start=week,
                       hours=value)  # fmt: skip
    auth.login(signed["owner"])
    page = client.get(f"/stage/{internship.id}").text
    assert "Alles goedkeuren (3 weken)" in page
    hours.log_week(internship, user=signed["student"], side="student", week_start=THIS_WEEK,
                   hours="9")  # fmt: skip
    shown = [f"{(LAST_WEEK - timedelta(weeks=1)).isoformat()}=20", f"{LAST_WEEK.isoformat()}=24",
             f"{THIS_WEEK.isoformat()}=8"]  # fmt: skip
    response = client.post(f"/stage/{internship.id}/uren/alles-goedkeuren", data={"week": shown},
                           follow_redirects=True)  # fmt: skip
    assert "2 weken goedgekeurd" in response.text and "net aangepast" in response.text
    assert [_entry(internship, w).status for w in (LAST_WEEK, THIS_WEEK)] == [
        "approved", "submitted"]  # fmt: skip
    assert hours.totals(internship).approved == 44


def test_only_the_company_approves(client, auth, signed):
    internship = signed["internship"]
    hours.log_week(internship, user=signed["student"], side="student", week_start=THIS_WEEK,
                   hours="30")  # fmt: skip
    url = f"/stage/{internship.id}/uren/{THIS_WEEK.isoformat()}/goedkeuren"
    for user in (signed["student"], signed["coordinator"], signed["other"]):
        auth.login(user)
        assert client.post(url, data={"gezien": "30"}).status_code == 403
        auth.logout()
    auth.login(signed["owner"])
    assert client.post(f"/stage/{internship.id}/uren/2026-13-01/goedkeuren").status_code == 404
    tuesday = (THIS_WEEK + timedelta(days=1)).isoformat()
    assert client.post(f"/stage/{internship.id}/uren/{tuesday}/goedkeuren").status_code == 404
    assert _entry(internship).status == "submitted"


# --- notifications ----------------------------------------------------------------------------


def test_the_company_hears_once_a_week_that_hours_wait(app, client, signed, outbox):
    internship, owner = signed["internship"], signed["owner"]
    owner.notification_settings = {"hours_waiting": "mail"}
    db.session.commit()
    hours.log_week(internship, user=signed["student"], side="student", week_start=LAST_WEEK,
                   hours="30")  # fmt: skip
    check_sent(app, client, outbox, owner, "hours_waiting",
               repeat=lambda: hours.log_week(internship, user=signed["student"], side="student",
                                             week_start=THIS_WEEK, hours="20"))  # fmt: skip
    # Hours the company logged itself tell nobody.
    assert not db.session.scalars(
        select(Notification).where(Notification.user_id == signed["student"].id)
    ).all()


def test_hours_waiting_goes_to_the_daily_overview_by_default(app, client, signed, outbox):
    hours.log_week(signed["internship"], user=signed["student"], side="student",
                   week_start=THIS_WEEK, hours="30")  # fmt: skip
    [note] = db.session.scalars(select(Notification).where(Notification.kind == "hours_waiting"))
    assert note.channel == "digest" and note.user_id == signed["owner"].id
    assert "Sanne Student" in note.text and note.url.endswith("#uren")
    assert not [m for m in outbox() if signed["owner"].email in m["To"]]
    assert send_digests() == 1


# --- overdue and missing weeks ---------------------------------------------------------------


def test_overdue_and_missing_weeks_reach_the_coordinator(client, auth, signed):
    internship = signed["internship"]
    first = hours.monday(internship.start_date)  # three weeks ago: overdue once logged
    hours.log_week(internship, user=signed["student"], side="student", week_start=first,
                   hours="30")  # fmt: skip
    hours.log_week(internship, user=signed["student"], side="student", week_start=LAST_WEEK,
                   hours="30")  # fmt: skip  # waiting, not overdue yet
    found = hours.attention(school=signed["student"].school)[internship.id]
    # Week 2 is missing; last week is logged; this week has not ended.
    assert found.overdue == [first] and found.missing == [first + timedelta(weeks=1)]
    totals = hours.totals(internship)
    assert (totals.overdue, totals.missing, totals.waiting) == (1, 1, 2)
    auth.login(signed["coordinator"])
    listing = client.get("/coordinator/stages").text
    assert f'href="/stage/{internship.id}#uren">2</a>' in listing
    page = client.get(f"/stage/{internship.id}").text
    assert "Wacht te lang op goedkeuring" in page and "Niet ingevuld" in page
    assert refresh_flags(signed["student"].school) >= 2
    flags = db.session.scalars(
        select(Flag).where(Flag.kind.in_(["hours_overdue", "hours_missing"]))
    ).all()
    assert {(f.kind, f.internship_id) for f in flags} == {
        ("hours_overdue", internship.id), ("hours_missing", internship.id)}  # fmt: skip
    assert "sinds de week van" in next(f.message for f in flags if f.kind == "hours_overdue")
    assert refresh_flags(signed["student"].school) == 0  # once
    # Approving the overdue week and logging the missing one (then approving it): nothing left.
    hours.approve(internship, user=signed["owner"], side="company", week_start=first, seen=30)
    hours.log_week(internship, user=signed["student"], side="student",
                   week_start=first + timedelta(weeks=1), hours="30")  # fmt: skip
    # Logged so late that it is overdue at once: a new problem, flagged.
    assert hours.attention(school=signed["student"].school)[internship.id].overdue == [
        first + timedelta(weeks=1)]  # fmt: skip
    hours.approve(internship, user=signed["owner"], side="company",
                  week_start=first + timedelta(weeks=1), seen=30)  # fmt: skip
    assert hours.attention(school=signed["student"].school) == {}
    assert refresh_flags(signed["student"].school) == 0


def test_nothing_is_missing_before_the_agreement_is_signed(world):
    assert hours.attention(school=world["student"].school) == {}
    assert hours.totals(world["internship"]).missing == 0


def test_approved_total_is_one_query(signed, make):
    internship = signed["internship"]
    hours.log_week(internship, user=signed["student"], side="student", week_start=THIS_WEEK,
                   hours="30")  # fmt: skip
    hours.approve(internship, user=signed["owner"], side="company", week_start=THIS_WEEK, seen=30)
    ids = [internship.id, internship.id + 1]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        totals = hours.approved_total(ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert totals == {ids[0]: 30.0, ids[1]: 0.0} and len(statements) == 1


# --- the race (PostgreSQL) --------------------------------------------------------------------


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers with row locks (set TEST_DATABASE_URL)")


def test_a_week_changed_while_the_meester_approves_is_never_approved_unseen(app, postgres, signed):
    internship_id = signed["internship"].id
    student_id, owner_id = signed["student"].id, signed["owner"].id
    from stagematch.models import Internship, User

    for attempt in range(6):
        week = THIS_WEEK - timedelta(weeks=attempt % 4)
        db.session.execute(db.delete(HoursEntry))
        db.session.commit()
        internship = db.session.get(Internship, internship_id)
        hours.log_week(internship, user=db.session.get(User, student_id), side="student",
                       week_start=week, hours="30")  # fmt: skip

        def relog(week=week):
            hours.log_week(db.session.get(Internship, internship_id),
                           user=db.session.get(User, student_id), side="student",
                           week_start=week, hours="40")  # fmt: skip

        def approve(week=week):
            hours.approve(db.session.get(Internship, internship_id),
                          user=db.session.get(User, owner_id), side="company", week_start=week,
                          seen="30")  # fmt: skip

        outcomes = run_together(app, [relog, approve])
        entry = _entry(signed["internship"], week)
        assert sorted(outcomes) == [OK, REFUSED], outcomes
        if outcomes[0] == OK:  # the student's 40 went in first: it waits for the meester
            assert (entry.status, entry.hours, entry.approved_hours) == ("submitted", 40, None)
        else:  # the meester approved the 30 they saw; the student was told the week is locked
            assert (entry.status, entry.hours, entry.approved_hours) == ("approved", 30, 30)

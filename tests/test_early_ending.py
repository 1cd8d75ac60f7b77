"""Ending a placement early (issue 17, item 6): any party asks, one open request at a time, the
requester withdraws, a coordinator of the school decides with a reason (approving in two steps);
approval frees the seat and the meester's time from the day after the last day, everyone is
told, and the student gets suggestions for a new place that fits the weeks left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Application, AuditEvent, EndRequest, Internship, Notification
from stagematch.services import applications as application_service
from stagematch.services import capacity
from stagematch.services import early_ending as service
from stagematch.timeutil import today
from tests.conftest import OK, REFUSED, run_together
from tests.test_notifications import _clear, check_sent


@pytest.fixture
def world(make):
    company = make.company(name="Bakkerij Bol", town="Hengelo")
    owner = make.company_user(company)
    meester = make.meester(company, capacity=2, name="Jan Meester")
    place = make.placement(company, meester, seats=1, title="Stage bakkerij")
    student = make.student(name="Sanne Student")
    coordinator = make.coordinator(student.school)
    coordinator2 = make.coordinator(student.school)
    db.session.commit()
    application = Application(student=student.profile, placement=place, motivation="Graag.")
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date = today() - timedelta(days=21)
    internship.end_date = internship.start_date + timedelta(weeks=20)
    db.session.commit()
    return dict(owner=owner, student=student, coordinator=coordinator, coordinator2=coordinator2,
                internship=internship, company=company, meester=meester, place=place)  # fmt: skip


def _ask(client, internship, last_day=None, explanation="Het bedrijf stopt met de bakkerij."):
    day = last_day or today() + timedelta(days=7)
    return client.post(f"/stage/{internship.id}/beeindigen",
                       data={"explanation": explanation, "last_day": day.isoformat()})  # fmt: skip


def _decide(client, internship, *, decision="approve", reason="company_stops", last_day=None,
            note="", confirmed="1"):  # fmt: skip
    day = last_day or today() - timedelta(days=1)
    return client.post(f"/stage/{internship.id}/beeindigen/besluit",
                       data={"decision": decision, "reason": reason, "last_day": day.isoformat(),
                             "note": note, "confirmed": confirmed})  # fmt: skip


def _requests(internship) -> list[EndRequest]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(EndRequest).where(EndRequest.internship_id == internship.id))
    )


def test_the_company_asks_and_a_second_open_request_is_refused(client, auth, world):
    internship = world["internship"]
    auth.login(world["owner"])
    page = client.get(f"/stage/{internship.id}").text
    assert "Vragen om de stage eerder te beëindigen" in page
    assert client.get(f"/stage/{internship.id}/beeindigen").status_code == 200
    response = _ask(client, internship)
    assert response.status_code == 302 and response.headers["Location"].endswith("#beeindigen")
    [request] = _requests(internship)
    assert request.status == "open" and request.requested_role == "company"
    assert request.wanted_end == today() + timedelta(days=7)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "end_request.ask"))
    again = _ask(client, internship, explanation="Nog een keer.")
    assert again.status_code == 422 and "Er loopt al een verzoek" in again.text
    assert "Nog een keer." in again.text  # the input comes back
    assert len(_requests(internship)) == 1
    # The student and the school are told, the company (who asked) is not.
    users = set(
        db.session.scalars(select(Notification.user_id).where(Notification.kind == "end_requested"))
    )
    assert users == {world["student"].id, world["coordinator"].id, world["coordinator2"].id}


def test_bad_input_gives_the_form_back_with_a_dutch_message(client, auth, world):
    internship = world["internship"]
    auth.login(world["student"])
    empty = _ask(client, internship, explanation="  ")
    assert empty.status_code == 422 and "Leg kort uit" in empty.text
    late = _ask(client, internship, last_day=internship.end_date + timedelta(days=3))
    assert late.status_code == 422 and "Kies een laatste dag tussen" in late.text
    assert "Het bedrijf stopt" in late.text
    garbage = client.post(f"/stage/{internship.id}/beeindigen",
                          data={"explanation": "Ziek.", "last_day": "31-02-2027"})  # fmt: skip
    assert garbage.status_code == 422
    assert _requests(internship) == []


def test_only_the_requester_withdraws_and_the_others_are_told(app, client, auth, world, outbox):
    internship, student = world["internship"], world["student"]
    auth.login(world["owner"])
    assert _ask(client, internship).status_code == 302
    auth.logout()
    auth.login(student)
    assert client.post(f"/stage/{internship.id}/beeindigen/intrekken").status_code == 302
    assert _requests(internship)[0].status == "open"
    assert "Verzoek intrekken" not in client.get(f"/stage/{internship.id}").text
    auth.logout()
    auth.login(world["owner"])
    assert "Verzoek intrekken" in client.get(f"/stage/{internship.id}").text
    _clear(app)  # the request's mails
    assert client.post(f"/stage/{internship.id}/beeindigen/intrekken").status_code == 302
    [request] = _requests(internship)
    assert request.status == "withdrawn"
    assert db.session.get(Internship, internship.id).status == "active"
    auth.logout()
    check_sent(app, client, outbox, world["coordinator"], "end_withdrawn")
    # A new request may follow a withdrawn one.
    auth.login(student)
    assert _ask(client, internship).status_code == 302


def test_approving_takes_a_confirmation_then_frees_seat_and_meester(
    app, client, auth, world, outbox
):
    internship, place, meester = world["internship"], world["place"], world["meester"]
    auth.login(world["owner"])
    assert _ask(client, internship).status_code == 302
    auth.logout()
    assert capacity.mentor_load(meester.id).active == 1
    assert capacity.free_seats(place) == 0
    coordinator = world["coordinator"]
    auth.login(coordinator)
    home = client.get("/coordinator/").text
    assert "Verzoeken om eerder te stoppen (1)" in home
    listed = client.get("/stage/beeindigen").text
    assert "Sanne Student" in listed and "het leerbedrijf" in listed
    assert client.get(f"/stage/{internship.id}/beeindigen/besluit").status_code == 200
    step = _decide(client, internship, confirmed="")
    assert step.status_code == 200 and "Weet je het zeker?" in step.text
    assert (
        step.text.count('name="confirmed"') == 1
        and 'name="confirmed" type="hidden" value="1"' in step.text
    )
    assert db.session.get(Internship, internship.id).status == "active"  # nothing happened yet
    _clear(app)  # the request's mails
    done = _decide(client, internship)
    assert done.status_code == 302
    db.session.expire_all()
    ended = db.session.get(Internship, internship.id)
    assert ended.status == "terminated" and ended.outcome == "ended_by_company"
    assert ended.ended_at == today() - timedelta(days=1) and ended.end_date == today()
    [request] = _requests(internship)
    assert request.status == "approved" and request.reason_code == "company_stops"
    assert request.decided_by_id == coordinator.id
    # Freed at once: the last day was yesterday.
    assert capacity.mentor_load(meester.id).active == 0
    assert capacity.free_seats(place) == 1
    assert place.id in capacity.with_room([place.id])  # the SQL definition agrees
    assert "Verzoeken om eerder te stoppen (0)" in client.get("/coordinator/").text
    # A second decision on the same request is refused.
    again = _decide(client, internship)
    assert again.status_code == 200 and "geen open verzoek" in again.text
    auth.logout()
    check_sent(app, client, outbox, world["student"], "end_decided")


def test_a_last_day_to_come_holds_seat_and_meester_until_then(client, auth, world):
    internship, place, meester = world["internship"], world["place"], world["meester"]
    last = today() + timedelta(days=14)
    auth.login(world["student"])
    assert _ask(client, internship, last_day=last).status_code == 302
    auth.logout()
    auth.login(world["coordinator"])
    assert _decide(client, internship, reason="illness_personal", last_day=last).status_code == 302
    db.session.expire_all()
    ended = db.session.get(Internship, internship.id)
    assert ended.status == "terminated" and ended.outcome == "dropped_out"
    assert ended.ended_at == last and ended.end_date == last + timedelta(days=1)
    # Until the last day the learner and the seat are still there ...
    assert capacity.mentor_load(meester.id).active == 1
    assert capacity.mentor_load(meester.id, on=last).active == 1
    assert capacity.free_seats(place) == 0
    assert place.id not in capacity.with_room([place.id])
    # ... and from the day after the last day they are free (Python and SQL alike).
    after = last + timedelta(days=1)
    assert capacity.mentor_load(meester.id, start=after).active == 0
    assert capacity.mentor_load(meester.id, on=after).active == 0
    assert capacity.seats_taken([place.id], on=after)[place.id] == 0
    assert place.id in capacity.with_room([place.id], on=after)
    # The student may look for a new place at once.
    assert not application_service.has_running_internship(world["student"].profile.id)


def test_reject_and_other_need_a_note(client, auth, world):
    internship = world["internship"]
    auth.login(world["student"])
    assert _ask(client, internship).status_code == 302
    auth.logout()
    auth.login(world["owner"])
    assert client.get(f"/stage/{internship.id}/beeindigen/besluit").status_code == 403
    assert _decide(client, internship).status_code == 403
    auth.logout()
    auth.login(world["coordinator"])
    other = _decide(client, internship, reason="other", confirmed="")
    assert other.status_code == 422 and "anders" in other.text
    noreason = _decide(client, internship, reason="vakantie")
    assert noreason.status_code == 422 and "Kies een reden" in noreason.text
    bare = _decide(client, internship, decision="reject", note="")
    assert bare.status_code == 422 and "waarom de stage doorgaat" in bare.text
    assert _requests(internship)[0].status == "open"
    rejected = _decide(client, internship, decision="reject", note="We maken nieuwe afspraken.")
    assert rejected.status_code == 302
    [request] = _requests(internship)
    assert request.status == "rejected" and request.decision_note == "We maken nieuwe afspraken."
    assert db.session.get(Internship, internship.id).status == "active"


def test_other_reason_follows_who_asked():
    assert service.outcome_for("other", "company") == "ended_by_company"
    assert service.outcome_for("other", "student") == "dropped_out"
    assert service.outcome_for("conduct", "student") == "ended_by_company"


def test_the_student_gets_places_that_fit_the_weeks_left(client, auth, world, make):
    internship, company = world["internship"], world["company"]
    other = make.meester(company, capacity=3, name="Piet Meester")
    fits = make.placement(company, other, title="Past precies", duration_weeks=10,
                          start_date=today() + timedelta(days=7))  # fmt: skip
    make.placement(company, other, title="Te lang", duration_weeks=30,
                   start_date=today() + timedelta(days=7))  # fmt: skip
    make.placement(company, other, title="Te laat", duration_weeks=8,
                   start_date=today() + timedelta(weeks=8))  # fmt: skip
    db.session.commit()
    auth.login(world["owner"])
    assert _ask(client, internship).status_code == 302
    auth.logout()
    coordinator = world["coordinator"]
    auth.login(coordinator)
    assert _decide(client, internship).status_code == 302
    decide_page = client.get(f"/stage/{internship.id}/beeindigen/besluit").text
    assert "Hulp bij een nieuwe plek" in decide_page and "Past precies" in decide_page
    assert client.post(f"/stage/{internship.id}/nieuwe-plek/besproken").status_code == 302
    auth.logout()
    auth.login(world["student"])
    page = client.get(f"/stage/{internship.id}").text
    assert "Hulp bij een nieuwe plek" in page and "Besproken met de stagecoördinator" in page
    assert "Past precies" in page
    assert "Te lang" not in page and "Te laat" not in page
    ended = db.session.get(Internship, internship.id)
    help_ = service.replacement(ended)
    # The weeks from today to the planned end of the original period (the agreement's).
    assert help_.weeks_left == (service.original_end(ended) - today()).days // 7 >= 10
    assert [h.placement.id for h in help_.hits] == [fits.id]


def test_every_party_is_told_of_a_request(app, client, outbox, world):
    internship = world["internship"]
    service.ask(internship, user=world["owner"], side="company", explanation="Stopt.",
                last_day=today())  # fmt: skip
    request = service.open_request(internship)
    check_sent(app, client, outbox, world["coordinator"], "end_requested",
               repeat=lambda: service._tell(internship, "end_requested", f"end_request:{request.id}",
                                            service.REQUESTED_TEXT, exclude=world["owner"], date=today()))  # fmt: skip


def test_a_company_user_is_told_of_the_decision(app, client, outbox, world):
    internship = world["internship"]
    service.ask(internship, user=world["student"], side="student", explanation="Ziek.",
                last_day=today())  # fmt: skip
    _clear(app)  # the request's mails
    service.decide(internship, user=world["coordinator"], approve=True,
                   reason_code="illness_personal", last_day=today())  # fmt: skip
    check_sent(app, client, outbox, world["owner"], "end_decided")


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks and the partial unique index: PostgreSQL only")


def test_two_coordinators_deciding_at_once_one_wins(app, world, postgres):
    internship = world["internship"]
    service.ask(internship, user=world["owner"], side="company", explanation="Stopt.",
                last_day=today())  # fmt: skip
    internship_id = internship.id
    ids = world["coordinator"].id, world["coordinator2"].id

    def decide(user_id: int, approve: bool):
        from stagematch.models import User

        def job():
            user = db.session.get(User, user_id)
            target = db.session.get(Internship, internship_id)
            service.decide(target, user=user, approve=approve, reason_code="company_stops",
                           note="Gaat door." if not approve else "", last_day=today())  # fmt: skip

        return job

    outcomes = run_together(app, [decide(ids[0], True), decide(ids[1], False)])
    assert sorted(outcomes) == [OK, REFUSED], outcomes
    db.session.expire_all()
    [request] = db.session.scalars(select(EndRequest)).all()
    status = db.session.get(Internship, internship_id).status
    assert (request.status, status) in (("approved", "terminated"), ("rejected", "active"))
    ends = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "internship.end")
    )
    assert ends == (1 if request.status == "approved" else 0)


def test_two_requests_at_once_make_one(app, world, postgres):
    internship_id = world["internship"].id
    users = world["owner"].id, world["student"].id

    def ask(user_id: int, side: str):
        from stagematch.models import User

        def job():
            service.ask(db.session.get(Internship, internship_id), user=db.session.get(User, user_id),
                        side=side, explanation="Stop.", last_day=today())  # fmt: skip

        return job

    outcomes = run_together(app, [ask(users[0], "company"), ask(users[1], "student")])
    assert sorted(outcomes) == [OK, REFUSED], outcomes
    assert db.session.scalar(select(func.count(EndRequest.id))) == 1

"""Allocation rounds through the services and the pages: opening (the model's order as the
starting order), ranking by students and meesters, computing (stable, within seats and meester
capacity), publishing once (also under concurrent requests), and offers the student decides on."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.matching.allocation import blocking_pairs
from stagematch.models import (
    AllocationRound,
    Application,
    Internship,
    RoundChoice,
    RoundStatus,
    RoundStudent,
)
from stagematch.models.enums import ApplicationStatus
from stagematch.services import DomainError
from stagematch.services import allocation_rounds as rounds
from stagematch.services import applications as application_service
from stagematch.timeutil import today


@pytest.fixture
def cohort(make):
    """Four students of one school and qualification; two companies in Enschede: one meester with
    capacity 2 over two one-seat places, one meester with capacity 1 and a one-seat place."""
    q = make.qualification()
    students = [
        make.student(qualification=q, town=t).profile
        for t in ("Hengelo", "Enschede", "Almelo", "Borne")
    ]
    a = make.company(qualifications=[q])
    b = make.company(qualifications=[q])
    m1 = make.meester(a, name="Anna Meester", capacity=2)
    m2 = make.meester(b, name="Bert Meester", capacity=1)
    places = [
        make.placement(a, m1, title="Plek A1"),
        make.placement(a, m1, title="Plek A2"),
        make.placement(b, m2, title="Plek B1"),
    ]
    coordinator = make.coordinator()
    db.session.commit()
    return dict(q=q, students=students, places=places, meesters=(m1, m2), coordinator=coordinator,
                companies=(a, b))  # fmt: skip


def _open(cohort, **kw):
    return rounds.open_round(
        school=cohort["coordinator"].school, name="Ronde voorjaar", closes_on=today() + timedelta(days=7),
        max_choices=kw.pop("max_choices", 3), cohort=rounds.Cohort(qualification_id=cohort["q"].id),
        created_by=cohort["coordinator"], **kw,
    )  # fmt: skip


def test_opening_puts_the_cohort_in_with_the_models_order_as_starting_choices(cohort):
    round_ = _open(cohort)
    assert len(round_.students) == 4
    assert {p.placement_id for p in round_.places} == {p.id for p in cohort["places"]}
    for profile in cohort["students"]:
        options = rounds.student_options(round_, profile)
        scores = [score for _, score in options]
        assert scores == sorted(scores, reverse=True)
        # Starting choices are the top of the model's order.
        assert rounds.student_choices(round_, profile.id) == [pid for pid, _ in options][:3]
    # A student cannot be in two unfinished rounds.
    with pytest.raises(DomainError, match="geen studenten"):
        _open(cohort)


def test_students_rank_places_and_bad_rankings_are_refused(cohort):
    round_ = _open(cohort)
    s = cohort["students"][0]
    a1, a2, b1 = (p.id for p in cohort["places"])
    assert rounds.save_student_choices(round_, s, {b1: 1, a1: 2}) == [b1, a1]
    assert rounds.student_choices(round_, s.id) == [b1, a1]
    with pytest.raises(DomainError, match="meer dan één"):
        rounds.save_student_choices(round_, s, {b1: 1, a1: 1})
    with pytest.raises(DomainError, match="1 tot en met 3"):
        rounds.save_student_choices(round_, s, {b1: 4})
    with pytest.raises(DomainError, match="minstens één"):
        rounds.save_student_choices(round_, s, {})
    assert rounds.student_choices(round_, s.id) == [b1, a1]  # nothing half-written


def test_compute_respects_seats_capacity_and_is_stable(cohort):
    round_ = _open(cohort)
    a1, a2, b1 = (p.id for p in cohort["places"])
    s = cohort["students"]
    for profile in s:  # everyone wants B1 first
        rounds.save_student_choices(round_, profile, {b1: 1, a1: 2, a2: 3})
    m1, m2 = cohort["meesters"]
    rounds.save_meester_ranking(round_, m2, {s[2].id: 1, s[0].id: 2, s[1].id: 3, s[3].id: 4})
    rounds.save_meester_ranking(round_, m1, {s[3].id: 1, s[1].id: 2, s[0].id: 3, s[2].id: 4})
    summary = rounds.compute(round_)
    assert (summary.assigned, summary.unassigned) == (3, 1)
    got = {m.student_id: m.assigned_placement_id for m in round_.students}
    assert got[s[2].id] == b1  # Bert's favourite gets B1
    assert sorted(p for p in got.values() if p) == sorted([a1, a2, b1])
    unassigned = [m for m in round_.students if m.assigned_placement_id is None]
    assert unassigned[0].student_id == s[0].id and "meester hoger" in unassigned[0].result_note
    # Stable by the SPA-S definition, checked with the pure function.
    prefs = {str(p.id): [str(b1), str(a1), str(a2)] for p in s}
    meester_prefs = {
        str(m2.id): [str(x.id) for x in (s[2], s[0], s[1], s[3])],
        str(m1.id): [str(x.id) for x in (s[3], s[1], s[0], s[2])],
    }
    place_meester = {str(a1): str(m1.id), str(a2): str(m1.id), str(b1): str(m2.id)}
    allocation = {str(k): (str(v) if v else None) for k, v in got.items()}
    assert blocking_pairs(allocation, prefs, meester_prefs, place_meester,
                          {str(a1): 1, str(a2): 1, str(b1): 1}, {str(m1.id): 2, str(m2.id): 1}) == []  # fmt: skip


def test_meester_capacity_already_in_use_limits_the_round(make, cohort):
    m1 = cohort["meesters"][0]
    round_ = _open(cohort)
    # One of Anna's two slots is taken by a running internship that started meanwhile.
    other = make.student(qualification=cohort["q"]).profile
    app = Application(student=other, placement=cohort["places"][0], motivation="")
    db.session.add(app)
    db.session.commit()
    application_service.accept(app.id)
    rounds.compute(round_)
    assigned = [m.assigned_placement_id for m in round_.students if m.assigned_placement_id]
    under_anna = [p for p in assigned if p in (cohort["places"][0].id, cohort["places"][1].id)]
    assert len(under_anna) <= m1.capacity - 1


def test_publish_makes_offers_once_and_the_student_decides(cohort):
    round_ = _open(cohort)
    rounds.compute(round_)
    offers = rounds.publish(round_.id)
    assert len(offers) == 3
    assert all(o.status == ApplicationStatus.OFFERED and o.round_id == round_.id for o in offers)
    # The students answer within the same term as a company's offer.
    assert all(o.respond_by == today() + timedelta(days=7) and o.offered_at for o in offers)
    with pytest.raises(DomainError, match="al gepubliceerd"):
        rounds.publish(round_.id)
    offer = offers[0]
    # The company cannot decide an offer, nor give its seat to someone else.
    with pytest.raises(DomainError, match="student beslist"):
        application_service.accept(offer.id)
    with pytest.raises(DomainError, match="student beslist"):
        application_service.reject(offer, reason="other")
    internship = application_service.accept(offer.id, offer=True)
    assert internship.student_id == offer.student_id
    declined = offers[1]
    with pytest.raises(DomainError, match="neem het aan of sla het af"):
        application_service.withdraw(declined)
    application_service.decline_offer(declined.id)
    db.session.refresh(declined)
    assert declined.status == ApplicationStatus.DECLINED


def test_an_offered_seat_is_kept_from_ordinary_applicants(make, cohort):
    round_ = _open(cohort)
    rounds.compute(round_)
    offers = rounds.publish(round_.id)
    place = offers[0].placement
    outsider = make.student(qualification=cohort["q"]).profile
    app = Application(student=outsider, placement=place, motivation="")
    db.session.add(app)
    db.session.commit()
    with pytest.raises(DomainError, match="geen plaats vrij"):
        application_service.accept(app.id)
    with pytest.raises(DomainError, match="geen plaats vrij"):
        application_service.make_offer(app.id, respond_by=today() + timedelta(days=7))


def test_reopen_and_delete(cohort):
    round_ = _open(cohort)
    rounds.compute(round_)
    rounds.reopen(round_)
    assert round_.status == RoundStatus.OPEN
    rounds.delete_round(round_)
    assert db.session.scalar(select(func.count(RoundChoice.id))) == 0
    rounds.compute(r := _open(cohort))
    rounds.publish(r.id)
    with pytest.raises(DomainError, match="blijft bewaard"):
        rounds.delete_round(db.session.get(AllocationRound, r.id))


def test_ranking_after_closing_is_refused(cohort):
    round_ = _open(cohort)
    round_.closes_on = today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(DomainError, match="gesloten"):
        rounds.save_student_choices(round_, cohort["students"][0], {cohort["places"][0].id: 1})


def test_concurrent_publishing_makes_one_set_of_offers(app, cohort):
    """Many coordinators' clicks at once: exactly one publish wins, no duplicate offers."""
    round_ = _open(cohort)
    rounds.compute(round_)
    round_id = round_.id
    db.session.commit()
    outcomes: list[str] = []
    barrier = threading.Barrier(12)

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                rounds.publish(round_id)
                outcomes.append("ok")
            except DomainError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 11
    db.session.expire_all()
    offers = db.session.scalar(
        select(func.count(Application.id)).where(Application.round_id == round_id)
    )
    assigned = db.session.scalar(
        select(func.count(RoundStudent.id)).where(
            RoundStudent.round_id == round_id, RoundStudent.assigned_placement_id.is_not(None)
        )
    )
    assert offers == assigned == 3


def test_concurrent_offer_acceptance_never_exceeds_capacity(app, make, cohort):
    """Students taking offers while the company accepts ordinary applicants for the same meester:
    the meester's capacity and every place's seats hold."""
    round_ = _open(cohort)
    rounds.compute(round_)
    offers = rounds.publish(round_.id)
    outsiders = []
    for _ in range(6):
        outsider = make.student(qualification=cohort["q"]).profile
        a = Application(student=outsider, placement=cohort["places"][0], motivation="")
        db.session.add(a)
        outsiders.append(a)
    db.session.commit()
    jobs = [(o.id, True) for o in offers] + [(a.id, False) for a in outsiders]
    barrier = threading.Barrier(len(jobs))

    def worker(application_id, offer):
        with app.app_context():
            barrier.wait()
            try:
                application_service.accept(application_id, offer=offer)
            except DomainError:
                pass
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    m1, m2 = cohort["meesters"]
    for meester in (m1, m2):
        active = db.session.scalar(
            select(func.count(Internship.id)).where(Internship.meester_id == meester.id)
        )
        assert active <= meester.capacity
    for place in cohort["places"]:
        taken = db.session.scalar(
            select(func.count(Internship.id)).where(Internship.placement_id == place.id)
        )
        assert taken <= place.seats
    # Offers keep their seats: every offer was taken, no outsider got in.
    assert db.session.scalar(select(func.count(Internship.id))) == len(offers)


def test_a_round_through_the_pages_from_opening_to_an_accepted_offer(client, auth, make, cohort):
    """The coordinator opens a round (a bad form comes back with its input), a student reorders
    the places (a bad ranking comes back with the input), the company ranks its meester's
    students, the coordinator computes and publishes, mail goes out, the student accepts."""
    from stagematch.mailer import read_outbox

    coordinator, q = cohort["coordinator"], cohort["q"]
    auth.login(coordinator)
    form = {"name": "", "qualification": q.id, "leerweg": "", "level": "", "max_choices": 3,
            "closes_on": (today() + timedelta(days=7)).strftime("%d-%m-%Y")}  # fmt: skip
    response = client.post("/coordinator/verdeelrondes/nieuw", data=form)
    assert response.status_code == 422
    assert "Geef de ronde een naam" in response.text and str(form["max_choices"]) in response.text
    response = client.post("/coordinator/verdeelrondes/nieuw", data={**form, "name": "Ronde IG"})
    assert response.status_code == 302
    round_ = db.session.scalar(select(AllocationRound).where(AllocationRound.name == "Ronde IG"))
    assert len(round_.students) == 4
    page = client.get(f"/coordinator/verdeelrondes/{round_.id}")
    assert "Ronde IG" in page.text and "4 studenten" in page.text
    auth.logout()

    student = cohort["students"][0]
    auth.login(student.user)
    assert f"/student/verdeelronde/{round_.id}" in client.get("/student/").text
    page = client.get(f"/student/verdeelronde/{round_.id}")
    assert page.status_code == 200 and "Plek B1" in page.text
    place_a1, place_a2, place_b1 = cohort["places"]
    bad = {f"rang-{place_a1.id}": "1", f"rang-{place_b1.id}": "1"}
    response = client.post(f"/student/verdeelronde/{round_.id}", data=bad)
    assert response.status_code == 422
    assert response.text.count('<option value="1" selected>') == 2  # both kept as entered
    good = {f"rang-{place_b1.id}": "1", f"rang-{place_a1.id}": "2", f"rang-{place_a2.id}": ""}
    assert client.post(f"/student/verdeelronde/{round_.id}", data=good).status_code == 302
    assert rounds.student_choices(round_, student.id) == [place_b1.id, place_a1.id]
    auth.logout()

    # Bert's company puts this student first in Bert's queue.
    company_b = cohort["companies"][1]
    owner = make.company_user(company_b)
    auth.login(owner)
    page = client.get(f"/leerbedrijf/verdeelrondes/{round_.id}")
    assert page.status_code == 200 and "Bert Meester" in page.text
    assert student.user.name not in page.text  # anonymous until the offer
    queue = rounds.meester_queues(round_, company_b.id)[0]
    others = [a.student_id for a in queue.applicants if a.student_id != student.id]
    ranking = {f"rang-{student.id}": "1"} | {
        f"rang-{sid}": str(i) for i, sid in enumerate(others, 2)
    }
    response = client.post(
        f"/leerbedrijf/verdeelrondes/{round_.id}", data={"meester": queue.mentor.id, **ranking}
    )
    assert response.status_code == 302
    auth.logout()

    auth.login(coordinator)
    assert client.post(f"/coordinator/verdeelrondes/{round_.id}/berekenen").status_code == 302
    db.session.expire_all()
    assert db.session.get(AllocationRound, round_.id).status == RoundStatus.COMPUTED
    export = client.get(f"/coordinator/verdeelrondes/{round_.id}?formaat=csv")
    assert export.mimetype == "text/csv" and "Plek B1" in export.text
    assert client.post(f"/coordinator/verdeelrondes/{round_.id}/publiceren").status_code == 302
    db.session.expire_all()
    offer = db.session.scalar(
        select(Application).where(
            Application.student_id == student.id, Application.round_id == round_.id
        )
    )
    assert offer.status == ApplicationStatus.OFFERED and offer.placement_id == place_b1.id
    mails = read_outbox()
    assert any(student.user.email in m["To"] and "aangeboden" in m["Subject"] for m in mails)
    assert any(owner.email in m["To"] and "Plek B1" in m["Subject"] for m in mails)
    auth.logout()

    auth.login(student.user)
    assert "Plek B1" in client.get("/student/sollicitaties").text
    response = client.post(f"/student/sollicitaties/{offer.id}/aanbod-aannemen")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Internship).where(Internship.student_id == student.id))


def test_the_daily_job_computes_rounds_whose_choosing_has_ended(app, cohort):
    from stagematch.mailer import read_outbox

    closed = _open(cohort)
    closed.closes_on = today() - timedelta(days=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["compute-rounds"])
    assert result.exit_code == 0, result.output
    assert "1 verdeelrondes berekend" in result.output
    db.session.expire_all()
    assert db.session.get(AllocationRound, closed.id).status == RoundStatus.COMPUTED
    [mail] = [m for m in read_outbox() if cohort["coordinator"].email in m["To"]]
    assert "berekend" in mail["Subject"] and f"/verdeelrondes/{closed.id}" in mail.get_content()
    # Nothing left to do the next day; a round still open for choosing is left alone.
    rounds.delete_round(db.session.get(AllocationRound, closed.id))
    still_open = _open(cohort)
    result = app.test_cli_runner().invoke(args=["compute-rounds"])
    assert "0 verdeelrondes berekend" in result.output
    assert db.session.get(AllocationRound, still_open.id).status == RoundStatus.OPEN

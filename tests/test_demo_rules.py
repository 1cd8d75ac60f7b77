"""The demo data obeys the platform's rules (issue 14, part 8): no event after today, one
capacity definition (`services.capacity`), current accreditation, the BBL minimum wage and the
working-time rules (`matching.eligibility`), and internships that pair a student with a place of
the student's leerweg and qualification. The demo is built through `demo.generate`, the function
the `flask demo` command calls."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from stagematch.demo import generate
from stagematch.extensions import db
from stagematch.matching import eligibility as rules
from stagematch.models import (
    Accreditation,
    Application,
    Company,
    Evaluation,
    Internship,
    Mentor,
    Placement,
    Qualification,
    StudentProfile,
    User,
    placement_qualification,
)
from stagematch.models.enums import (
    ApplicationStatus,
    InternshipStatus,
    Leerweg,
    MentorRole,
    PlacementStatus,
)
from stagematch.services.capacity import commitments, committed, place_rooms, seats_taken
from stagematch.timeutil import today, utcnow
from stagematch.wages import _table, minimum_wage

OPEN = (PlacementStatus.OPEN, PlacementStatus.DRAFT)


@pytest.fixture
def demo(app):
    summary = generate(students=400, companies=90, seed=14)
    db.session.expire_all()
    return summary


def _places() -> dict[int, Placement]:
    return {p.id: p for p in db.session.scalars(select(Placement))}


def _crebos() -> dict[int, list[Qualification]]:
    quals = {q.id: q for q in db.session.scalars(select(Qualification))}
    result: dict[int, list[Qualification]] = {}
    for pid, qid in db.session.execute(select(placement_qualification)):
        result.setdefault(pid, []).append(quals[qid])
    return result


def _internships(status=None) -> list[Internship]:
    stmt = select(Internship).order_by(Internship.id)
    if status is not None:
        stmt = stmt.where(Internship.status == status)
    return list(db.session.scalars(stmt))


def _wage_floor(age: int, on: date, hours: float) -> float:
    """The monthly minimum for `age` on `on`. The wage table starts on its first valid_from;
    for earlier starts (finished internships of 2024–2025) its first amounts are used, which are
    higher than the amounts then in force, so meeting them meets the law."""
    first = min(w.valid_from for w in _table())
    wage = minimum_wage(age, max(on, first))
    assert wage is not None, f"no minimum wage for age {age}: no BBL contract possible"
    return wage.monthly(hours)


def test_nothing_is_dated_after_today(demo):
    day, now = today(), utcnow()
    for i in _internships():
        assert i.created_at <= now
        assert i.last_contact_at is None or i.last_contact_at <= now
        if i.status == InternshipStatus.ACTIVE:
            assert i.end_date > day, i.id  # running (or accepted, starting later)
            assert i.ended_at is None
        else:
            assert i.end_date <= day, (i.id, i.start_date, i.end_date)
            assert i.ended_at is not None and i.ended_at <= day
    starts = {i.id: i.start_date for i in _internships()}
    for e in db.session.scalars(select(Evaluation)):
        if e.submitted_at is not None:
            assert e.submitted_at <= now and e.due_date <= day, (e.id, e.due_date, e.submitted_at)
            assert starts[e.internship_id] <= day  # nothing submitted before the start
    for a in db.session.scalars(select(Application)):
        for moment in (a.created_at, a.updated_at, a.shortlisted_at, a.decided_at, a.offered_at):
            assert moment is None or moment <= now, a.id
    for p in _places().values():
        for moment in (p.published_at, p.confirmed_at, p.created_at, p.updated_at):
            assert moment is None or moment <= now, p.id
        assert rules.MIN_WEEKS <= p.duration_weeks <= rules.MAX_WEEKS
        assert p.end_date == p.start_date + timedelta(weeks=p.duration_weeks), p.id
        if p.status in OPEN:
            assert day <= p.start_date <= day + timedelta(days=2 * 365), (p.id, p.start_date)
    for model in (User, Company, Mentor):
        assert db.session.scalar(select(func.max(model.created_at))) <= now
    assert all(
        m.trained_on is None or m.trained_on <= day for m in db.session.scalars(select(Mentor))
    )
    for a in db.session.scalars(select(Accreditation)):
        assert a.valid_from <= day and (a.withdrawn_at is None or a.withdrawn_at <= day)


def test_the_history_is_there_and_in_the_past(demo):
    finished = [i for i in _internships() if i.status != InternshipStatus.ACTIVE]
    running = _internships(InternshipStatus.ACTIVE)
    # (Fewer than before companies answered by habit: some applications expire unanswered.)
    assert len(finished) > 40 and len(running) > 30
    expired = db.session.scalar(
        select(func.count(Application.id)).where(Application.status == ApplicationStatus.EXPIRED)
    )
    assert expired > 0  # nobody answered some applications within the answer period
    assert any(i.start_date <= today() for i in running)
    submitted = db.session.scalar(
        select(func.count(Evaluation.id)).where(Evaluation.submitted_at.is_not(None))
    )
    assert submitted > 100


def test_capacity_of_open_places_and_running_internships(demo):
    places = _places()
    taken = seats_taken(list(places))
    for pid, p in places.items():
        assert taken.get(pid, 0) <= p.seats, pid
    open_ids = [pid for pid, p in places.items() if p.status == PlacementStatus.OPEN]
    assert open_ids
    for pid, room in place_rooms(open_ids).items():
        assert room.meester_room >= 0, ("meester", pid, room)
        assert room.gezel_room is None or room.gezel_room >= 0, ("gezel", pid, room)

    running = _internships(InternshipStatus.ACTIVE)
    mentor_ids = {m for i in running for m in (i.meester_id, i.gezel_id) if m is not None}
    items = commitments(mentor_ids)
    capacity = dict(db.session.execute(select(Mentor.id, Mentor.capacity)).all())
    over = set()
    for i in running:
        if committed(items[i.meester_id], i.start_date, i.end_date) > capacity[i.meester_id]:
            over.add(i.meester_id)
        if i.gezel_id is not None:  # no gezel is ever over capacity
            assert committed(items[i.gezel_id], i.start_date, i.end_date) <= capacity[i.gezel_id]
    # Only the few meesters whose capacity was lowered after the fact, through running
    # internships on places that are no longer open, and with no open place of their own.
    meesters = db.session.scalar(
        select(func.count(Mentor.id)).where(Mentor.role == MentorRole.MEESTER)
    )
    assert over, "the coordinators' over-capacity list needs something to show"
    assert len(over) <= max(1, round(0.02 * meesters))
    for meester_id in over:
        mine = [p for p in places.values() if meester_id in (p.meester_id, p.gezel_id)]
        assert all(p.status not in OPEN for p in mine), meester_id
        learners = [i for i in running if i.meester_id == meester_id]
        # The dashboard's definition: more running internships than capacity.
        assert len(learners) > capacity[meester_id]


def test_accreditation_is_current_on_the_start(demo):
    places, crebos = _places(), _crebos()
    accreditations: dict[tuple[int, int], list[Accreditation]] = {}
    for a in db.session.scalars(select(Accreditation)):
        accreditations.setdefault((a.company_id, a.qualification_id), []).append(a)

    def accredited(place: Placement, day: date) -> bool:
        return all(
            any(a.is_current(day) for a in accreditations.get((place.company_id, q.id), []))
            for q in crebos[place.id]
        )

    for p in places.values():
        if p.status == PlacementStatus.OPEN:
            assert accredited(p, p.start_date), p.id
    for i in _internships():
        p = places[i.placement_id]
        assert accredited(p, i.start_date), (i.id, i.status)
        if i.status == InternshipStatus.ACTIVE:
            assert accredited(p, p.start_date), i.id


def test_bbl_pays_at_least_the_minimum_wage(demo):
    places = _places()
    for p in places.values():
        assert (
            (p.leerweg == Leerweg.BBL) == (p.wage_age is not None) == (p.days_per_week is not None)
        )
        if p.leerweg == Leerweg.BBL:
            floor = _wage_floor(p.wage_age, p.start_date, p.hours_per_week)
            assert rules.pay_meets(p.pay_per_month, floor), p.id
    births = dict(db.session.execute(select(StudentProfile.id, StudentProfile.birth_date)).all())
    for i in _internships():
        p = places[i.placement_id]
        age = rules.age_on(births[i.student_id], i.start_date)
        assert age >= 15, (i.id, age)  # mbo learners; a BBL contract needs 15 at least
        if p.leerweg == Leerweg.BBL:
            floor = _wage_floor(age, i.start_date, p.hours_per_week)
            assert rules.pay_meets(p.pay_per_month, floor), (i.id, age, p.pay_per_month, floor)


def test_working_time_rules(demo):
    places = _places()
    for p in places.values():
        minor = p.leerweg == Leerweg.BBL and p.wage_age < rules.ADULT_AGE
        found = rules.working_time_reasons(
            p.leerweg, p.hours_per_week, p.days_per_week, minor=minor
        )
        assert not found, (p.id, found)
        if p.leerweg == Leerweg.BBL:
            assert p.days_per_week <= 4
    births = dict(db.session.execute(select(StudentProfile.id, StudentProfile.birth_date)).all())
    minors = 0
    for i in _internships():
        p = places[i.placement_id]
        minor = rules.age_on(births[i.student_id], i.start_date) < rules.ADULT_AGE
        minors += minor
        found = rules.working_time_reasons(
            p.leerweg, p.hours_per_week, p.days_per_week, minor=minor
        )
        assert not found, (i.id, found)
    assert minors > 0


def test_internships_match_leerweg_and_qualification(demo):
    places, crebos = _places(), _crebos()
    students = {s.id: s for s in db.session.scalars(select(StudentProfile))}
    quals = {q.id: q for q in db.session.scalars(select(Qualification))}
    for i in _internships():
        student, place = students[i.student_id], places[i.placement_id]
        own = quals[student.qualification_id]
        assert place.leerweg == student.leerweg, i.id
        assert i.meester_id == place.meester_id and i.gezel_id == place.gezel_id
        on_place = {q.id for q in crebos[place.id]}
        same_dossier = any(q.dossier_crebo == own.dossier_crebo for q in crebos[place.id])
        assert own.id in on_place or (same_dossier and place.level == student.level), i.id

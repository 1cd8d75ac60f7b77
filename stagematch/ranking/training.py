"""Training data as it stood when each student chose, and training a new model version.

A training example is a `Session` (`matching.data`): a student on the day they first applied (or
the day their internship was agreed, when it came without an application), the places on offer
that day that the eligibility rules allowed them, and what happened with each. Every feature is
the one the site would have computed that day (point in time):

- the meester's learners over the place's period, counted as `services.capacity` counts them
  on that day (`learners_as_of`): internships agreed by then and not ended;
- ratings submitted before that day; completions (and the company's) of internships that ended
  before that day;
- the seats taken that day (`seats_taken_as_of`): a place is on offer from its publication until
  it starts, while a seat is free.

So an example never sees its own outcome, nor anything that happened after the student chose."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, timedelta

import numpy as np

from stagematch.matching.data import ENGAGED, GOOD, NOTHING, PlaceData, Session
from stagematch.models.enums import InternshipOutcome, InternshipStatus
from stagematch.ranking import data
from stagematch.ranking.registry import save_model

SESSION_DAYS = 60  # applications within this many days of the first belong to the same choice
WEEK = 7


def training_examples() -> list[Session]:
    """One session per student who applied or started an internship (see the module docstring);
    sessions whose candidates the rules no longer allow at all are kept (empty), `train` leaves
    out those with nothing to rank."""
    from stagematch.matching.eligibility import MAX_START_AHEAD, candidate_pairs
    from stagematch.services.capacity import learners_as_of, seats_taken_as_of

    first: dict[int, date] = {}
    applied: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for sid, pid, day in data.applications_history():
        applied[sid].append((pid, day))
        first[sid] = min(first.get(sid, day), day)
    internships = data.internships_history()
    for i in internships:
        first.setdefault(i.student_id, i.created_at.date())
    if not first:
        return []
    students = {
        s.id: dataclasses.replace(s, available_from=None) for s in data.students_by_id(first)
    }
    shown = data.interest_history()
    started: dict[int, object] = {}
    for i in internships:  # the first internship agreed within the session's days
        day = first.get(i.student_id)
        if (
            day is not None
            and i.student_id not in started
            and day <= i.created_at.date() < day + timedelta(days=SESSION_DAYS)
        ):
            started[i.student_id] = i

    places = data.published_places()
    base = data.places_by_id(
        [p.id for p in places], facts=data.structure_facts({p.meester_id for p in places})
    )
    places = [p for p in places if p.id in base]
    published = np.array([p.published.toordinal() for p in places])
    starts = np.array([p.start.toordinal() for p in places])
    by_kind: dict[tuple[str, str], list[int]] = defaultdict(list)  # (leerweg, dossier) -> rows
    for row, p in enumerate(places):
        for dossier in base[p.id].dossiers:
            by_kind[(base[p.id].leerweg, dossier)].append(row)
    kind_rows = {k: np.array(v) for k, v in by_kind.items()}

    # Places on offer on each student's day (published, not started), of their kind.
    offer: dict[int, np.ndarray] = {}
    for sid, day in first.items():
        s = students.get(sid)
        rows = kind_rows.get((s.leerweg, s.dossier)) if s is not None else None
        if rows is None:
            continue
        d = day.toordinal()
        mask = (
            (published[rows] <= d) & (starts[rows] > d) & (starts[rows] <= d + MAX_START_AHEAD.days)
        )
        offer[sid] = rows[mask]
    pairs = [(places[r].id, first[sid]) for sid, rows in offer.items() for r in rows]
    taken = dict(zip(pairs, seats_taken_as_of(pairs), strict=True))
    seats = data.place_seats({pid for pid, _ in pairs})

    # The eligibility rules, a week of students at a time (seats are checked for the day above).
    allowed: dict[int, set[int]] = {}
    weeks: dict[int, list[int]] = defaultdict(list)
    for sid in offer:
        weeks[first[sid].toordinal() // WEEK].append(sid)
    for week, sids in weeks.items():
        rows = sorted({r for sid in sids for r in offer[sid].tolist()})
        if not rows:
            continue
        week_places = [base[places[r].id] for r in rows]
        week_students = [students[sid] for sid in sids]
        si, pj = candidate_pairs(week_students, week_places, on=date.fromordinal(week * WEEK))
        for i, j in zip(si.tolist(), pj.tolist(), strict=True):
            allowed.setdefault(week_students[i].id, set()).add(week_places[j].id)

    history = data.history()
    by_id = {p.id: p for p in places}
    candidates: dict[int, list[int]] = {}
    loads = []
    for sid, rows in offer.items():
        ok = allowed.get(sid, set())
        day = first[sid]
        chosen = [
            places[r].id for r in rows.tolist()
            if places[r].id in ok and taken[(places[r].id, day)] < seats[places[r].id]
        ]  # fmt: skip
        candidates[sid] = chosen
        loads += [(by_id[pid].meester_id, by_id[pid].start, by_id[pid].end, day) for pid in chosen]
    learners = iter(learners_as_of(loads))

    cache: dict[tuple, PlaceData] = {}
    sessions = []
    for sid, chosen in candidates.items():
        day, student = first[sid], students[sid]
        if shown.get(sid):
            student = data.interest_before(shown[sid], day).of(student)
        window = day + timedelta(days=SESSION_DAYS)
        engaged = {pid for pid, d in applied.get(sid, ()) if d < window}
        internship = started.get(sid)
        session_places, grades = [], []
        started_at = None
        for pid in chosen:
            free = seats[pid] - taken[(pid, day)]
            place = _as_of(base[pid], by_id[pid], day, next(learners), history, cache, free)
            grade = ENGAGED if pid in engaged else NOTHING
            if internship is not None and internship.placement_id == pid:
                started_at = len(session_places)
                good = internship.outcome == InternshipOutcome.SUCCESS
                grade = GOOD if good and internship.status != InternshipStatus.ACTIVE else ENGAGED
            session_places.append(place)
            grades.append(grade)
        success = ended = None
        if started_at is not None and internship.status != InternshipStatus.ACTIVE:
            success = internship.outcome == InternshipOutcome.SUCCESS
            ended = internship.ended_at or internship.end_date
        sessions.append(Session(student, day, tuple(session_places), tuple(grades),
                                started=started_at, success=success, ended_on=ended))  # fmt: skip
    sessions.sort(key=lambda s: (s.on, s.student.id))
    return sessions


def _as_of(
    base: PlaceData, place, day: date, learners: int, history, cache, free: int
) -> PlaceData:
    """The place as the site showed it on `day`: the meester's learners then, ratings and
    completions up to then, the company's completions and answers up to then, the place's open
    applications and free seats then."""
    meester = history.meester(base.meester, place.meester_id, day, learners)
    company = history.company(place.company_id, day)
    market = history.market(place.company_id, base.id, day)
    key = (base.id, meester, company, market, free)
    found = cache.get(key)
    if found is None:
        found = cache[key] = dataclasses.replace(
            base, meester=meester, company_finished=company[0], company_ok=company[1],
            meester_id=place.meester_id, company_asked=market[0], company_answered=market[1],
            open_applications=market[2], applications=market[3], seats_free=max(1, free),
        )  # fmt: skip
    return found


def train_and_register(progress=None, *, activate_if_passed: bool = False):
    """Train on the sessions of the whole history, run the gate (`ranking.gate`; its outcome is
    stored with the version's metrics) and register the version; make it active only when asked
    and the gate passed. The version is never active otherwise: an administrator decides."""
    from stagematch.matching.model import train
    from stagematch.ranking.gate import run_gate
    from stagematch.ranking.registry import activate

    sessions = training_examples()
    model = train(sessions, progress=progress)
    if progress is not None:
        progress("Toets: baselines, structuur en groepen …")
    model.metrics.append(run_gate(model, sessions, _schools([s.student.id for s in sessions])))
    version = save_model(model)
    if activate_if_passed and model.metrics[-1]["passed"]:
        activate(version)
    return version, model


def _schools(student_ids: list[int]) -> dict[int, str]:
    """Each student's school name (the gate's school groups)."""
    from sqlalchemy import select

    from stagematch.extensions import db
    from stagematch.models import School, StudentProfile

    found: dict[int, str] = {}
    for start in range(0, len(student_ids), data.CHUNK):
        chunk = student_ids[start : start + data.CHUNK]
        found.update(db.session.execute(
            select(StudentProfile.id, School.name)
            .join(School, School.id == StudentProfile.school_id)
            .where(StudentProfile.id.in_(chunk))
        ).tuples().all())  # fmt: skip
    return found

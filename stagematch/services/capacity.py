"""Capacity: the only place where a meester's or gezel's learners, reserved seats and free seats
are counted. No code outside this module counts learners (tests/test_capacity.py greps for it).

One definition, over a period [start, end) (a place's or an internship's dates; end exclusive):

- **learners** of a mentor: running internships naming the mentor as meester or as gezel whose
  period overlaps. Running (`holds_seat_clause`): status active, or ended early (terminated)
  with its last day still to come — ending early sets `end_date` to the day after the last day,
  so the seat and the mentor's time free from then on;
- **offers**: open offers (status offered, respond-by date not passed) on places naming the
  mentor whose period overlaps — an offer holds a seat until the student answers;
- **reserved**: for every open place naming the mentor whose period overlaps, its seats minus
  its running internships minus its open offers (never below 0);
- **committed** = learners + offers + reserved; **room** = capacity − committed. A place is
  allowed only while its meester's and gezel's room over the place's period is ≥ 0 (the place's
  own unfilled seats are part of what is committed), and it has a free seat:
  **free seats** = seats − running internships − open offers.

A meester with a learner until March is therefore free in April. Overlap is counted, not the
peak of concurrent learners: conservative, the same in Python and SQL, and simple to explain.

The same definition exists as SQL expressions (`seats_free_sql`, `room_sql`) for queries; the
property test checks that both agree.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ARRAY, Date, Integer, and_, any_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import aliased

from stagematch.extensions import db
from stagematch.models import Application, Internship, Mentor, Placement
from stagematch.models.enums import ApplicationStatus, InternshipStatus, PlacementStatus
from stagematch.timeutil import today

FOREVER = date.max
MENTOR_CHUNK = 2000  # mentor ids per IN list


def _overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    return a_start < b_end and b_start < a_end


def open_offer_clause(on: date | None = None):
    """SQL: an application that holds a seat as an unanswered offer."""
    on = today() if on is None else on
    return and_(
        Application.status == ApplicationStatus.OFFERED,
        or_(Application.respond_by.is_(None), Application.respond_by >= on),
    )


def holds_seat_clause(internship=Internship, on: date | None = None):
    """SQL: an internship that holds its seat and its mentors' time on `on`: running (status
    active), or ended early with its last day still to come (its `end_date`, exclusive, after
    `on`; services/early_ending.py). Ended before it began: an empty period, nothing held."""
    on = today() if on is None else on
    return or_(
        internship.status == InternshipStatus.ACTIVE,
        and_(
            internship.status == InternshipStatus.TERMINATED,
            internship.end_date > on,
            internship.end_date > internship.start_date,
        ),
    )


# --- plain rows: every commitment of some mentors ----------------------------------------------


@dataclass(frozen=True)
class Commitment:
    mentor_id: int
    start: date
    end: date
    count: int
    place_id: int | None  # the open place a reservation or offer belongs to
    kind: str  # "learner", "offer", "reserved"


@dataclass(frozen=True)
class PlaceRow:
    id: int
    seats: int
    meester_id: int
    gezel_id: int | None
    start: date
    end: date
    status: str


# --- reading the same counts once per page -------------------------------------------------------
_memo: ContextVar[dict | None] = ContextVar("capacity_memo", default=None)


@contextmanager
def reading() -> Iterator[None]:
    """Within the block, seat counts, commitments and capacities are read from the database once:
    the place page shows a place's seats, its meester's load and the place's room, which asked
    for the same rows three times (issue #20). Only around reading — nothing may be written
    inside the block, or later reads would not see it."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _capacities(mentor_ids) -> dict[int, int]:
    ids = set(mentor_ids)
    memo = _memo.get()
    known = memo.setdefault("capacity", {}) if memo is not None else {}
    missing = ids - known.keys()
    if missing:
        found = dict(
            db.session.execute(
                select(Mentor.id, Mentor.capacity).where(Mentor.id.in_(missing))
            ).all()
        )
        known.update({m: found.get(m) for m in missing})
    return {m: known[m] for m in ids if known[m] is not None}


def _place_rows(placement_ids) -> dict[int, PlaceRow]:
    ids = list(set(placement_ids))
    rows: dict[int, PlaceRow] = {}
    for start in range(0, len(ids), 5000):
        for r in db.session.execute(
            select(Placement.id, Placement.seats, Placement.meester_id, Placement.gezel_id,
                   Placement.start_date, Placement.end_date, Placement.status)
            .where(Placement.id.in_(ids[start : start + 5000]))
        ):  # fmt: skip
            rows[r.id] = PlaceRow(*r)
    return rows


def _filled_and_offered(placement_ids, on: date) -> tuple[dict[int, int], dict[int, int]]:
    memo = _memo.get()
    if memo is None:
        return _count_filled_and_offered(placement_ids, on)
    known_ids, filled, offered = memo.setdefault(("seats", on), (set(), {}, {}))
    wanted = set(placement_ids)
    if wanted - known_ids:
        more_filled, more_offered = _count_filled_and_offered(wanted - known_ids, on)
        filled.update(more_filled)
        offered.update(more_offered)
        known_ids |= wanted
    return ({p: n for p, n in filled.items() if p in wanted},
            {p: n for p, n in offered.items() if p in wanted})  # fmt: skip


def _count_filled_and_offered(placement_ids, on: date) -> tuple[dict[int, int], dict[int, int]]:
    ids = list(set(placement_ids))
    filled: dict[int, int] = {}
    offered: dict[int, int] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        filled.update(
            db.session.execute(
                select(Internship.placement_id, func.count(Internship.id))
                .where(
                    Internship.placement_id.in_(chunk),
                    holds_seat_clause(Internship, on),
                )
                .group_by(Internship.placement_id)
            ).all()
        )
        offered.update(
            db.session.execute(
                select(Application.placement_id, func.count(Application.id))
                .where(Application.placement_id.in_(chunk), open_offer_clause(on))
                .group_by(Application.placement_id)
            ).all()
        )
    return filled, offered


def commitments(mentor_ids, *, on: date | None = None) -> dict[int, list[Commitment]]:
    """Every commitment of these mentors that has not ended by `on`, as plain rows."""
    on = today() if on is None else on
    memo = _memo.get()
    key = ("commitments", frozenset(mentor_ids), on)
    if memo is not None and key in memo:
        return {m: list(items) for m, items in memo[key].items()}
    result = _commitments(key[1], on)
    if memo is not None:
        memo[key] = {m: list(items) for m, items in result.items()}
    return result


def _commitments(mentor_ids, on: date) -> dict[int, list[Commitment]]:
    ids = list(set(mentor_ids))
    result: dict[int, list[Commitment]] = {m: [] for m in ids}
    if not ids:
        return result
    for start in range(0, len(ids), MENTOR_CHUNK):
        chunk = ids[start : start + MENTOR_CHUNK]
        in_chunk = set(chunk)  # a place's meester and gezel may fall in different chunks
        for column in (Internship.meester_id, Internship.gezel_id):
            for mentor_id, s, e in db.session.execute(
                select(column, Internship.start_date, Internship.end_date).where(
                    column.in_(chunk),
                    holds_seat_clause(Internship, on),
                    Internship.end_date > on,
                )
            ):
                result[mentor_id].append(Commitment(mentor_id, s, e, 1, None, "learner"))
        places = db.session.execute(
            select(Placement.id, Placement.seats, Placement.meester_id, Placement.gezel_id,
                   Placement.start_date, Placement.end_date, Placement.status)
            .where(
                or_(Placement.meester_id.in_(chunk), Placement.gezel_id.in_(chunk)),
                Placement.end_date > on,
                or_(
                    Placement.status == PlacementStatus.OPEN,
                    Placement.id.in_(select(Application.placement_id).where(open_offer_clause(on))),
                ),
            )
        ).all()  # fmt: skip
        filled, offered = _filled_and_offered([p.id for p in places], on)
        for p in places:
            unfilled = 0
            if p.status == PlacementStatus.OPEN:
                unfilled = max(0, p.seats - filled.get(p.id, 0) - offered.get(p.id, 0))
            for mentor_id in (p.meester_id, p.gezel_id):
                if mentor_id in in_chunk:
                    if offered.get(p.id):
                        result[mentor_id].append(Commitment(
                            mentor_id, p.start_date, p.end_date, offered[p.id], p.id, "offer"))  # fmt: skip
                    if unfilled:
                        result[mentor_id].append(Commitment(
                            mentor_id, p.start_date, p.end_date, unfilled, p.id, "reserved"))  # fmt: skip
    return result


def committed(items: list[Commitment], start: date, end: date, *, kind: str | None = None) -> int:
    return sum(
        c.count for c in items if _overlaps(c.start, c.end, start, end) and kind in (None, c.kind)
    )


# --- what the site shows and checks --------------------------------------------------------------


@dataclass(frozen=True)
class MentorLoad:
    """A mentor's load over a period (from today on, unless a place's period is asked for)."""

    mentor_id: int
    capacity: int
    active: int  # learners (running or agreed internships) in the period
    offered: int  # open offers in the period
    reserved: int  # unfilled seats of open places in the period

    @property
    def committed(self) -> int:
        return self.active + self.offered + self.reserved

    @property
    def room(self) -> int:
        """Capacity left; negative when over capacity."""
        return self.capacity - self.committed

    @property
    def free(self) -> int:
        return max(0, self.room)

    @property
    def over_capacity(self) -> bool:
        return self.room < 0 or self.active > self.capacity


def mentor_loads(
    mentor_ids, *, start: date | None = None, end: date = FOREVER, exclude_placement_id=None,
    on: date | None = None,
) -> dict[int, MentorLoad]:  # fmt: skip
    """Load per mentor over [start, end) (default: from today on). `exclude_placement_id` leaves
    one place's reservation and offers out, to check that place's own seats against the rest."""
    on = today() if on is None else on
    start = start or on
    ids = list(set(mentor_ids))
    if not ids:
        return {}
    capacity = _capacities(ids)
    items = commitments(ids, on=on)
    result = {}
    for m in ids:
        if m not in capacity:
            continue
        mine = [
            c
            for c in items[m]
            if exclude_placement_id is None or c.place_id != exclude_placement_id
        ]
        result[m] = MentorLoad(
            m, capacity[m], committed(mine, start, end, kind="learner"),
            committed(mine, start, end, kind="offer"), committed(mine, start, end, kind="reserved"),
        )  # fmt: skip
    return result


def mentor_load(mentor_id: int, **kwargs) -> MentorLoad:
    return mentor_loads([mentor_id], **kwargs)[mentor_id]


@dataclass(frozen=True)
class PlaceRoom:
    seats_free: int  # seats − running internships − open offers
    meester_room: int  # meester's capacity − commitments over the place's period
    gezel_room: int | None  # the same for the place's gezel; None: no gezel
    meester_active: int  # the meester's learners over the place's period


def place_rooms(
    placement_ids, *, on: date | None = None, as_open: bool = False, holding_offer=None
) -> dict[int, PlaceRoom]:
    """Seats and capacity per place over its own period. `as_open`: count each place as if it
    were open (publishing a draft). `holding_offer`: an application id whose offer is being
    taken: its seat is the student's already."""
    on = today() if on is None else on
    places = _place_rows(placement_ids)
    if not places:
        return {}
    filled, offered = _filled_and_offered(list(places), on)
    if holding_offer is not None:
        pid = db.session.scalar(
            select(Application.placement_id).where(Application.id == holding_offer, open_offer_clause(on))
        )  # fmt: skip
        if pid in offered:
            offered[pid] -= 1
    mentors = {m for p in places.values() for m in (p.meester_id, p.gezel_id) if m is not None}
    items = commitments(mentors, on=on)
    capacity = _capacities(mentors)
    result = {}
    for p in places.values():
        unfilled = max(0, p.seats - filled.get(p.id, 0) - offered.get(p.id, 0))

        def room(mentor_id: int, p: PlaceRow = p, unfilled: int = unfilled) -> int:
            mine = items.get(mentor_id, [])
            if as_open or p.status != PlacementStatus.OPEN:
                # Not open (yet): its own seats are not among the commitments; count them.
                mine = [c for c in mine if not (c.place_id == p.id and c.kind == "reserved")]
                own = unfilled if as_open else 0
            else:
                own = 0
            # A held offer that is taken moves from "offer" to "learner": net zero.
            used = committed(mine, p.start, p.end)
            return capacity.get(mentor_id, 0) - used - own

        result[p.id] = PlaceRoom(
            seats_free=unfilled,
            meester_room=room(p.meester_id),
            gezel_room=room(p.gezel_id) if p.gezel_id is not None else None,
            meester_active=committed(items.get(p.meester_id, []), p.start, p.end, kind="learner"),
        )
    return result


def seats_taken(placement_ids, *, on: date | None = None) -> dict[int, int]:
    """Running internships plus open offers per place."""
    filled, offered = _filled_and_offered(placement_ids, on or today())
    return {pid: filled.get(pid, 0) + offered.get(pid, 0) for pid in set(placement_ids)}


def filled_seats(placement_ids) -> dict[int, int]:
    """Running internships per place."""
    return _filled_and_offered(placement_ids, today())[0]


def filled_by_qualification() -> dict[int, int]:
    """Running internships per qualification of their place (public statistics)."""
    from stagematch.models import placement_qualification

    pq = placement_qualification.c
    return dict(
        db.session.execute(
            select(pq.qualification_id, func.count(Internship.id))
            .join(Internship, Internship.placement_id == pq.placement_id)
            .where(holds_seat_clause(Internship))
            .group_by(pq.qualification_id)
        ).all()
    )


def free_seats(placement: Placement) -> int:
    return max(0, placement.seats - seats_taken([placement.id]).get(placement.id, 0))


def current_learners(mentor_ids, *, on: date | None = None) -> dict[int, int]:
    """Learners of each mentor on the day `on` (internships running that day)."""
    on = today() if on is None else on
    items = commitments(mentor_ids, on=on)
    return {
        m: committed(c, on, date.fromordinal(on.toordinal() + 1), kind="learner")
        for m, c in items.items()
    }


def learners_by_school(mentor_ids, *, on: date | None = None) -> dict[int, dict[int, int]]:
    """Learners of each mentor on the day `on`, per school of the learners."""
    on = today() if on is None else on
    ids = list(set(mentor_ids))
    result: dict[int, dict[int, int]] = {m: {} for m in ids}
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        for column in (Internship.meester_id, Internship.gezel_id):
            for mentor_id, school_id, n in db.session.execute(
                select(column, Internship.school_id, func.count(Internship.id))
                .where(
                    column.in_(chunk),
                    holds_seat_clause(Internship, on),
                    Internship.start_date <= on,
                    Internship.end_date > on,
                )  # fmt: skip
                .group_by(column, Internship.school_id)
            ):
                per = result[mentor_id]
                per[school_id] = per.get(school_id, 0) + n
    return result


def students_with_running_internship(student_ids=None):
    """SQL: ids of students with a running internship (status active), optionally among some.
    Never NULL (an internship keeps its row when the student is deleted), so `NOT IN` on it
    works: one NULL would make `x NOT IN (...)` false for every x."""
    stmt = select(Internship.student_id).where(
        Internship.status == InternshipStatus.ACTIVE, Internship.student_id.is_not(None)
    )
    if student_ids is not None:
        stmt = stmt.where(Internship.student_id.in_(student_ids))
    return stmt


def minimum_capacity(mentor_id: int, *, on: date | None = None) -> int:
    """The lowest capacity that keeps every running internship and open place of this mentor
    within the rules: the largest commitment over any of their periods."""
    on = today() if on is None else on
    items = commitments([mentor_id], on=on)[mentor_id]
    return max((committed(items, c.start, c.end) for c in items), default=0)


# --- the same definition in SQL ------------------------------------------------------------------


def running_sql(place=Placement, on: date | None = None):
    """SQL: running internships on `place` (correlated)."""
    I = aliased(Internship)  # noqa: E741, N806
    return (
        select(func.count(I.id))
        .where(I.placement_id == place.id, holds_seat_clause(I, on))
        .scalar_subquery()
    )


def open_offers_sql(place=Placement, on: date | None = None):
    """SQL: open offers on `place` (correlated)."""
    on = today() if on is None else on
    A = aliased(Application)  # noqa: N806
    return (
        select(func.count(A.id))
        .where(
            A.placement_id == place.id,
            A.status == ApplicationStatus.OFFERED,
            or_(A.respond_by.is_(None), A.respond_by >= on),
        )  # fmt: skip
        .scalar_subquery()
    )


def seats_free_sql(place=Placement, on: date | None = None):
    """SQL: free seats of `place` (correlated)."""
    return place.seats - running_sql(place, on) - open_offers_sql(place, on)


def room_sql(mentor_column, place=Placement, on: date | None = None):
    """SQL: capacity minus commitments of the mentor `mentor_column` over `place`'s period, the
    place's own unfilled seats included when it is open (correlated; see the module docstring).
    Each commitment is looked up once through the meester column and once through the gezel
    column (an index each; a mentor is never both on one row), not with an OR."""
    on = today() if on is None else on
    M = aliased(Mentor)  # noqa: N806

    def learners(column_name: str):
        return _learners_via(column_name, mentor_column, place, on)

    def places(column_name: str):
        """Open offers on the mentor's places, plus the unfilled seats of the open ones."""
        Q = aliased(Placement)  # noqa: N806
        offers = open_offers_sql(Q, on)
        q_free = Q.seats - running_sql(Q, on) - offers
        held = offers + case((and_(Q.status == PlacementStatus.OPEN, q_free > 0), q_free), else_=0)
        return (
            select(func.coalesce(func.sum(held), 0))
            .where(
                getattr(Q, column_name) == mentor_column,
                Q.end_date > on,
                Q.start_date < place.end_date,
                place.start_date < Q.end_date,
            )  # fmt: skip
            .scalar_subquery()
        )

    capacity = select(M.capacity).where(M.id == mentor_column).scalar_subquery()
    return (
        capacity - learners("meester_id") - learners("gezel_id")
        - places("meester_id") - places("gezel_id")
    )  # fmt: skip


def _learners_via(column_name: str, mentor_column, place, on):
    """SQL: running internships naming the mentor in `column_name` over `place`'s period."""
    I = aliased(Internship)  # noqa: E741, N806
    return (
        select(func.count(I.id))
        .where(
            getattr(I, column_name) == mentor_column,
            holds_seat_clause(I, on),
            I.end_date > on,
            I.start_date < place.end_date,
            place.start_date < I.end_date,
        )  # fmt: skip
        .scalar_subquery()
    )


def learners_sql(mentor_column, place=Placement, on: date | None = None):
    """SQL: the mentor's learners over `place`'s period (correlated)."""
    on = today() if on is None else on
    return _learners_via("meester_id", mentor_column, place, on) + _learners_via(
        "gezel_id", mentor_column, place, on
    )


@functools.cache
def _with_room_statement(dialect: str):
    """Built once per process (building these correlated expressions costs more than running
    them for a page of places); the ids and the day are bind parameters. On PostgreSQL the ids
    are one array, so the SQL text is the same for any number of ids and psycopg prepares it
    instead of PostgreSQL planning it on every request."""
    if dialect == "postgresql":
        condition = Placement.id == any_(bindparam("ids", type_=ARRAY(Integer)))
    else:
        condition = Placement.id.in_(bindparam("ids", expanding=True))
    return select(Placement.id).where(
        condition, place_has_room_clause(Placement, bindparam("on", type_=Date))
    )


def with_room(placement_ids, *, on: date | None = None) -> set[int]:
    """The places among `placement_ids` that have a free seat and room for their meester and
    gezel: `place_has_room_clause` run on these ids only (queries filter cheaply first, then ask
    this, so the correlated counts run for the rows that are left)."""
    on = today() if on is None else on
    ids = list(set(placement_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 5000):
        found.update(
            db.session.scalars(
                _with_room_statement(db.engine.dialect.name),
                {"ids": ids[start : start + 5000], "on": on},
            )
        )
    return found


def place_has_room_clause(place=Placement, on: date | None = None):
    """SQL: a free seat, and room for the meester and the gezel over the place's period."""
    return and_(
        seats_free_sql(place, on) > 0,
        room_sql(place.meester_id, place, on) >= 0,
        or_(place.gezel_id.is_(None), room_sql(place.gezel_id, place, on) >= 0),
    )


# --- serialising writers -------------------------------------------------------------------------


def lock_place_and_mentors(placement_id: int, extra_mentor_ids=()) -> tuple[int, int | None]:
    """Row locks for a change of seats or capacity: the place, then its mentors by id — the same
    order everywhere, so concurrent hires, offers and publishes of the same place or mentor wait
    for each other (PostgreSQL row locks; SQLite's write lock). Ends any read transaction first,
    so what is counted after the locks is the latest state."""
    db.session.commit()
    meester_id, gezel_id = db.session.execute(
        select(Placement.meester_id, Placement.gezel_id).where(Placement.id == placement_id)
    ).one()
    db.session.execute(
        update(Placement).where(Placement.id == placement_id).values(seats=Placement.seats)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    for mentor_id in sorted(
        {m for m in (meester_id, gezel_id, *extra_mentor_ids) if m is not None}
    ):
        db.session.execute(
            update(Mentor).where(Mentor.id == mentor_id).values(capacity=Mentor.capacity)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    return meester_id, gezel_id


def lock_mentors(mentor_ids) -> None:
    for mentor_id in sorted({m for m in mentor_ids if m is not None}):
        db.session.execute(
            update(Mentor).where(Mentor.id == mentor_id).values(capacity=Mentor.capacity)
            .execution_options(synchronize_session=False)
        )  # fmt: skip


# --- as it stood on an earlier day (point-in-time training data of the match model) -------------


def _agreed_spans(column, ids) -> dict[int, list[tuple[date, date, date]]]:
    """(agreed on, start, actual end) of every internship, of any status, per value of `column`
    (a mentor or place column) among `ids`. An internship that has finished since was running on
    each day between its agreement and its end."""
    result: dict[int, list[tuple[date, date, date]]] = defaultdict(list)
    ids = list(set(ids))
    for start in range(0, len(ids), MENTOR_CHUNK):
        rows = db.session.execute(
            select(column, Internship.created_at, Internship.start_date, Internship.end_date,
                   Internship.ended_at)
            .where(column.in_(ids[start : start + MENTOR_CHUNK]))
        )  # fmt: skip
        for key, created, s, e, ended in rows:
            result[key].append((created.date(), s, min(e, ended) if ended is not None else e))
    return result


def learners_as_of(queries) -> list[int]:
    """For each (mentor id, start, end, day): the mentor's learners over [start, end) as this
    module counted them when `day` began (`learners_sql` with on=day): internships agreed before
    that day, naming the mentor as meester or gezel, not ended by it, overlapping the period."""
    queries = list(queries)
    mentors = {q[0] for q in queries}
    spans = _agreed_spans(Internship.meester_id, mentors)
    for mentor_id, items in _agreed_spans(Internship.gezel_id, mentors).items():
        spans[mentor_id].extend(items)
    return [
        sum(1 for agreed, s, e in spans.get(m, ()) if agreed < day < e and s < end and start < e)
        for m, start, end, day in queries
    ]


def seats_taken_as_of(queries) -> list[int]:
    """For each (place id, day): the place's seats taken when `day` began, as `seats_taken` counts
    them: internships agreed before that day and not ended, offers made before it still open."""
    queries = list(queries)
    places = {q[0] for q in queries}
    spans = _agreed_spans(Internship.placement_id, places)
    offers: dict[int, list[tuple[date, date | None, date | None]]] = defaultdict(list)
    ids = list(places)
    for start in range(0, len(ids), MENTOR_CHUNK):
        for pid, offered, decided, respond_by in db.session.execute(
            select(Application.placement_id, Application.offered_at, Application.decided_at,
                   Application.respond_by)
            .where(Application.placement_id.in_(ids[start : start + MENTOR_CHUNK]),
                   Application.offered_at.is_not(None))
        ):  # fmt: skip
            offers[pid].append((offered.date(), decided.date() if decided else None, respond_by))
    return [
        sum(1 for agreed, _s, e in spans.get(p, ()) if agreed < day < e)
        + sum(
            1
            for offered, decided, respond_by in offers.get(p, ())
            if offered < day
            and (decided is None or decided > day)
            and (respond_by is None or respond_by >= day)
        )
        for p, day in queries
    ]


# --- allocation rounds --------------------------------------------------------------------------


def round_capacity(placements: list[Placement], *, on: date | None = None):
    """What an allocation round may hand out: free seats per place, and per meester the room left
    for the round's places (commitments outside the round over the span of the meester's round
    places). A gezel's room caps the seats of the places they are on (shared in id order)."""
    on = today() if on is None else on
    ids = [p.id for p in placements]
    taken = seats_taken(ids, on=on)
    seats = {p.id: max(0, p.seats - taken.get(p.id, 0)) for p in placements}
    by_mentor: dict[int, list[Placement]] = defaultdict(list)
    for p in placements:
        by_mentor[p.meester_id].append(p)
        if p.gezel_id is not None:
            by_mentor[p.gezel_id].append(p)
    items = commitments(list(by_mentor), on=on)
    capacities = dict(
        db.session.execute(
            select(Mentor.id, Mentor.capacity).where(Mentor.id.in_(list(by_mentor)))
        ).all()
    )
    round_ids = set(ids)
    room: dict[int, int] = {}
    for mentor_id, own in by_mentor.items():
        outside = [c for c in items.get(mentor_id, []) if c.place_id not in round_ids]
        start = min(p.start_date for p in own)
        end = max(p.end_date for p in own)
        room[mentor_id] = max(0, capacities.get(mentor_id, 0) - committed(outside, start, end))
    gezel_left = {p.gezel_id: room[p.gezel_id] for p in placements if p.gezel_id is not None}
    for p in sorted(placements, key=lambda p: p.id):
        if p.gezel_id is not None:
            seats[p.id] = min(seats[p.id], gezel_left[p.gezel_id])
            gezel_left[p.gezel_id] -= seats[p.id]
    meester_room = {p.meester_id: room[p.meester_id] for p in placements}
    return seats, meester_room

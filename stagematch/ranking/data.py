"""Loading plain data from the database for the matching (`stagematch.matching` works on plain
data only): students, places with their meester's facts, seats and capacity as the site counts
them now — and the history as it stood on an earlier day, for point-in-time training data."""

from __future__ import annotations

import dataclasses
import functools
import json
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import func, literal, select, union_all

from stagematch.extensions import db
from stagematch.matching import sqi as sqi_module
from stagematch.matching.data import PlaceData, StudentData
from stagematch.matching.features import place_sqi
from stagematch.models import (
    Application,
    Company,
    Evaluation,
    Internship,
    Mentor,
    Placement,
    Qualification,
    SavedPlace,
    StudentProfile,
    placement_qualification,
)
from stagematch.models.enums import EvaluationAuthor, InternshipOutcome, InternshipStatus
from stagematch.models.interaction import Interaction, InteractionKind
from stagematch.timeutil import utcnow

VIEW_DAYS = 60  # the place pages a student opened in these days are a feature (`viewed`)


@dataclasses.dataclass(frozen=True)
class Interest:
    """What a student showed interest in: places they opened lately (and came back to: opened on
    n more days than one), places they saved."""

    viewed: frozenset[int] = frozenset()
    saved: frozenset[int] = frozenset()
    revisits: frozenset[tuple[int, int]] = frozenset()

    def of(self, student: StudentData) -> StudentData:
        """`student` with this interest (their own lists only)."""
        return dataclasses.replace(
            student, viewed=self.viewed, revisits=self.revisits, saved=self.saved
        )


def _interest(days: dict[int, int], saved: set[int]) -> Interest:
    """From the days on which each place's page was opened, and the places saved."""
    return Interest(
        frozenset(days),
        frozenset(saved),
        frozenset((pid, n - 1) for pid, n in days.items() if n > 1),
    )


def views_per_place(students, since):
    """SELECT (student_id, place_id, days): the place pages the students of condition `students`
    opened since `since`, with on how many calendar days (the `viewed` and `revisits` features;
    one definition for the student's lists and the place facts read with them)."""
    return (
        select(Interaction.student_id, Interaction.place_id,
               func.count(func.distinct(func.date(Interaction.at))).label("days"))
        .where(students, Interaction.kind == InteractionKind.PLACE_VIEW, Interaction.at >= since,
               Interaction.place_id.is_not(None))
        .group_by(Interaction.student_id, Interaction.place_id)
    )  # fmt: skip


def interest(student_ids, *, now: datetime | None = None) -> dict[int, Interest]:
    """Per student, the places whose page they opened in the last `VIEW_DAYS` days (interaction
    log, kind `place_view`) and on how many days, and the places they saved: one indexed query
    per chunk of students."""
    ids = list(dict.fromkeys(student_ids))
    since = (now or utcnow()) - timedelta(days=VIEW_DAYS)
    viewed: dict[int, dict[int, int]] = defaultdict(dict)
    saved: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        views = views_per_place(Interaction.student_id.in_(chunk), since)
        kept = select(SavedPlace.student_id, SavedPlace.placement_id, literal(0)).where(
            SavedPlace.student_id.in_(chunk)
        )
        for sid, pid, days in db.session.execute(union_all(views, kept)):
            if days:
                viewed[sid][pid] = days
            else:
                saved[sid].add(pid)
    return {
        sid: _interest(viewed.get(sid, {}), saved.get(sid, set()))
        for sid in viewed.keys() | saved.keys()
    }


def interest_history() -> dict[int, list[tuple[date, int, bool]]]:
    """Every place view in the log and every saved place, per student, as (day, place, saved),
    oldest first (training). A save the student removed again is gone from the database: the
    history has the saves still kept."""
    found: dict[int, list[tuple[date, int, bool]]] = defaultdict(list)
    rows = db.session.execute(
        select(Interaction.student_id, Interaction.at, Interaction.place_id)
        .where(Interaction.kind == InteractionKind.PLACE_VIEW,
               Interaction.student_id.is_not(None), Interaction.place_id.is_not(None))
    )  # fmt: skip
    for sid, at, pid in rows:
        found[sid].append((at.date(), pid, False))
    for sid, at, pid in db.session.execute(
        select(SavedPlace.student_id, SavedPlace.created_at, SavedPlace.placement_id)
    ):
        found[sid].append((at.date(), pid, True))
    for events in found.values():
        events.sort()
    return found


def interest_before(events: list[tuple[date, int, bool]], day: date) -> Interest:
    """Of one student's `events`, the places viewed in the `VIEW_DAYS` days before `day` and
    those saved before `day` — not on the day itself: a session's features are those of the
    morning it began."""
    since = day - timedelta(days=VIEW_DAYS)
    days: dict[int, set[date]] = defaultdict(set)
    for on, pid, kept in events:
        if not kept and since <= on < day:
            days[pid].add(on)
    return _interest(
        {pid: len(on) for pid, on in days.items()},
        {pid for on, pid, kept in events if kept and on < day},
    )


def student_data(profile: StudentProfile, *, views: bool = False) -> StudentData:
    """The profile as plain data. `views`: with the places they opened lately — only for the
    student's own lists (home, search, API, why-this); a student's browsing is never used to rank
    them for a company or a school."""
    q = profile.qualification
    student = StudentData(
        id=profile.id, leerweg=profile.leerweg, level=profile.level, crebo=q.crebo, dossier=q.dossier_crebo,
        lat=profile.lat, lon=profile.lon, max_travel_km=profile.max_travel_km, available_from=profile.available_from,
        skills=tuple(t.strip() for t in profile.skills.split(",") if t.strip()),
        interests=tuple(t.strip() for t in profile.interests.split(",") if t.strip()), bbl_days=profile.bbl_days,
        birth_date=profile.birth_date,  # read by the legal rules only (wage, working time)
    )  # fmt: skip
    if not views:
        return student
    return interest([profile.id]).get(profile.id, Interest()).of(student)


def meester_facts(
    meester_ids: list[int], *, exclude_internship: dict[int, tuple] | None = None
) -> dict[int, sqi_module.MeesterFacts]:
    """Facts per meester: structure, current load, ratings and completion of earlier internships."""
    if not meester_ids:
        return {}
    ids = list(set(meester_ids))
    mentors = {m.id: m for m in db.session.scalars(select(Mentor).where(Mentor.id.in_(ids)))}
    from stagematch.services.capacity import current_learners

    active = current_learners(ids)
    mean_expr = (
        Evaluation.supervision_time
        + Evaluation.feedback
        + Evaluation.learning_tasks
        + Evaluation.safety
    ) / 4.0
    ratings = {m: (n, float(s or 0)) for m, n, s in db.session.execute(
        select(Internship.meester_id, func.count(Evaluation.id), func.sum(mean_expr))
        .join(Internship, Internship.id == Evaluation.internship_id)
        .where(Internship.meester_id.in_(ids), Evaluation.author_role == EvaluationAuthor.STUDENT,
               Evaluation.submitted_at.is_not(None), Evaluation.supervision_time.is_not(None))
        .group_by(Internship.meester_id))}  # fmt: skip
    finished = {m: (n, int(ok or 0)) for m, n, ok in db.session.execute(
        select(Internship.meester_id, func.count(), func.sum(func.cast(Internship.outcome == InternshipOutcome.SUCCESS, db.Integer)))
        .where(Internship.meester_id.in_(ids), Internship.status != InternshipStatus.ACTIVE)
        .group_by(Internship.meester_id))}  # fmt: skip
    gezel_of = set(
        db.session.scalars(
            select(Mentor.meester_id).where(Mentor.meester_id.in_(ids), Mentor.active)
        )
    )
    result = {}
    for mid, m in mentors.items():
        n, total = ratings.get(mid, (0, 0.0))
        done, ok = finished.get(mid, (0, 0))
        result[mid] = sqi_module.MeesterFacts(
            trained=m.trained, years_experience=m.years_experience, hours_per_week=m.hours_per_week,
            capacity=m.capacity, active_learners=active.get(mid, 0), has_gezel=mid in gezel_of,
            meestertitel=m.meestertitel, ratings_n=n, rating_mean=(total / n) if n else None,
            finished=done, completed_ok=ok,
        )  # fmt: skip
    return result


def company_completion(company_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not company_ids:
        return {}
    rows = db.session.execute(
        select(
            Placement.company_id,
            func.count(Internship.id),
            func.sum(func.cast(Internship.outcome == InternshipOutcome.SUCCESS, db.Integer)),
        )  # fmt: skip
        .join(Internship, Internship.placement_id == Placement.id)
        .where(
            Placement.company_id.in_(set(company_ids)), Internship.status != InternshipStatus.ACTIVE
        )
        .group_by(Placement.company_id)
    ).all()
    return {c: (n, int(ok or 0)) for c, n, ok in rows}


@functools.cache
def _place_statement(
    kind: str, dialect: str = "", rooms: bool = True, answers: bool = False,
    quals_in_row: bool = False, interest: bool = False,
):  # fmt: skip
    """`kind` "ids": the places of bind parameter `ids`; "open": every open place. `on` (a date)
    is a bind parameter too, so the statement is built once per process (building it costs more
    than running it for a page of places). `answers`: with the company's answers
    (`services.responses.company_answers_sql`, bind parameter `cutoff`) as columns c_asked and
    c_answered — for one place, instead of a query of its own. `quals_in_row`: with the rows of
    the crebo query (crebo, dossier, accredited) as one JSON array per place, column `quals` — for
    a page of places, instead of the second statement. `interest`: with what the student of bind
    parameter `student` showed in each place (`interest`'s query, viewed since bind parameter
    `since`): columns `viewed_days` and `saved` — their own list, instead of a query of its own.

    One SELECT for every number a PlaceData needs except its crebos: the place, its company's
    sector and completion, its meester and the meester's load, ratings and completions, as
    correlated subqueries (each an index lookup) instead of one query per kind."""
    from sqlalchemy import ARRAY, Date, DateTime, Integer, and_, any_, bindparam, case
    from sqlalchemy.orm import aliased

    from stagematch.models.enums import PlacementStatus
    from stagematch.services.capacity import learners_sql, room_sql, seats_free_sql
    from stagematch.services.responses import company_answers_sql, open_applications_sql

    if kind == "ids" and dialect == "postgresql":
        # One array parameter: the same SQL text for any number of ids, so psycopg prepares it
        # after a few runs and PostgreSQL stops planning this large query on every request.
        condition = Placement.id == any_(bindparam("ids", type_=ARRAY(Integer)))
    elif kind == "ids":
        condition = Placement.id.in_(bindparam("ids", expanding=True))
    else:
        condition = Placement.status == PlacementStatus.OPEN
    on = bindparam("on", type_=Date)
    # Seats and capacity over the place's period: the SQL form of services.capacity.
    room_columns = [
        seats_free_sql(Placement, on).label("seats_free"),
        room_sql(Placement.meester_id, Placement, on).label("meester_room"),
        case((Placement.gezel_id.is_(None), None), else_=room_sql(Placement.gezel_id, Placement, on)).label("gezel_room"),
        learners_sql(Placement.meester_id, Placement, on).label("meester_active"),
    ] if rooms else []  # fmt: skip
    answer_columns = [
        column.label(name)
        for column, name in zip(
            company_answers_sql(Placement.company_id, bindparam("cutoff", type_=DateTime)),
            ("c_asked", "c_answered"),
            strict=True,
        )
    ] if answers else []  # fmt: skip
    I, E, P2 = Internship, Evaluation, aliased(Placement)  # noqa: E741, N806
    success = func.cast(I.outcome == InternshipOutcome.SUCCESS, db.Integer)
    mean_expr = (E.supervision_time + E.feedback + E.learning_tasks + E.safety) / 4.0
    rated = and_(
        I.meester_id == Mentor.id, E.author_role == EvaluationAuthor.STUDENT,
        E.submitted_at.is_not(None), E.supervision_time.is_not(None),
    )  # fmt: skip
    finished = and_(I.meester_id == Mentor.id, I.status != InternshipStatus.ACTIVE)
    company_finished = and_(
        P2.company_id == Placement.company_id, I.status != InternshipStatus.ACTIVE
    )

    rating_join = (I, I.id == E.internship_id)  # evaluations to their internship
    company_join = (P2, P2.id == I.placement_id)  # internships to the company's places

    def scalar(column, where, join=None):
        """A correlated one-value subquery: `column` of the rows matching `where`, optionally
        over a join (target, on)."""
        statement = select(column)
        if join is not None:
            statement = statement.join(*join)
        return statement.where(where).scalar_subquery()

    from stagematch.services.eligibility import accreditation_current_clause

    pq = placement_qualification.c
    accredited = accreditation_current_clause(
        Placement.company_id, pq.qualification_id, Placement.start_date
    )
    quals_columns = []
    if quals_in_row:
        if dialect == "postgresql":
            row_of = func.json_build_array(
                Qualification.crebo, Qualification.dossier_crebo, accredited
            )
            rows_of = func.json_agg(row_of)
        else:
            row_of = func.json_array(Qualification.crebo, Qualification.dossier_crebo, accredited)
            rows_of = func.json_group_array(row_of)
        quals_columns = [
            select(rows_of).select_from(placement_qualification)
            .join(Qualification, Qualification.id == pq.qualification_id)
            .where(pq.placement_id == Placement.id).scalar_subquery().label("quals")
        ]  # fmt: skip
    interest_columns, viewed = [], None
    if interest:
        student = bindparam("student", type_=Integer)
        viewed = views_per_place(
            Interaction.student_id == student, bindparam("since", type_=DateTime)
        ).subquery("viewed")
        saved = (
            select(SavedPlace.id)
            .where(SavedPlace.student_id == student, SavedPlace.placement_id == Placement.id)
            .exists()
        )
        interest_columns = [viewed.c.days.label("viewed_days"), saved.label("saved")]
    places = (
        select(
            Placement.id,
            Placement.company_id,
            Placement.leerweg,
            Placement.level,
            Placement.lat,
            Placement.lon,
            Placement.start_date,
            Placement.duration_weeks,
            Placement.days_per_week,
            Placement.pay_per_month,
            Placement.hours_per_week.label("place_hours"),
            Placement.wage_age,
            Company.sector,
            Company.deactivated_at,
            Placement.published_at,
            Placement.title,
            Placement.tasks,
            Placement.description,
            Placement.required_skills,
            Placement.seats,
            Placement.national,
            Placement.gezel_id,
            Placement.meester_id,
            Mentor.trained,
            Mentor.years_experience,
            Mentor.hours_per_week,
            Mentor.capacity,
            Mentor.meestertitel,
            scalar(func.count(E.id), rated, join=rating_join).label("m_rated"),
            scalar(func.sum(mean_expr), rated, join=rating_join).label("m_rating_sum"),
            scalar(func.count(), finished).label("m_finished"),
            scalar(func.sum(success), finished).label("m_ok"),
            scalar(func.count(I.id), company_finished, join=company_join).label("c_finished"),
            *room_columns,
            scalar(func.sum(success), company_finished, join=company_join).label("c_ok"),
            open_applications_sql(Placement).label("open_apps"),
            *answer_columns,
            *quals_columns,
            *interest_columns,
        )  # fmt: skip
        .join(Company, Company.id == Placement.company_id)
        .join(Mentor, Mentor.id == Placement.meester_id)
        .where(condition)
    )
    if viewed is not None:
        places = places.outerjoin(viewed, viewed.c.place_id == Placement.id)
    quals = (
        select(pq.placement_id, Qualification.crebo, Qualification.dossier_crebo, accredited.label("accredited"))
        .join(Qualification, Qualification.id == pq.qualification_id)
        .join(Placement, Placement.id == pq.placement_id)
        .where(condition)
    )  # fmt: skip
    meesters = select(Placement.id, Placement.meester_id).where(condition)
    return places, quals, meesters


def _no_room():
    from stagematch.services.capacity import PlaceRoom

    return PlaceRoom(seats_free=1, meester_room=0, gezel_room=None, meester_active=0)


def load_places(
    ids: list[int] | None = None, *, facts: dict | None = None, on=None, holding_offer=None,
    as_open: bool = False, loaded: Placement | None = None,
) -> list[PlaceData]:  # fmt: skip
    """PlaceData of the places `ids` (at most CHUNK), or of every open place when ids is None.
    Seats and capacity over each place's period come from `services.capacity.place_rooms`
    (`holding_offer`, `as_open`: see there). `facts` (meester id -> MeesterFacts) replaces the
    meester facts read here. Places without a meester row are left out. `loaded`: the one place
    of `ids`, loaded with its qualifications and its company's accreditations — its crebos come
    from there and its company's answers with its row: one statement (the place page)."""
    places, _interest = _load_places(
        ids, facts=facts, on=on, holding_offer=holding_offer, as_open=as_open, loaded=loaded
    )
    return places


def _load_places(
    ids: list[int] | None = None, *, facts: dict | None = None, on=None, holding_offer=None,
    as_open: bool = False, loaded: Placement | None = None, interest_of: int | None = None,
) -> tuple[list[PlaceData], dict[int, tuple[int, bool]]]:  # fmt: skip
    """`load_places`, and with `interest_of` (a student profile id) what that student showed in
    each place, read in the same statement: place id -> (days on which they opened its page in
    the last `VIEW_DAYS` days, saved), for the places they viewed or saved."""
    from stagematch.services.capacity import PlaceRoom, place_rooms
    from stagematch.services.responses import answer_cutoff, company_answers
    from stagematch.timeutil import today

    page = loaded is not None and facts is None
    # A page of places (the cards explained, the place page) reads its companies' answers and
    # crebos in its own rows (correlated subqueries per place); more places are counted per
    # company, and their crebos read, in queries of their own.
    in_row = facts is None and ids is not None and len(ids) <= ANSWERS_IN_ROW
    quals_in_row = in_row and not page
    statement, quals_statement, meesters = _place_statement(
        "open" if ids is None else "ids", db.engine.dialect.name, facts is None, in_row,
        quals_in_row, interest_of is not None,
    )  # fmt: skip
    params = {"on": on or today()} if ids is None else {"on": on or today(), "ids": list(ids)}
    if in_row:
        params["cutoff"] = answer_cutoff(params["on"])
    if interest_of is not None:
        params["student"] = interest_of
        params["since"] = utcnow() - timedelta(days=VIEW_DAYS)
    rows = db.session.execute(statement, params).all()
    if not rows:
        return [], {}
    shown = {}
    if interest_of is not None:
        shown = {
            r.id: (r.viewed_days or 0, bool(r.saved)) for r in rows if r.viewed_days or r.saved
        }
    if page:
        quals = quals_of(loaded)
    elif quals_in_row:
        quals = [(r.id, *q) for r in rows for q in _json_rows(r.quals)]
    else:
        quals = db.session.execute(quals_statement, params).all()
    crebos: dict[int, set] = {}
    dossiers: dict[int, set] = {}
    accredited_crebos: dict[int, set] = {}
    accredited_dossiers: dict[int, set] = {}
    for pid, crebo, dossier, accredited in quals:
        crebos.setdefault(pid, set()).add(crebo)
        dossiers.setdefault(pid, set()).add(dossier)
        if accredited:
            accredited_crebos.setdefault(pid, set()).add(crebo)
            accredited_dossiers.setdefault(pid, set()).add(dossier)
    # Seats and capacity come with the rows (the SQL form); an offer being taken or a draft
    # being published needs the Python form's options. Training (facts given) reads history:
    # today's seats and capacity mean nothing there.
    NO_ROOM = _no_room()  # noqa: N806
    if holding_offer is not None or as_open:
        rooms = place_rooms(
            [r.id for r in rows], on=params["on"], holding_offer=holding_offer, as_open=as_open
        )
    elif facts is None:
        rooms = {
            r.id: PlaceRoom(max(0, r.seats_free), r.meester_room, r.gezel_room, r.meester_active)
            for r in rows
        }
    else:
        rooms = {}
    meester_of = dict(db.session.execute(meesters, params).all()) if facts is not None else {}
    # How the companies answer (now; training replaces it with the day's figures).
    if in_row:
        answers = {r.company_id: (r.c_asked, int(r.c_answered or 0)) for r in rows}
    else:
        answers = {} if facts is not None else company_answers({r.company_id for r in rows})
    result = []
    for r in rows:
        room = rooms.get(r.id, NO_ROOM)
        if facts is not None:
            meester = facts.get(meester_of.get(r.id))
            if meester is None:
                continue
            # The gezel in the chain is the place's own, as when serving.
            meester = dataclasses.replace(meester, has_gezel=r.gezel_id is not None)
        else:
            n = r.m_rated or 0
            meester = sqi_module.MeesterFacts(
                trained=r.trained, years_experience=r.years_experience, hours_per_week=r.hours_per_week,
                capacity=r.capacity, active_learners=room.meester_active, has_gezel=r.gezel_id is not None,
                meestertitel=r.meestertitel, ratings_n=n,
                rating_mean=(float(r.m_rating_sum or 0) / n) if n else None,
                finished=r.m_finished or 0, completed_ok=int(r.m_ok or 0),
            )  # fmt: skip
        result.append(PlaceData(
            id=r.id, company_id=r.company_id, leerweg=r.leerweg, level=r.level,
            crebos=frozenset(crebos.get(r.id, ())), dossiers=frozenset(dossiers.get(r.id, ())),
            lat=r.lat, lon=r.lon, start_date=r.start_date, duration_weeks=r.duration_weeks,
            days_per_week=r.days_per_week, pay_per_month=r.pay_per_month, sector=r.sector or "",
            published_at=r.published_at, text=f"{r.title} {r.tasks} {r.description}",
            skills=tuple(t.strip() for t in r.required_skills.split(",") if t.strip()),
            seats_free=room.seats_free, meester=meester, gezel=r.gezel_id is not None,
            company_finished=r.c_finished or 0, company_ok=int(r.c_ok or 0),
            hours_per_week=r.place_hours, wage_age=r.wage_age,
            accredited_crebos=frozenset(accredited_crebos.get(r.id, ())),
            accredited_dossiers=frozenset(accredited_dossiers.get(r.id, ())),
            meester_room=room.meester_room, gezel_room=room.gezel_room, meester_id=r.meester_id,
            # Training (facts given) reads history: the places were open then, whatever now.
            company_active=facts is not None or r.deactivated_at is None,
            company_asked=answers.get(r.company_id, (0, 0))[0],
            company_answered=answers.get(r.company_id, (0, 0))[1],
            open_applications=r.open_apps or 0, seats=r.seats, national=bool(r.national),
        ))  # fmt: skip
    return result, shown


def _json_rows(value) -> list:
    """A JSON array column: parsed by the driver (PostgreSQL) or a string (SQLite); NULL when
    PostgreSQL aggregated no rows."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def quals_of(placement: Placement) -> list[tuple]:
    """The rows of `_place_statement`'s crebo query for a placement loaded with its
    qualifications and its company's accreditations: accredited on the place's start date
    (`Company.accredited_for`, the Python form of `accreditation_current_clause`)."""
    return [
        (placement.id, q.crebo, q.dossier_crebo,
         placement.company.accredited_for(q.id, placement.start_date))
        for q in placement.qualifications
    ]  # fmt: skip


CHUNK = 5000  # ids per IN list (SQLite limits bound parameters)
ANSWERS_IN_ROW = 50  # up to this many places, their companies' answers come with their rows


def places_by_id(ids, *, facts: dict | None = None) -> dict[int, PlaceData]:
    ids = list(dict.fromkeys(ids))
    result: dict[int, PlaceData] = {}
    for start in range(0, len(ids), CHUNK):
        for p in load_places(ids[start : start + CHUNK], facts=facts):
            result[p.id] = p
    return result


def places_with_interest(ids, student_id: int) -> tuple[dict[int, PlaceData], Interest]:
    """`places_by_id` for one student's own list, with what they showed in these places (as
    `interest` reads it, for these places only: a feature of a pair looks at its own place) read
    in the same statement."""
    ids = list(dict.fromkeys(ids))
    result: dict[int, PlaceData] = {}
    shown: dict[int, tuple[int, bool]] = {}
    for start in range(0, len(ids), CHUNK):
        places, chunk_shown = _load_places(ids[start : start + CHUNK], interest_of=student_id)
        result.update((p.id, p) for p in places)
        shown.update(chunk_shown)
    days = {pid: n for pid, (n, _saved) in shown.items() if n}
    return result, _interest(days, {pid for pid, (_n, saved) in shown.items() if saved})


def place_data(placements: list[Placement], *, facts: dict | None = None) -> list[PlaceData]:
    """PlaceData of these placements, in their order (see load_places)."""
    if not placements:
        return []
    found = places_by_id([p.id for p in placements], facts=facts)
    return [found[p.id] for p in placements if p.id in found]


def meester_sqis(meester_ids: list[int]) -> dict[int, sqi_module.SQI]:
    return {m: sqi_module.compute(f) for m, f in meester_facts(meester_ids).items()}


def placement_sqi(placement: Placement) -> sqi_module.SQI:
    return place_sqi(place_data([placement])[0])


def school_host_sqis(school) -> list[float]:
    """SQI (0-100) of every meester with a running internship of this school's students."""
    ids = list(db.session.scalars(
        select(Internship.meester_id).where(Internship.school_id == school.id, Internship.status == InternshipStatus.ACTIVE).distinct()))  # fmt: skip
    return [s.score for s in meester_sqis(ids).values()]


def students_by_id(profile_ids, *, views: bool = False) -> list[StudentData]:
    """StudentData of these profiles (as student_data), in the order given; unknown ids skipped.
    `views`: with the places they viewed lately, as their own lists have them."""
    ids = list(dict.fromkeys(profile_ids))
    shown = interest(ids) if views else {}
    found: dict[int, StudentData] = {}
    S = StudentProfile  # noqa: N806
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(S.id, S.leerweg, S.level, Qualification.crebo, Qualification.dossier_crebo, S.lat, S.lon,
                   S.max_travel_km, S.available_from, S.skills, S.interests, S.bbl_days, S.birth_date)
            .join(Qualification, Qualification.id == S.qualification_id)
            .where(S.id.in_(ids[start : start + CHUNK]))
        )  # fmt: skip
        for r in rows:
            found[r.id] = StudentData(
                id=r.id, leerweg=r.leerweg, level=r.level, crebo=r.crebo, dossier=r.dossier_crebo,
                lat=r.lat, lon=r.lon, max_travel_km=r.max_travel_km, available_from=r.available_from,
                skills=tuple(t.strip() for t in r.skills.split(",") if t.strip()),
                interests=tuple(t.strip() for t in r.interests.split(",") if t.strip()),
                bbl_days=r.bbl_days, birth_date=r.birth_date,
                viewed=shown[r.id].viewed if r.id in shown else frozenset(),
                revisits=shown[r.id].revisits if r.id in shown else frozenset(),
                saved=shown[r.id].saved if r.id in shown else frozenset(),
            )  # fmt: skip
    return [found[i] for i in ids if i in found]


# --- the history, as it stood on an earlier day --------------------------------------------------


class Timeline:
    """Events that add up over time (ratings, completions), asked for as they stood on a day:
    per key, the days in order and running totals, so `before(key, day)` is one bisection."""

    def __init__(self, events: Iterable[tuple[object, date, float]]):
        per_key: dict[object, list[tuple[date, float]]] = defaultdict(list)
        for key, day, value in events:
            per_key[key].append((day, value))
        self._days: dict[object, list[date]] = {}
        self._sums: dict[object, list[float]] = {}
        for key, items in per_key.items():
            items.sort(key=lambda item: item[0])
            self._days[key] = [d for d, _ in items]
            total, sums = 0.0, []
            for _, value in items:
                total += value
                sums.append(total)
            self._sums[key] = sums

    def before(self, key, day: date) -> tuple[int, float]:
        """(events, sum of their values) of `key` strictly before `day`."""
        days = self._days.get(key)
        if not days:
            return 0, 0.0
        n = bisect_left(days, day)
        return n, (self._sums[key][n - 1] if n else 0.0)


@dataclasses.dataclass
class History:
    """What the site knew on any earlier day about meesters and companies: student ratings of
    each meester by the day they were submitted, and finished internships (with their outcome)
    per meester and per company by the day they ended."""

    ratings: Timeline  # meester id -> mean of time, feedback, learning tasks, safety
    meester_done: Timeline  # meester id -> 1 if the internship ended well, else 0
    company_done: Timeline  # company id -> the same
    # services.responses, by day: a company's applications whose answer period ended (value:
    # answered by then), answers that came after it; a place's applications made and decided.
    asked: Timeline | None = None
    late_answers: Timeline | None = None
    applied: Timeline | None = None
    decided: Timeline | None = None

    def market(self, company_id: int, place_id: int, day: date) -> tuple[int, int, int, int]:
        """(asked, answered, open applications, applications received) on `day`."""
        if self.asked is None:
            return 0, 0, 0, 0
        asked, answered = self.asked.before(company_id, day)
        late, _ = self.late_answers.before(company_id, day)
        received, _ = self.applied.before(place_id, day)
        decided, _ = self.decided.before(place_id, day)
        return asked, int(answered) + late, received - decided, received

    def meester(self, facts: sqi_module.MeesterFacts, meester_id: int, day: date, learners: int):
        n, total = self.ratings.before(meester_id, day)
        finished, ok = self.meester_done.before(meester_id, day)
        return dataclasses.replace(
            facts, active_learners=learners, ratings_n=n, rating_mean=(total / n) if n else None,
            finished=finished, completed_ok=int(ok),
        )  # fmt: skip

    def company(self, company_id: int, day: date) -> tuple[int, int]:
        finished, ok = self.company_done.before(company_id, day)
        return finished, int(ok)


def history() -> History:
    E, I = Evaluation, Internship  # noqa: E741, N806
    mean_expr = (E.supervision_time + E.feedback + E.learning_tasks + E.safety) / 4.0
    ratings = db.session.execute(
        select(I.meester_id, E.submitted_at, mean_expr)
        .join(I, I.id == E.internship_id)
        .where(E.author_role == EvaluationAuthor.STUDENT, E.submitted_at.is_not(None),
               E.supervision_time.is_not(None))
    ).all()  # fmt: skip
    finished = db.session.execute(
        select(I.meester_id, Placement.company_id, I.ended_at, I.end_date, I.outcome)
        .join(Placement, Placement.id == I.placement_id)
        .where(I.status != InternshipStatus.ACTIVE)
    ).all()  # fmt: skip

    def ended(row) -> date:
        return row.ended_at or row.end_date

    from stagematch.services.responses import answer_days, history_rows

    period = timedelta(days=answer_days())
    applications = history_rows()
    counted = [a for a in applications if a.counted]
    return History(
        asked=Timeline(
            (
                a.company_id,
                a.created + period,
                float(a.answered is not None and a.answered < a.created + period),
            )
            for a in counted
        ),  # fmt: skip
        late_answers=Timeline(
            (a.company_id, a.answered, 1.0)
            for a in counted
            if a.answered is not None and a.answered >= a.created + period
        ),  # fmt: skip
        applied=Timeline((a.placement_id, a.created, 1.0) for a in applications),
        decided=Timeline((a.placement_id, a.closed, 1.0) for a in applications if a.closed),
        ratings=Timeline((m, submitted.date(), float(v)) for m, submitted, v in ratings),
        meester_done=Timeline(
            (r.meester_id, ended(r), float(r.outcome == InternshipOutcome.SUCCESS))
            for r in finished
        ),
        company_done=Timeline(
            (r.company_id, ended(r), float(r.outcome == InternshipOutcome.SUCCESS))
            for r in finished
        ),
    )


def structure_facts(meester_ids) -> dict[int, sqi_module.MeesterFacts]:
    """What a meester declares (training, experience, hours, capacity, title), with no learners
    and no history: the part of the facts that does not change with the day."""
    ids = list(set(meester_ids))
    result = {}
    for start in range(0, len(ids), CHUNK):
        for m in db.session.execute(
            select(Mentor.id, Mentor.trained, Mentor.years_experience, Mentor.hours_per_week,
                   Mentor.capacity, Mentor.meestertitel)
            .where(Mentor.id.in_(ids[start : start + CHUNK]))
        ):  # fmt: skip
            result[m.id] = sqi_module.MeesterFacts(
                trained=m.trained, years_experience=m.years_experience,
                hours_per_week=m.hours_per_week, capacity=m.capacity, active_learners=0,
                has_gezel=False, meestertitel=m.meestertitel,
            )  # fmt: skip
    return result


@dataclasses.dataclass(frozen=True)
class PublishedPlace:
    id: int
    meester_id: int
    company_id: int
    published: date
    start: date
    end: date


def published_places() -> list[PublishedPlace]:
    """Every place that was ever published (on offer from then until it started)."""
    rows = db.session.execute(
        select(Placement.id, Placement.meester_id, Placement.company_id, Placement.published_at,
               Placement.start_date, Placement.end_date)
        .where(Placement.published_at.is_not(None))
        .order_by(Placement.id)
    ).all()  # fmt: skip
    return [PublishedPlace(r.id, r.meester_id, r.company_id, r.published_at.date(), r.start_date,
                           r.end_date) for r in rows]  # fmt: skip


def applications_history() -> list[tuple[int, int, date]]:
    """(student id, place id, day) of every application."""
    return [
        (s, p, created.date())
        for s, p, created in db.session.execute(
            select(Application.student_id, Application.placement_id, Application.created_at)
        )
    ]


def internships_history():
    """Every internship with a student: id, student, place, the day it was agreed, how it ended
    (outcome, the day; None while it runs)."""
    return db.session.execute(
        select(Internship.id, Internship.student_id, Internship.placement_id,
               Internship.created_at, Internship.status, Internship.outcome, Internship.ended_at,
               Internship.end_date)
        .where(Internship.student_id.is_not(None))
        .order_by(Internship.id)
    ).all()  # fmt: skip


def place_seats(placement_ids) -> dict[int, int]:
    ids = list(set(placement_ids))
    seats: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        seats.update(db.session.execute(
            select(Placement.id, Placement.seats).where(Placement.id.in_(ids[start : start + CHUNK]))
        ).all())  # fmt: skip
    return seats

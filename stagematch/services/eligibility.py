"""The database side of `stagematch.matching.eligibility`: the same rules as SQL conditions for
queries (search, suggestions, the API, alerts), and the checks that the writing paths (apply,
shortlist, offer, accept, publish, imports, allocation rounds) call before they change anything.

The rules themselves, their reasons and their sources are in `matching/eligibility.py`; capacity
is counted by `services/capacity.py`. `tests/test_eligibility_property.py` checks that the SQL
here lets through exactly what the plain function allows."""

from __future__ import annotations

import functools
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)

from stagematch.matching import eligibility as rules
from stagematch.matching.data import PlaceData, StudentData
from stagematch.models import (
    Accreditation,
    Company,
    Placement,
    Qualification,
    StudentProfile,
    placement_qualification,
)
from stagematch.models.enums import AccreditationVerification, Leerweg
from stagematch.services import DomainError
from stagematch.services.capacity import place_has_room_clause
from stagematch.timeutil import today
from stagematch.wages import ADULT, YOUNGEST, _table

BLOCKED_HOURLY = 1e9  # no lawful wage exists (under 15, or before the wage table starts)


# --- SQL building blocks -------------------------------------------------------------------------


def accreditation_current_clause(company_id, qualification_id, day):
    """SQL: the company has an accreditation for the qualification that is current on `day`
    (the rule of `Accreditation.is_current`)."""
    return exists(
        select(Accreditation.id)
        .where(
            Accreditation.company_id == company_id,
            Accreditation.qualification_id == qualification_id,
            Accreditation.valid_from <= day,
            or_(Accreditation.valid_to.is_(None), Accreditation.valid_to >= day),
            or_(Accreditation.withdrawn_at.is_(None), Accreditation.withdrawn_at > day),
            Accreditation.verification != AccreditationVerification.REJECTED,
        )
        .correlate_except(Accreditation)
    )


def company_active_clause():
    """SQL: the place's company takes part, not deactivated by an administrator (the rule of
    `PlaceData.company_active`)."""
    return not_(
        exists(
            select(Company.id)
            .where(Company.id == Placement.company_id, Company.deactivated_at.is_not(None))
            .correlate_except(Company)
        )
    )


def open_to_students(placement: Placement) -> bool:
    """Whether students may see the place at all: open, and its company not deactivated (for
    single-place pages; lists use the clauses below)."""
    from stagematch.models.enums import PlacementStatus

    return placement.status == PlacementStatus.OPEN and placement.company.deactivated_at is None


# --- who may supervise where (issue 18) ----------------------------------------------------------


def may_supervise(mentor, company_id: int, *, role: str | None = None) -> bool:
    """The one rule for "may this mentor supervise a learner at this company": an active mentor
    (of the given role) of the company itself, or of a company that shares a leerbedrijf network
    with it as a member on both sides (`services.networks`). Every writing path asks this: the
    place form and its service, publishing, the place import, agreement amendments. Capacity is
    counted per mentor across firms (`services.capacity`); accreditation stays with the place's
    own company (`publish_problems`)."""
    from stagematch.services.networks import partner_company_ids

    if mentor is None or not mentor.active or (role is not None and mentor.role != role):
        return False
    return mentor.company_id == company_id or mentor.company_id in partner_company_ids(company_id)


def supervisors_for(company_id: int, role: str | None = None):
    """The mentors `may_supervise` allows at this company: its own first (by role, name), then
    those of its network partners (by company, name)."""
    from stagematch.extensions import db
    from stagematch.models import Mentor
    from stagematch.services.networks import partner_company_ids

    firms = {company_id} | partner_company_ids(company_id)
    stmt = select(Mentor).where(Mentor.company_id.in_(firms), Mentor.active.is_(True))
    if role is not None:
        stmt = stmt.where(Mentor.role == role)
    mentors = db.session.scalars(stmt).all()
    return sorted(
        mentors, key=lambda m: (m.company_id != company_id, m.company_id, m.role != "meester", m.name, m.id)
    )  # fmt: skip


def _accredited_qualification(qualification_filter):
    pq = placement_qualification.c
    return exists(
        select(pq.placement_id).where(
            pq.placement_id == Placement.id,
            qualification_filter(pq.qualification_id),
            accreditation_current_clause(Placement.company_id, pq.qualification_id, Placement.start_date),
        )
    )  # fmt: skip


def _work_days():
    return case(
        (Placement.days_per_week.is_(None), rules.WORK_DAYS_PER_WEEK), else_=Placement.days_per_week
    )


def _school_day_clause():
    """BBL: days at work + school days <= 5."""
    return or_(
        Placement.leerweg != Leerweg.BBL,
        func.coalesce(Placement.days_per_week, 0) + rules.BBL_SCHOOL_DAYS <= rules.WORK_DAYS_PER_WEEK,
    )  # fmt: skip


def adult_time_clause():
    return and_(
        Placement.hours_per_week <= rules.ADULT_MAX_HOURS_DAY * _work_days(),
        Placement.hours_per_week <= rules.ADULT_MAX_HOURS_WEEK,
    )


def minor_time_clause():
    school = case(
        (Placement.leerweg == Leerweg.BBL, rules.SCHOOL_DAY_HOURS * rules.BBL_SCHOOL_DAYS), else_=0
    )
    return and_(
        Placement.hours_per_week <= rules.MINOR_MAX_HOURS_DAY * _work_days(),
        Placement.hours_per_week + school <= rules.MINOR_MAX_HOURS_WEEK,
    )  # fmt: skip


def _dates_clause(on, latest_start):
    return and_(
        Placement.start_date <= latest_start,
        Placement.duration_weeks.between(rules.MIN_WEEKS, rules.MAX_WEEKS),
        Placement.end_date > on,
    )


def _day_params(on: date | None) -> dict:
    on = on or today()
    return {"el_on": on, "el_latest": on + rules.MAX_START_AHEAD}


def _day_bindparams():
    return bindparam("el_on", type_=Date), bindparam("el_latest", type_=Date)


@functools.cache
def _place_template(capacity: bool):
    """Built once per process with bind parameters (building it costs more than running it)."""
    on, latest = _day_bindparams()
    return and_(
        _dates_clause(on, latest),
        place_has_room_clause(Placement, on) if capacity else literal(True),
        _accredited_qualification(lambda q: literal(True)),
        adult_time_clause(),
        _school_day_clause(),
        company_active_clause(),
    )


def place_clause(on: date | None = None, *, capacity: bool = True):
    """SQL for `rules.place_reasons`: the rules that hold whoever the student. `capacity=False`
    leaves seats and capacity out, for queries that ask `capacity.with_room` afterwards."""
    return _place_template(capacity).params(_day_params(on))


# --- the wage for one student's age at each possible start ------------------------------------


def _birthday(birth: date, age: int) -> date:
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:  # 29 February in a common year: the age changes on 1 March
        return date(birth.year + age, 3, 1)


def _hourly_case(segments: list[tuple[date, float]], last: float):
    """CASE on the start date: `segments` are (until, hourly) in date order."""
    if not segments:
        return literal(last)
    return case(
        *[(Placement.start_date < until, literal(h)) for until, h in segments], else_=literal(last)
    )


def _hourly(age: int, day: date) -> float:
    wage = rules.minimum_wage(age, day)
    return BLOCKED_HOURLY if wage is None else wage.hourly


def _table_dates() -> list[date]:
    return sorted({w.valid_from for w in _table()})


def _segments(breaks: list[date], hourly_on) -> tuple[list[tuple[date, float]], float]:
    """Piecewise-constant hourly minimum: one (until, hourly) per break, evaluated on the last
    day before it, and the amount from the last break on."""
    segments = [(until, hourly_on(until - timedelta(days=1))) for until in breaks]
    return segments, hourly_on(breaks[-1])


def _hourly_for_age(age_expr):
    """SQL: the hourly minimum for the age `age_expr` (a column) on the place's start date."""
    breaks = _table_dates()
    whens = [(age_expr < YOUNGEST, literal(BLOCKED_HOURLY))]
    whens += [
        (age_expr == a, _hourly_case(*_segments(breaks, lambda day, a=a: _hourly(a, day))))
        for a in range(YOUNGEST, ADULT)
    ]
    return case(*whens, else_=_hourly_case(*_segments(breaks, lambda day: _hourly(ADULT, day))))


def _wage_clause(hourly):
    return or_(
        Placement.leerweg != Leerweg.BBL,
        Placement.pay_per_month + 0.5 >= hourly * Placement.hours_per_week * 52 / 12,
    )


# --- one student ------------------------------------------------------------------------------


def _wage_segment_count() -> int:
    return len(_table_dates()) + (ADULT + 2 - YOUNGEST)


@functools.cache
def _student_template(known_birth: bool, capacity: bool):
    """`rules.reasons` as SQL with the student's values as bind parameters (see student_params),
    built once per process."""
    on, latest = _day_bindparams()
    pq = placement_qualification.c
    qualification_id = bindparam("el_qid", type_=Integer)
    own = exists(
        select(pq.placement_id).where(
            pq.placement_id == Placement.id, pq.qualification_id == qualification_id
        )
    )
    dossier_ids = select(Qualification.id).where(
        Qualification.dossier_crebo == bindparam("el_dossier", type_=String)
    )
    in_dossier = exists(
        select(pq.placement_id).where(pq.placement_id == Placement.id, pq.qualification_id.in_(dossier_ids))
    )  # fmt: skip
    qualification = or_(
        and_(own, _accredited_qualification(lambda q: q == qualification_id)),
        and_(
            not_(own),
            in_dossier,
            Placement.level == bindparam("el_level", type_=Integer),
            _accredited_qualification(lambda q: q.in_(dossier_ids)),
        ),  # fmt: skip
    )
    conditions = [
        Placement.leerweg == bindparam("el_leerweg", type_=String),
        qualification,
        _dates_clause(on, latest),
        place_has_room_clause(Placement, on) if capacity else literal(True),
        adult_time_clause(),
        _school_day_clause(),
        Placement.end_date >= bindparam("el_available", type_=Date),
        company_active_clause(),
    ]
    if known_birth:
        n = _wage_segment_count()
        hourly = case(
            *[(Placement.start_date < bindparam(f"el_wb{i}", type_=Date), bindparam(f"el_wh{i}", type_=Float))
              for i in range(n)],
            else_=bindparam("el_whlast", type_=Float),
        )  # fmt: skip
        conditions.append(_wage_clause(hourly))
        conditions.append(
            or_(Placement.start_date >= bindparam("el_adult_from", type_=Date), minor_time_clause())
        )
    else:
        age = func.coalesce(Placement.wage_age, rules.YOUNGEST_STUDENT_AGE)
        conditions.append(_wage_clause(_hourly_for_age(age)))
        conditions.append(or_(age >= rules.ADULT_AGE, minor_time_clause()))
    return and_(*conditions)


@functools.cache
def student_prefilter():
    """Two conditions every place allowed by `_student_template` meets — the student's leerweg
    and a qualification of their dossier — with the template's bind parameters: a search applies
    them before the rest of the rules, so the open-places index (leerweg, lat, lon) and the
    qualification index pick the candidates (issue #20: a town search read every open place in
    the box, of every qualification, before the rules removed 98 % of them)."""
    pq = placement_qualification.c
    dossier_ids = select(Qualification.id).where(
        Qualification.dossier_crebo == bindparam("el_dossier", type_=String)
    )
    return and_(
        Placement.leerweg == bindparam("el_leerweg", type_=String),
        Placement.id.in_(select(pq.placement_id).where(pq.qualification_id.in_(dossier_ids))),
    )


def student_params(student: StudentData, qualification_id: int, on: date | None = None) -> dict:
    """The bind values of `_student_template` for this student."""
    values = {
        **_day_params(on), "el_qid": qualification_id, "el_dossier": student.dossier, "el_level": student.level,
        "el_leerweg": student.leerweg, "el_available": student.available_from or date.min,
    }  # fmt: skip
    if student.birth_date is not None:
        birth = student.birth_date
        breaks = sorted(
            {*_table_dates(), *(_birthday(birth, a) for a in range(YOUNGEST, ADULT + 2))}
        )
        segments, last = _segments(breaks, lambda day: _hourly(rules.age_on(birth, day), day))
        segments += [(date.max, last)] * (_wage_segment_count() - len(segments))  # fixed shape
        for i, (until, hourly) in enumerate(segments):
            values[f"el_wb{i}"], values[f"el_wh{i}"] = until, hourly
        values["el_whlast"] = last
        values["el_adult_from"] = _birthday(birth, rules.ADULT_AGE)
    return values


def student_condition(student: StudentData, qualification_id: int, on: date | None = None, *,
                      capacity: bool = True):  # fmt: skip
    """The student's clause and its bind values, for a query that passes them at execution (no
    copy of the clause is made)."""
    template = _student_template(student.birth_date is not None, capacity)
    return template, student_params(student, qualification_id, on)


def student_clause(
    student: StudentData, qualification_id: int, on: date | None = None, *, capacity: bool = True
):
    """SQL for `rules.reasons(student, place)` except distance (the search applies the radius
    with the same distance function). `qualification_id` is the student's qualification;
    `capacity=False` as in `place_clause`."""
    template, values = student_condition(student, qualification_id, on, capacity=capacity)
    return template.params(values)


def profile_clause(profile: StudentProfile, on: date | None = None, *, capacity: bool = True):
    from stagematch.ranking import student_data

    return student_clause(student_data(profile), profile.qualification_id, on, capacity=capacity)


def search_condition(profile: StudentProfile | None, on: date | None = None):
    """What search filters by, without seats and capacity (it asks `capacity.with_room` for the
    rows left): the student's rules, or those for everyone; a clause and its bind values."""
    from stagematch.ranking import student_data

    if profile is None:
        return _place_template(False), _day_params(on)
    return student_condition(student_data(profile), profile.qualification_id, on, capacity=False)


# --- checks for the writing paths -------------------------------------------------------------


def place_data_for(placement: Placement, *, on: date | None = None, holding_offer=None,
                   as_open: bool = False) -> PlaceData:  # fmt: skip
    from stagematch.ranking import load_places

    [place] = load_places([placement.id], on=on, holding_offer=holding_offer, as_open=as_open)
    return place


# The student's own limit, not a rule of the law or of the platform: a student may apply to, be
# offered and take a place farther away than they said they would travel (search applies it).
PREFERENCES = (rules.DISTANCE,)


def pair_reasons(profile: StudentProfile, placement: Placement, *, on: date | None = None,
                 holding_offer=None, place: PlaceData | None = None) -> list[rules.Reason]:  # fmt: skip
    """Every rule the student and the place break now (empty: allowed), for applying, offers
    and hiring. `holding_offer`: the application whose offer the student is taking (its seat is
    theirs already). `place`: the place's `place_data_for(placement, on=on)` when the caller
    has it already (the place page: issue #20)."""
    from stagematch.ranking import student_data

    on = on or today()
    if place is None:
        place = place_data_for(placement, on=on, holding_offer=holding_offer)
    student = student_data(profile)
    return [r for r in rules.reasons(student, place, on=on) if r not in PREFERENCES]


def describe(reasons: list[rules.Reason]) -> str:
    """The reasons as one sentence in the reader's language."""
    return "; ".join(_(r.msgid) for r in reasons)


def require_pair(profile: StudentProfile, placement: Placement, **kwargs) -> None:
    """Raise a DomainError that names every broken rule, or return."""
    found = pair_reasons(profile, placement, **kwargs)
    if found:
        raise DomainError(
            _("Dit mag niet volgens de regels: %(reasons)s.", reasons=describe(found))
        )

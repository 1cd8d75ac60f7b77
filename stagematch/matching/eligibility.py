"""Eligibility: the one home of the rules that decide whether a student may see, apply to, be
offered or be placed in a place. Plain Python over plain data (no Flask, no database).

Every path of the site asks this module: search in every order, home suggestions, the API,
suggested students, apply, shortlist, offer, accept, publish, CSV import, allocation rounds and
alerts. `services.eligibility` turns the same rules into SQL conditions for queries and loads the
plain data from the database; `tests/test_eligibility_property.py` checks that both agree.

The rules (sources and dates in docs/rules.md):
- leerweg: the place's leerweg is the student's;
- qualification: the student's crebo is on the place, or a crebo of the same kwalificatiedossier
  at the student's level;
- accreditation: the company's SBB accreditation for that crebo is current on the start date
  (within its period, not withdrawn, not rejected on checking);
- capacity: the meester (and the gezel, if the place has one) has room for the whole period of
  the place, counted by `services.capacity` (one definition); the place has a free seat;
- wage: a BBL place pays at least the statutory minimum (youth) wage for the student's age at
  the start (Wet minimumloon en minimumvakantiebijslag, BBL scale);
- working time (Arbeidstijdenwet): under 18 at most 9 hours a day and 45 a week with school
  time counted; 18 and older at most 12 hours a day and 60 a week; a BBL learner keeps at least
  one school day, so days at work + school days <= 5;
- dates: the place starts within two years of today and lasts 1–104 weeks; it has not ended,
  and it does not end before the student is available;
- distance: within the student's maximum travel distance, unless the place is "landelijk"
  (national: the learner may come from anywhere, specialist crafts);
- company: the company takes part (an administrator has not deactivated it).

Age is read only by the legal rules (wage, working time); no feature or score reads it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from stagematch.geo import distance_km
from stagematch.matching.data import PlaceData, StudentData
from stagematch.matching.text import N_, Phrase
from stagematch.wages import ADULT, YOUNGEST, minimum_wage

# Arbeidstijdenwet art. 5:7 (per shift and per week; under 18 and 18+). School time counting toward a
# minor's limits, and 8 hours for a BBL school day, are assumptions documented in docs/rules.md.
MINOR_MAX_HOURS_DAY = 9
MINOR_MAX_HOURS_WEEK = 45
ADULT_MAX_HOURS_DAY = 12
ADULT_MAX_HOURS_WEEK = 60
ADULT_AGE = 18
WORK_DAYS_PER_WEEK = 5  # a stage (BOL) is assumed to spread its hours over five days
BBL_SCHOOL_DAYS = 1  # a BBL learner goes to school at least one day a week
SCHOOL_DAY_HOURS = 8  # school time that counts toward a minor's weekly limit, per school day
# Bounded dates: nothing can overflow, nothing is published for a start far ahead.
MAX_START_AHEAD = timedelta(days=2 * 365)
MIN_WEEKS, MAX_WEEKS = 1, 104
YOUNGEST_STUDENT_AGE = 16  # age assumed when a student gave no birth date and the place no wage age
NO_AGE_LIMIT = 200


class Reason(Phrase):
    """A named reason a pair (or a place) is not allowed: a `Phrase` (Dutch text, translated
    where shown) with a stable `code` for tests, logs and the API."""

    code: str

    def __new__(cls, code: str, msgid: str) -> Reason:
        self = super().__new__(cls, msgid)
        self.code = code
        return self

    def __reduce__(self):
        return (Reason, (self.code, self.msgid))


LEERWEG = Reason("leerweg", N_("andere leerweg"))
QUALIFICATION = Reason("qualification", N_("andere opleiding"))
LEVEL = Reason("level", N_("ander niveau"))
DISTANCE = Reason("distance", N_("te ver weg"))
NOT_AVAILABLE = Reason("availability", N_("plek is voorbij voordat je kunt beginnen"))
ENDED = Reason("ended", N_("plek is al voorbij"))
DATES = Reason("dates", N_("startdatum of duur buiten de toegestane grenzen"))
NO_SEAT = Reason("seat", N_("geen plaats vrij"))
MEESTER_FULL = Reason("meester_capacity", N_("meester heeft geen ruimte"))
GEZEL_FULL = Reason("gezel_capacity", N_("gezel heeft geen ruimte"))
NOT_ACCREDITED = Reason("accreditation", N_("bedrijf niet (meer) erkend"))
WAGE = Reason("wage", N_("loon lager dan het wettelijk minimumloon voor de leeftijd"))
WORKING_TIME = Reason("working_time", N_("te veel werkuren volgens de Arbeidstijdenwet"))
SCHOOL_DAY = Reason("school_day", N_("geen schooldag vrij naast het werk"))
COMPANY_INACTIVE = Reason("company_inactive", N_("leerbedrijf doet niet meer mee"))

ALL_REASONS = (
    LEERWEG, QUALIFICATION, LEVEL, DISTANCE, NOT_AVAILABLE, ENDED, DATES, NO_SEAT, MEESTER_FULL,
    GEZEL_FULL, NOT_ACCREDITED, WAGE, WORKING_TIME, SCHOOL_DAY, COMPANY_INACTIVE,
)  # fmt: skip


# --- building blocks (each used by the scalar, the vectorised and the SQL form) ---------------


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def place_end(place: PlaceData) -> date:
    try:
        return place.start_date + timedelta(weeks=place.duration_weeks)
    except OverflowError:
        return date.max


def dates_ok(start_date: date, duration_weeks: int, *, on: date) -> bool:
    """Start at most two years ahead, 1–104 weeks (a start in the past is a matter of `ENDED`
    and of search visibility, not of this bound)."""
    return start_date <= on + MAX_START_AHEAD and MIN_WEEKS <= duration_weeks <= MAX_WEEKS


def work_days(days_per_week: int | None) -> int:
    """Days at work a week: a BBL place says; a stage spreads its hours over five days."""
    return days_per_week if days_per_week else WORK_DAYS_PER_WEEK


def school_days(leerweg: str) -> int:
    return BBL_SCHOOL_DAYS if leerweg == "BBL" else 0


def working_time_reasons(
    leerweg: str, hours_per_week: float, days_per_week: int | None, *, minor: bool
) -> list[Reason]:
    """Arbeidstijdenwet limits for a learner under 18 (`minor`) or of 18 and older."""
    found = []
    if leerweg == "BBL" and (days_per_week or 0) + school_days(leerweg) > WORK_DAYS_PER_WEEK:
        found.append(SCHOOL_DAY)
    # Hours a day compared as hours a week against limit × days (the SQL form does the same).
    days = work_days(days_per_week)
    if minor:
        week = hours_per_week + SCHOOL_DAY_HOURS * school_days(leerweg)
        too_much = hours_per_week > MINOR_MAX_HOURS_DAY * days or week > MINOR_MAX_HOURS_WEEK
    else:
        too_much = (
            hours_per_week > ADULT_MAX_HOURS_DAY * days or hours_per_week > ADULT_MAX_HOURS_WEEK
        )
    if too_much:
        found.append(WORKING_TIME)
    return found


def minor_time_ok(leerweg: str, hours_per_week: float, days_per_week: int | None) -> bool:
    return WORKING_TIME not in working_time_reasons(
        leerweg, hours_per_week, days_per_week, minor=True
    )


def minimum_pay(age: int, on: date, hours_per_week: float) -> float | None:
    """The statutory monthly minimum for `age` on `on`; None below 15 (no BBL contract)."""
    wage = minimum_wage(age, on)
    return None if wage is None else wage.monthly(hours_per_week)


def pay_meets(pay_per_month: int, floor: float) -> bool:
    """Whole euros: half a euro below the exact monthly minimum still counts as meeting it."""
    return pay_per_month + 0.5 >= floor


def max_paid_age(leerweg: str, pay_per_month: int, hours_per_week: float, start: date) -> int:
    """The oldest age whose statutory minimum the pay meets (the minimum rises with age up to
    21), so the wage rule for a learner is `age <= max_paid_age`; BOL has no wage rule."""
    if leerweg != "BBL":
        return NO_AGE_LIMIT
    best = YOUNGEST - 1
    for age in range(YOUNGEST, ADULT + 1):
        floor = minimum_pay(age, start, hours_per_week)
        if floor is None or not pay_meets(pay_per_month, floor):
            return best
        best = age
    return NO_AGE_LIMIT


def wage_ok(leerweg: str, age: int, paid_age: int) -> bool:
    """The wage rule: a BBL learner is at least 15 (no employment contract below) and no older
    than the oldest age whose minimum the pay meets."""
    return leerweg != "BBL" or YOUNGEST <= age <= paid_age


def learner_age(student: StudentData, place: PlaceData) -> int:
    """The student's age at the place's start; without a birth date, the age the wage is quoted
    for, else the youngest mbo age (so the strictest working-time rules apply)."""
    if student.birth_date is not None:
        return age_on(student.birth_date, place.start_date)
    if place.wage_age is not None:
        return place.wage_age
    return YOUNGEST_STUDENT_AGE


def accredited_for(student: StudentData, place: PlaceData) -> bool:
    """Accredited on the start date for the student's crebo, or, when the student's crebo is not
    on the place, for a crebo of the student's dossier that is."""
    accredited = place.crebos if place.accredited_crebos is None else place.accredited_crebos
    if student.crebo in place.crebos:
        return student.crebo in accredited
    dossiers = place.dossiers if place.accredited_dossiers is None else place.accredited_dossiers
    return student.dossier in dossiers


def within_reach(student: StudentData, place: PlaceData) -> bool:
    """The distance rule: a national place is within reach of every student; otherwise the place
    lies within the student's travel radius (a student without a town is not held to one)."""
    if place.national or student.lat is None:
        return True
    return distance_km(student.lat, student.lon, place.lat, place.lon) <= student.max_travel_km


# --- the rules ------------------------------------------------------------------------------


def place_reasons(place: PlaceData, *, on: date) -> list[Reason]:
    """The rules that hold for a place whoever the student: dates, seats, capacity, an accredited
    crebo, the adult working-time limits, the school day, and a company that takes part."""
    found = []
    if not place.company_active:
        found.append(COMPANY_INACTIVE)
    if not dates_ok(place.start_date, place.duration_weeks, on=on):
        found.append(DATES)
    if place_end(place) <= on:
        found.append(ENDED)
    if place.seats_free <= 0:
        found.append(NO_SEAT)
    if place.meester_room < 0:
        found.append(MEESTER_FULL)
    if place.gezel_room is not None and place.gezel_room < 0:
        found.append(GEZEL_FULL)
    accredited = place.crebos if place.accredited_crebos is None else place.accredited_crebos
    if not accredited:
        found.append(NOT_ACCREDITED)
    found += working_time_reasons(
        place.leerweg, place.hours_per_week, place.days_per_week, minor=False
    )
    return found


def reasons(student: StudentData, place: PlaceData, *, on: date) -> list[Reason]:
    """Every rule the pair breaks (empty: allowed)."""
    found = [r for r in place_reasons(place, on=on) if r is not NOT_ACCREDITED]
    if student.leerweg != place.leerweg:
        found.append(LEERWEG)
    if student.crebo not in place.crebos and student.dossier not in place.dossiers:
        found.append(QUALIFICATION)
    elif student.crebo not in place.crebos and place.level != student.level:
        found.append(LEVEL)
    elif not accredited_for(student, place):
        found.append(NOT_ACCREDITED)
    if not within_reach(student, place):
        found.append(DISTANCE)
    if student.available_from is not None and student.available_from > place_end(place):
        found.append(NOT_AVAILABLE)
    age = learner_age(student, place)
    if not wage_ok(
        place.leerweg,
        age,
        max_paid_age(place.leerweg, place.pay_per_month, place.hours_per_week, place.start_date),
    ):
        found.append(WAGE)
    if age < ADULT_AGE:
        for reason in working_time_reasons(
            place.leerweg, place.hours_per_week, place.days_per_week, minor=True
        ):
            if reason not in found:
                found.append(reason)
    return found


def is_allowed(student: StudentData, place: PlaceData, *, on: date) -> bool:
    return not reasons(student, place, on=on)


# Earlier name, kept for the callers that only need the messages.
failed_rules = reasons


# --- vectorised: every allowed pair of many students and places -----------------------------


def candidate_pairs(
    students: Sequence[StudentData],
    places: Sequence[PlaceData],
    *,
    on: date,
    max_cells: int = 2_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Every (student, place) pair that `reasons` allows, vectorised: index arrays (si, pj) into
    `students` and `places`, grouped by student. The place-only rules are `place_reasons`
    itself; the pair rules use the same building blocks as `reasons` (tested equal)."""
    from stagematch.matching.features import haversine_km

    n = len(places)
    if not students or not n:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    end = np.array([place_end(p).toordinal() for p in places])
    usable = np.array(
        [not [r for r in place_reasons(p, on=on) if r is not NOT_ACCREDITED] for p in places],
        dtype=bool,
    )
    lat = np.array([p.lat for p in places], dtype=float)
    lon = np.array([p.lon for p in places], dtype=float)
    national = np.array([p.national for p in places], dtype=bool)
    level = np.array([p.level for p in places])
    paid_age = np.array(
        [max_paid_age(p.leerweg, p.pay_per_month, p.hours_per_week, p.start_date) for p in places]
    )
    minor_ok = np.array(
        [minor_time_ok(p.leerweg, p.hours_per_week, p.days_per_week) for p in places], dtype=bool
    )
    start_year = np.array([p.start_date.year for p in places])
    start_md = np.array([p.start_date.month * 100 + p.start_date.day for p in places])
    fallback_age = np.array(
        [YOUNGEST_STUDENT_AGE if p.wage_age is None else p.wage_age for p in places]
    )
    by_dossier: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_crebo: dict[tuple[str, str], list[int]] = defaultdict(list)
    for j, p in enumerate(places):
        if usable[j]:
            for dossier in p.dossiers:
                by_dossier[(p.leerweg, dossier)].append(j)
            for crebo in p.crebos:
                by_crebo[(p.leerweg, crebo)].append(j)
    by_group: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(students):
        by_group[(s.leerweg, s.dossier, s.crebo)].append(i)
    out_i, out_j = [], []
    for (leerweg, dossier, crebo), members in by_group.items():
        cols = np.array(
            sorted({*by_dossier.get((leerweg, dossier), ()), *by_crebo.get((leerweg, crebo), ())}),
            dtype=np.intp,
        )
        if not len(cols):
            continue
        probe = StudentData(0, leerweg, 0, crebo, dossier, None, None, 0, None)
        own = np.array([crebo in places[j].crebos for j in cols], dtype=bool)
        same_dossier = np.array([dossier in places[j].dossiers for j in cols], dtype=bool)
        accredited = np.array([accredited_for(probe, places[j]) for j in cols], dtype=bool)
        step = max(1, max_cells // len(cols))
        for start in range(0, len(members), step):
            rows = members[start : start + step]
            chunk = [students[i] for i in rows]
            ok = own | (
                same_dossier & (level[cols][None, :] == np.array([s.level for s in chunk])[:, None])
            )
            ok &= accredited[None, :]
            slat = np.array([np.nan if s.lat is None else s.lat for s in chunk])
            slon = np.array([np.nan if s.lon is None else s.lon for s in chunk])
            travel = np.array([s.max_travel_km for s in chunk], dtype=float)
            d = haversine_km(slat[:, None], slon[:, None], lat[cols][None, :], lon[cols][None, :])
            # `within_reach`: no town, within the radius, or a national place.
            ok &= np.isnan(slat)[:, None] | (d <= travel[:, None]) | national[cols][None, :]
            available = np.array(
                [s.available_from.toordinal() if s.available_from else 0 for s in chunk]
            )
            ok &= available[:, None] <= end[cols][None, :]
            # Age at each place's start: the legal rules (wage, working time of minors).
            known = np.array([s.birth_date is not None for s in chunk], dtype=bool)
            by = np.array([s.birth_date.year if s.birth_date else 0 for s in chunk])
            bmd = np.array(
                [s.birth_date.month * 100 + s.birth_date.day if s.birth_date else 0 for s in chunk]
            )
            age = start_year[cols][None, :] - by[:, None] - (start_md[cols][None, :] < bmd[:, None])
            age = np.where(known[:, None], age, fallback_age[cols][None, :])
            bbl = np.array([places[j].leerweg == "BBL" for j in cols], dtype=bool)[None, :]
            ok &= ~bbl | ((age >= YOUNGEST) & (age <= paid_age[cols][None, :]))
            ok &= (age >= ADULT_AGE) | minor_ok[cols][None, :]
            r, c = np.nonzero(ok)
            out_i.append(np.asarray(rows, dtype=np.intp)[r])
            out_j.append(cols[c])
    if not out_i:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    return np.concatenate(out_i), np.concatenate(out_j)

"""A leerbedrijf's overview for the Subsidieregeling praktijkleren: per place (a student's
placement) and school year (1 August – 31 July), the crebo, the KvK number, the leerbedrijf-ID and
the accreditation for that crebo, the weeks supervised, the student's initials, the leerweg and an
estimated maximum.

The rule (docs/exports.md): the Subsidieregeling praktijkleren (Stcrt. 2013, 31130, art. 1 under
c) counts a "gerealiseerde praktijkleerplaats" as the weeks of actual supervision in a school year,
at most 40, divided by 40; the maximum is €2,700 per full place, so the estimate is
€2,700 × min(weeks, 40) / 40. A week counts when there was supervision on at least one working
day. The real amount is set by RVO after all claims are in (the budget is shared), so the figure
is an upper bound, not a promise.

What cannot qualify is left out with a note (`left_out`), not reported as a problem: a BOL stage
(art. 4: in the mbo only the beroepsbegeleidende leerweg) and a placement without a signed
agreement (art. 5 under c: supervision under a praktijkovereenkomst; it cannot have started).
Missing data on a place that could qualify (no leerbedrijf-ID, no accreditation for the crebo in
that period, …) is a problem of that row; the other rows are still shown and downloaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from stagematch.extensions import db
from stagematch.matching.text import N_, Phrase
from stagematch.models import (
    AgreementVersion,
    Company,
    Internship,
    Placement,
    StudentProfile,
)
from stagematch.timeutil import today

MAX_PER_PLACE = 2700  # € per full place per school year
FULL_PLACE_WEEKS = 40  # weeks of supervision that make a full place in the mbo

COLUMNS: list[tuple[str, str]] = [
    ("Schooljaar", "the school year, 1 August – 31 July (e.g. 2025-2026)"),
    ("Plek", "the title of the company's place"),
    ("Crebo", "the qualification in the signed praktijkovereenkomst"),
    ("KvK-nummer", "the company's KvK number (the claim is made by KvK number)"),
    ("Leerbedrijf-ID", "the company's SBB leerbedrijf-ID"),
    ("Erkend sinds", "start of SBB's accreditation of the company for this crebo (JJJJ-MM-DD)"),
    ("Voorletters student", "the student's initials (no BSN is stored)"),
    ("Leerweg", "BBL (a BOL stage does not qualify and is left out)"),
    ("Eerste week", "first day of supervision in this school year (JJJJ-MM-DD)"),
    ("Laatste week", "last day of supervision in this school year, at most today (JJJJ-MM-DD)"),
    ("Weken begeleid", "weeks with at least one working day of supervision in this school year"),
    ("Geschat maximum (EUR)", "2700 × min(weeks, 40) / 40; whole euros, rounded down"),
]
HEADER = [name for name, _ in COLUMNS]


@dataclass
class Problem:
    internship_id: int
    student: str
    message: Phrase


@dataclass
class SubsidyOverview:
    school_year: int
    header: list[str] = field(default_factory=lambda: list(HEADER))
    rows: list[list] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # could qualify, but data is missing
    left_out: list[Problem] = field(default_factory=list)  # cannot qualify (BOL, not signed)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return year_label(self.school_year)

    @property
    def total(self) -> int:
        return sum(row[-1] for row in self.rows)


def school_year_of(day: date) -> int:
    """The school year a day falls in, by its first calendar year (2025 = 2025-2026)."""
    return day.year if day.month >= 8 else day.year - 1


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 8, 1), date(year + 1, 7, 31)


def year_label(year: int) -> str:
    return f"{year}-{year + 1}"


def weeks_supervised(first: date, last: date) -> int:
    """Calendar weeks (Monday–Sunday) with at least one working day in [first, last]."""
    while first.weekday() >= 5:  # a Saturday or Sunday start: the first working day is Monday
        first += timedelta(days=1)
    while last.weekday() >= 5:
        last -= timedelta(days=1)
    if first > last:
        return 0
    monday_first = first - timedelta(days=first.weekday())
    monday_last = last - timedelta(days=last.weekday())
    return (monday_last - monday_first).days // 7 + 1


def estimate(weeks: int, leerweg: str) -> int:
    if leerweg != "BBL":
        return 0
    return MAX_PER_PLACE * min(weeks, FULL_PLACE_WEEKS) // FULL_PLACE_WEEKS


def initials(name: str) -> str:
    """'Jan de Vries' -> 'J.d.V.'"""
    return "".join(f"{part[0]}." for part in name.split() if part)


def supervised_period(internship: Internship, year: int, on: date | None = None):
    """The days of supervision of a placement within the school year (up to `on`, default
    today), or None when there were none."""
    on = on or today()
    start, end = year_bounds(year)
    last = min(internship.end_date, internship.ended_at or internship.end_date, on, end)
    first = max(internship.start_date, start)
    return (first, last) if first <= last else None


def _statement(company: Company, year: int):
    start, end = year_bounds(year)
    return (
        select(Internship)
        .join(Placement, Placement.id == Internship.placement_id)
        .where(
            Placement.company_id == company.id,
            Internship.start_date <= min(end, today()),
            Internship.end_date >= start,
        )
        .options(
            selectinload(Internship.placement),
            selectinload(Internship.agreement_versions),
            selectinload(Internship.student).selectinload(StudentProfile.user),
        )
        .order_by(Internship.start_date, Internship.id)
    )


def school_years(company: Company) -> list[int]:
    """The school years in which the company supervised someone, newest first."""
    first = db.session.scalar(
        select(Internship.start_date)
        .join(Placement, Placement.id == Internship.placement_id)
        .where(Placement.company_id == company.id)
        .order_by(Internship.start_date)
        .limit(1)
    )
    if first is None or first > today():
        return []
    return list(range(school_year_of(today()), school_year_of(first) - 1, -1))


def _last_signed(internship: Internship) -> AgreementVersion | None:
    signed = [v for v in internship.agreement_versions if v.signed_at is not None]
    return signed[-1] if signed else None


def _accreditation(company: Company, crebo: str, first: date, last: date):
    for accreditation in company.accreditations:
        if accreditation.qualification.crebo == crebo and (
            accreditation.is_current(first) or accreditation.is_current(last)
        ):
            return accreditation
    return None


def overview(company: Company, year: int, *, on: date | None = None) -> SubsidyOverview:
    result = SubsidyOverview(school_year=year)
    for internship in db.session.scalars(_statement(company, year)):
        period = supervised_period(internship, year, on)
        if period is None:
            continue
        first, last = period
        weeks = weeks_supervised(first, last)
        if weeks == 0:
            continue
        version = _last_signed(internship)
        content = version.content if version is not None else {}
        name = (content.get("student") or {}).get("name") or (
            internship.student.user.name if internship.student else ""
        )
        who = name or f"#{internship.id}"
        if version is None:
            result.left_out.append(Problem(internship.id, who, Phrase(
                N_("nog geen ondertekende praktijkovereenkomst: zonder POK geen begeleide weken "
                   "en geen subsidie")))
            )  # fmt: skip
            continue
        leerweg = content.get("leerweg")
        if leerweg == "BOL":
            result.left_out.append(Problem(internship.id, who, Phrase(
                N_("BOL-stage: de subsidie is in het mbo alleen voor BBL-plekken")))
            )  # fmt: skip
            continue
        missing: list[Phrase] = []
        crebo = (content.get("qualification") or {}).get("crebo")
        if not crebo:
            missing.append(Phrase(N_("de opleiding (crebo) ontbreekt")))
        if not company.sbb_id:
            missing.append(Phrase(N_("het leerbedrijf heeft geen SBB leerbedrijf-ID")))
        accreditation = _accreditation(company, crebo, first, last) if crebo else None
        if crebo and accreditation is None:
            missing.append(Phrase(
                N_("geen erkenning voor crebo %(crebo)s in deze periode"), crebo=crebo))  # fmt: skip
        if not name:
            missing.append(Phrase(N_("de naam van de student ontbreekt")))
        if leerweg != "BBL":
            missing.append(Phrase(N_("de leerweg is geen BOL of BBL")))
        if missing:
            result.problems.append(Problem(internship.id, who, Phrase.join("; ", missing)))
            continue
        result.rows.append([
            year_label(year), internship.placement.title, crebo, company.kvk_number, company.sbb_id,
            accreditation.valid_from.isoformat(), initials(name), leerweg, first.isoformat(),
            last.isoformat(), weeks, estimate(weeks, leerweg),
        ])  # fmt: skip
    return result

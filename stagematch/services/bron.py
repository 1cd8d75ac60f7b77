"""The BRON BPV registration of a school: one CSV row per fully signed version of a
praktijkovereenkomst (POK), in BRON's field order (docs/exports.md).

A school reports each POK (and each change to it) to DUO's BRON within 7 days. The fields are
named and ordered as in the "Regeling gegevensverstrekking persoonsgebonden nummer BVE 2009"
(BWBR0027035), bijlage A–C; dates use BRON's mask EEJJMMDD (20260131). Every value comes from the
signed version's `content` (what all parties signed), except the POK date (when the last party
signed), the actual end (the placement's `ended_at`), the BRIN (the school's own) and a student
number or leerbedrijf-ID the signed text left empty (the live record's).

All or nothing: `build` returns the rows *and* a report of problems per row (no BRIN, no
leerbedrijf-ID, no student number, …); callers write a file only when the report is empty, so BRON
never receives half a registration. A placement without a fully signed agreement has no POK to
report (issue 17: it cannot start before everyone signed; a history placement from before
StageMatch has no agreement at all): it is left out with a note (`left_out`), not refused."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from stagematch import exports
from stagematch.extensions import db
from stagematch.matching.text import N_, Phrase
from stagematch.models import (
    AgreementVersion,
    Internship,
    Placement,
    School,
    StudentProfile,
    User,
)
from stagematch.services.audit import record
from stagematch.timeutil import today, utcnow

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# (header, what it holds). The header names are BRON's own (Dutch, never translated): the school's
# administration maps them onto its BRON delivery. Documented in docs/exports.md; the tests read
# the header against that table.
COLUMNS: list[tuple[str, str]] = [
    ("BRIN-nummer", "instellingscode: the school's BRIN (4 characters)"),
    ("Studentnummer", "the student's number at the school (BRON's persoonsgebonden nummer is the "
                      "BSN or onderwijsnummer, which StageMatch does not store)"),
    ("Gevolgde opleiding", "crebo of the qualification in the POK (5 digits)"),
    ("Leerweg", "BOL or BBL"),
    ("BPV-volgnummer", "the placement's sequence number among the student's placements at the school"),
    ("Afsluitdatum BPV", "POK date: the day the last party signed this version (EEJJMMDD)"),
    ("Datum begin BPV", "start date in this version (EEJJMMDD)"),
    ("Geplande datum einde BPV", "planned end date in this version (EEJJMMDD)"),
    ("Werkelijke datum einde BPV", "actual last day when the placement ended, else empty (EEJJMMDD)"),
    ("Leerbedrijf", "the leerbedrijf's SBB leerbedrijf-ID (code leerbedrijf)"),
    ("Omvang BPV", "total BPV hours planned in this version (content.total_hours, whole hours)"),
    ("Soort melding", "nieuw (the first signed version) or wijziging (a later one, or an ending)"),
    ("Versie POK", "the version number of the agreement"),
]  # fmt: skip
HEADER = [name for name, _ in COLUMNS]
MAX_HOURS = 9999  # BRON's Omvang BPV is numeric, 4 positions


@dataclass
class Problem:
    internship_id: int
    student: str  # name (or number) to find the row by
    version: int | None
    message: Phrase


@dataclass
class BronExport:
    header: list[str] = field(default_factory=lambda: list(HEADER))
    rows: list[list] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    version_ids: list[int] = field(default_factory=list)  # the agreement version of each row
    left_out: list[Problem] = field(default_factory=list)  # no signed POK yet: a note, no error

    @property
    def ok(self) -> bool:
        return not self.problems


def bron_date(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def local_date(moment: datetime) -> date:
    """A stored UTC time as the Dutch calendar day."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(AMSTERDAM).date()


def _utc_bound(day: date) -> datetime:
    """Midnight at the start of `day` in Amsterdam, as naive UTC (how times are stored)."""
    return (
        datetime.combine(day, time(), tzinfo=AMSTERDAM)
        .astimezone(ZoneInfo("UTC"))
        .replace(tzinfo=None)
    )


def find_school(name: str) -> School | None:
    return db.session.scalar(select(School).where(func.lower(School.name) == name.strip().lower()))


def _in_period(column, date_from: date | None, date_to: date | None, *, is_datetime: bool):
    clauses = []
    if date_from is not None:
        clauses.append(column >= (_utc_bound(date_from) if is_datetime else date_from))
    if date_to is not None:
        end = date_to + timedelta(days=1)
        clauses.append(column < _utc_bound(end) if is_datetime else column <= date_to)
    return and_(*clauses) if clauses else None


def _signed():
    return AgreementVersion.signed_at.is_not(None)


def versions_statement(school: School, date_from: date | None = None,
                       date_to: date | None = None):  # fmt: skip
    """The signed versions to report: signed within the period, or the last signed version of a
    placement that ended within the period (its actual end is a change for BRON)."""
    signed_in = _in_period(AgreementVersion.signed_at, date_from, date_to, is_datetime=True)
    ended_in = _in_period(Internship.ended_at, date_from, date_to, is_datetime=False)
    later = AgreementVersion.__table__.alias("later")
    is_last = ~exists().where(
        later.c.internship_id == AgreementVersion.internship_id,
        later.c.signed_at.is_not(None),
        later.c.number > AgreementVersion.number,
    )
    stmt = (
        select(AgreementVersion)
        .join(Internship, Internship.id == AgreementVersion.internship_id)
        .where(Internship.school_id == school.id, _signed())
        .order_by(AgreementVersion.signed_at, AgreementVersion.id)
    )
    if signed_in is not None:
        ended = and_(Internship.ended_at.is_not(None), ended_in, is_last)
        stmt = stmt.where(or_(signed_in, ended))
    return stmt


NOT_SIGNED = N_("Niet gemeld: nog niet door iedereen ondertekend")
NO_AGREEMENT = N_("Niet gemeld: geen overeenkomst in StageMatch")


def unsigned_statement(school: School, date_from: date | None = None,
                       date_to: date | None = None):  # fmt: skip
    """Placements of the school whose start date lies in the period (and not after today) without
    any signed version: (internship id, student name, whether it has an unsigned version). No POK
    to report: they are left out of the file with a note."""
    has_version = exists().where(AgreementVersion.internship_id == Internship.id)
    stmt = (
        select(Internship.id, User.name, has_version.label("has_version"))
        .outerjoin(StudentProfile, StudentProfile.id == Internship.student_id)
        .outerjoin(User, User.id == StudentProfile.user_id)
        .where(
            Internship.school_id == school.id,
            Internship.start_date <= today(),
            ~exists().where(AgreementVersion.internship_id == Internship.id, _signed()),
        )
        # Those waiting for a signature first: the school can act on them.
        .order_by(has_version.desc(), Internship.start_date, Internship.id)
    )
    period = _in_period(Internship.start_date, date_from, date_to, is_datetime=False)
    return stmt.where(period) if period is not None else stmt


def left_out(school: School, date_from: date | None = None, date_to: date | None = None,
             *, limit: int | None = None) -> tuple[int, list[Problem]]:  # fmt: skip
    """How many placements of the period are left out for want of a signed POK, and (the first
    `limit` of) them with their note."""
    stmt = unsigned_statement(school, date_from, date_to)
    total = exports.count(stmt)
    if limit is not None:
        stmt = stmt.limit(limit)
    notes = [
        Problem(internship_id, name or f"#{internship_id}", None,
                Phrase(NOT_SIGNED if has_version else NO_AGREEMENT))
        for internship_id, name, has_version in db.session.execute(stmt)
    ]  # fmt: skip
    return total, notes


def count(school: School, date_from: date | None = None, date_to: date | None = None) -> int:
    return exports.count(versions_statement(school, date_from, date_to))


def _sequence_numbers(student_ids: Iterable[int], school_id: int) -> dict[int, int]:
    """internship id -> its number among the student's placements at the school (1, 2, …), in the
    order they started: BRON's BPV-volgnummer, stable as long as no placement is removed."""
    ids = {i for i in student_ids if i is not None}
    if not ids:
        return {}
    numbers: dict[int, int] = {}
    seen: dict[int, int] = {}
    rows = db.session.execute(
        select(Internship.id, Internship.student_id)
        .where(Internship.student_id.in_(ids), Internship.school_id == school_id)
        .order_by(Internship.student_id, Internship.start_date, Internship.id)
    )
    for internship_id, student_id in rows:
        seen[student_id] = seen.get(student_id, 0) + 1
        numbers[internship_id] = seen[student_id]
    return numbers


def _who(internship: Internship, content: dict | None = None) -> str:
    student = (content or {}).get("student") or {}
    if student.get("name"):
        return student["name"]
    if internship.student is not None:
        return internship.student.user.name
    return f"#{internship.id}"


def _iso_date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _row(version: AgreementVersion, first_signed: dict[int, int], sequence: dict[int, int],
         problems: list[Problem], period: tuple[date | None, date | None]) -> list | None:  # fmt: skip
    internship = version.internship
    content = version.content or {}
    missing: list[Phrase] = []

    def need(value, message: str):
        if value in (None, ""):
            missing.append(Phrase(N_(message)))
        return value

    school = content.get("school") or {}
    student = content.get("student") or {}
    company = content.get("company") or {}
    qualification = content.get("qualification") or {}
    # Identifiers BRON needs but the signed text may lack (signed before the school entered its
    # BRIN, before the student number was imported, …): the school's BRIN from the School row,
    # an empty student number / leerbedrijf-ID from the live records. The signed version keeps
    # what was signed; a value that *was* signed is reported as signed.
    brin = need(internship.school.brin or school.get("brin"), "de school heeft geen BRIN-nummer")
    number = need(
        student.get("student_number")
        or (internship.student.student_number if internship.student else None),
        "de student heeft geen studentnummer",
    )
    crebo = need(qualification.get("crebo"), "de opleiding (crebo) ontbreekt")
    leerweg = content.get("leerweg")
    if leerweg not in ("BOL", "BBL"):
        missing.append(Phrase(N_("de leerweg is geen BOL of BBL")))
    sbb_id = need(
        company.get("sbb_id") or internship.placement.company.sbb_id,
        "het leerbedrijf heeft geen SBB leerbedrijf-ID",
    )
    start, end = _iso_date(content.get("start_date")), _iso_date(content.get("end_date"))
    if start is None or end is None:
        missing.append(Phrase(N_("de begin- of einddatum ontbreekt")))
    hours = content.get("total_hours")
    if not isinstance(hours, int | float) or isinstance(hours, bool) or hours < 0:
        missing.append(Phrase(N_("het totaal aantal BPV-uren ontbreekt")))
    elif round(hours) > MAX_HOURS:
        missing.append(Phrase(N_("het totaal aantal BPV-uren is meer dan 9999")))
    if missing:
        problems.append(Problem(internship.id, _who(internship, content), version.number,
                                Phrase.join("; ", missing)))  # fmt: skip
        return None
    signed_on = local_date(version.signed_at)
    in_period = (period[0] is None or period[0] <= signed_on) and (
        period[1] is None or signed_on <= period[1]
    )
    # Reported again only for its ending (signed before the period): a change for BRON.
    first = first_signed.get(internship.id) == version.number and in_period
    kind = "nieuw" if first else "wijziging"
    return [
        brin, number, crebo, leerweg, sequence.get(internship.id, 1),
        bron_date(signed_on), bron_date(start), bron_date(end),
        bron_date(internship.ended_at), sbb_id, round(hours), kind, version.number,
    ]  # fmt: skip


def build(school: School, date_from: date | None = None, date_to: date | None = None) -> BronExport:
    """The export's rows and its report. Use the rows only when `result.ok`."""
    result = BronExport()
    if not school.brin:
        result.problems.append(
            Problem(0, school.name, None, Phrase(N_("de school heeft geen BRIN-nummer")))
        )
    versions = db.session.scalars(
        versions_statement(school, date_from, date_to).options(
            selectinload(AgreementVersion.internship).options(
                selectinload(Internship.student).selectinload(StudentProfile.user),
                selectinload(Internship.school),
                selectinload(Internship.placement).selectinload(Placement.company),
            )
        )
    ).all()
    internship_ids = {v.internship_id for v in versions}
    first_signed = dict(
        db.session.execute(
            select(AgreementVersion.internship_id, func.min(AgreementVersion.number))
            .where(AgreementVersion.internship_id.in_(internship_ids), _signed())
            .group_by(AgreementVersion.internship_id)
        ).all()
    ) if internship_ids else {}  # fmt: skip
    sequence = _sequence_numbers((v.internship.student_id for v in versions), school.id)
    for version in versions:
        row = _row(version, first_signed, sequence, result.problems, (date_from, date_to))
        if row is not None:
            result.rows.append(row)
            result.version_ids.append(version.id)
    _, result.left_out = left_out(school, date_from, date_to)
    if result.problems:
        result.rows, result.version_ids = [], []  # all or nothing
    return result


# --- the 7-day deadline ------------------------------------------------------------------------

DEADLINE_DAYS = 7  # a POK (and every change) goes to BRON within 7 days of signing


def mark_reported(school: School, version_ids: Iterable[int], *, by: User | None = None,
                  at: datetime | None = None) -> int:  # fmt: skip
    """Record that these versions of the school went into a BRON file (the first time only: a
    version exported again keeps the time it was first reported), with an audit entry. Returns
    how many were newly recorded."""
    ids = sorted(set(version_ids))
    if not ids:
        return 0
    count = 0
    for start in range(0, len(ids), 500):  # stay under every database's parameter limit
        count += db.session.execute(
            update(AgreementVersion)
            .where(
                AgreementVersion.id.in_(ids[start : start + 500]),
                AgreementVersion.bron_reported_at.is_(None),
            )
            .values(bron_reported_at=at or utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    record("bron.export", school, actor=by, rows=len(ids), newly_reported=count)
    db.session.commit()
    return count


@dataclass
class Unreported:
    internship_id: int
    student: str
    version: int
    signed_on: date  # the POK date (Amsterdam)
    due: date  # the last day to report it

    def overdue(self, on: date) -> bool:
        return on > self.due

    def days_waiting(self, on: date) -> int:
        return (on - self.signed_on).days


def unreported_statement(school: School):
    return (
        select(AgreementVersion.id)
        .join(Internship, Internship.id == AgreementVersion.internship_id)
        .where(
            Internship.school_id == school.id,
            _signed(),
            AgreementVersion.bron_reported_at.is_(None),
        )
    )


def unreported(school: School, *, limit: int = 200) -> tuple[int, list[Unreported]]:
    """How many signed versions of the school no BRON file has had yet, and the oldest `limit`
    of them (the most overdue first)."""
    total = exports.count(unreported_statement(school))
    if not total:
        return 0, []
    rows = db.session.execute(
        select(AgreementVersion.internship_id, AgreementVersion.number, AgreementVersion.signed_at,
               User.name)
        .join(Internship, Internship.id == AgreementVersion.internship_id)
        .outerjoin(StudentProfile, StudentProfile.id == Internship.student_id)
        .outerjoin(User, User.id == StudentProfile.user_id)
        .where(AgreementVersion.id.in_(unreported_statement(school)))
        .order_by(AgreementVersion.signed_at, AgreementVersion.id)
        .limit(limit)
    ).all()  # fmt: skip
    found = []
    for internship_id, number, signed_at, name in rows:
        signed_on = local_date(signed_at)
        found.append(Unreported(internship_id, name or f"#{internship_id}", number, signed_on,
                                signed_on + timedelta(days=DEADLINE_DAYS)))  # fmt: skip
    return total, found


def overdue_count(school: School, on: date | None = None) -> int:
    """Signed versions not reported more than 7 days after signing (Amsterdam dates)."""
    on = on or today()
    cutoff = _utc_bound(on - timedelta(days=DEADLINE_DAYS))  # signed before that day: late
    return exports.count(unreported_statement(school).where(AgreementVersion.signed_at < cutoff))


def problem_lines(problems: Sequence[Problem]) -> list[str]:
    """The report as plain lines (for the command line)."""
    lines = []
    for p in problems:
        where = f"stage {p.internship_id}" if p.internship_id else "school"
        version = f", versie {p.version}" if p.version else ""
        lines.append(f"{where} ({p.student}{version}): {p.message}")
    return lines


# --- the job for big exports (stagematch/exports.py) -------------------------------------------


@exports.exporter("bron")
def _bron_export(owner: User, params: dict):
    """The coordinator's BRON export, run again by the worker for a big school. The request
    checked the data first; if it went bad in between, the job fails and writes no file."""
    from stagematch import jobs

    school = owner.school
    result = build(school, _iso_date(params.get("from")), _iso_date(params.get("to")))
    if not result.ok:
        raise jobs.JobFailed(
            N_("Sinds de controle zijn gegevens veranderd en niet meer compleet. Er is geen "
               "bestand gemaakt. Exporteer opnieuw voor het overzicht per regel.")
        )  # fmt: skip
    # Recorded when the rows are handed to the file (the job writes them next).
    mark_reported(school, result.version_ids, by=owner)
    return result.header, result.rows

"""Checking the accreditations (SBB erkenningen) that companies declare: against SBB's published
register of leerbedrijven, imported by an administrator, or one by one by a school coordinator.

Which companies a coordinator may check: those where students of the coordinator's school are
placed or applied in the last two years (the school's companies, see `school_company_ids`).
Not every company with an open place: a rejection stops a company from publishing for that
crebo, so only a school that works with the company may decide it; the others wait for the
register. The count of unchecked accreditations and the flag for a rejected one cover the same
companies.

The register is the authority: an import re-judges every running accreditation of the companies
it lists, also ones a coordinator checked before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select, union
from sqlalchemy.orm import selectinload

from stagematch.csvutil import Column, read_csv
from stagematch.extensions import db
from stagematch.i18n import translate
from stagematch.importing import ImportReport, ImportRow
from stagematch.matching.text import N_
from stagematch.models import (
    Accreditation,
    Application,
    Company,
    Placement,
    Qualification,
    School,
    StudentProfile,
    User,
)
from stagematch.models.enums import (
    AccreditationCheckSource,
    AccreditationVerification,
)
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.services.coordinators import HOST_YEARS_DAYS, host_companies_statement
from stagematch.timeutil import today, utcnow

MAX_ROWS = 50_000
MAX_CELL = 200
SCHOOL_SCOPE_DAYS = HOST_YEARS_DAYS  # placed or applied within two years: "a company of the school"

# Register columns: key, what it holds (for the page), header names recognised (normalised:
# lower case, letters and digits only), required.
REGISTER_COLUMNS = [
    ("id", _l("leerbedrijf-ID van SBB"), {"leerbedrijfid", "leerbedrijfsid", "sbbid", "id"}, True),
    ("name", _l("naam van het leerbedrijf"), {"naam", "name", "bedrijfsnaam", "leerbedrijf"}, False),
    ("place", _l("plaats"), {"plaats", "place", "vestigingsplaats", "town", "woonplaats"}, False),
    ("crebo", _l("crebo-nummer"), {"crebo", "crebonummer", "crebocode"}, True),
    ("valid_from", _l("geldig vanaf, 2026-08-01 of 01-08-2026"),
     {"geldigvanaf", "validfrom", "vanaf", "begindatum", "ingangsdatum"}, True),
    ("valid_to", _l("geldig tot, leeg als er geen einddatum is"),
     {"geldigtot", "validto", "tot", "einddatum", "geldigtotenmet"}, True),
]  # fmt: skip
COLUMN_LABELS = {key: header for key, header in
                 zip([c[0] for c in REGISTER_COLUMNS],
                     ["leerbedrijf-ID", "naam", "plaats", "crebo", "geldig vanaf", "geldig tot"], strict=True)}  # fmt: skip

# Stored in Dutch whatever the reader's language (a check note is data, like a coordinator's note).
NOT_LISTED = N_("Het SBB-register noemt crebo %(crebo)s niet bij leerbedrijf-ID %(id)s.")
STARTS_EARLIER = N_(
    "Volgens het SBB-register geldt de erkenning voor crebo %(crebo)s pas vanaf %(date)s."
)
ENDS_LATER = N_("Volgens het SBB-register geldt de erkenning voor crebo %(crebo)s tot %(date)s.")


@dataclass
class RegisterReport(ImportReport):
    """An import of SBB's register. `rows` holds the refused rows only; when there are any (or
    `error` is set) nothing was written."""

    total: int = 0
    companies: int = 0
    verified: int = 0
    rejected: int = 0
    unknown_ids: int = 0
    unchanged: int = 0
    changes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.rows


Period = tuple[date, date | None]


def _parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _read(
    file_text: str | bytes, report: RegisterReport
) -> dict[str, dict[str, list[Period]]] | None:
    """The register as leerbedrijf-ID -> crebo -> periods, or None (the report says why). A
    header that names none of the columns is read by position, in the documented order."""
    columns = [Column(key, required=required, max_length=MAX_CELL, aliases=tuple(aliases),
                      label=COLUMN_LABELS[key])
               for key, _what, aliases, required in REGISTER_COLUMNS]  # fmt: skip
    csv_file = read_csv(file_text, columns, max_rows=MAX_ROWS, cp1252=False, by_position=True)
    report.total = csv_file.count
    if csv_file.error is not None:
        report.error = translate(csv_file.error)
        return None
    report.rows = [ImportRow(p.line, False, translate(p.message)) for p in csv_file.problems]
    crebos = set(db.session.scalars(select(Qualification.crebo)))
    register: dict[str, dict[str, list[Period]]] = {}
    for row in csv_file.rows:
        line, values = row.line, row.values
        problems = []
        sbb_id, crebo = values["id"], values["crebo"]
        if not sbb_id:
            problems.append(_("leerbedrijf-ID ontbreekt"))
        if not crebo:
            problems.append(_("crebo ontbreekt"))
        elif crebo not in crebos:
            problems.append(_("crebo %(crebo)s bestaat niet", crebo=crebo))
        dates = {}
        for key in ("valid_from", "valid_to"):
            text = values[key]
            if not text:
                dates[key] = None
                if key == "valid_from":
                    problems.append(_("geldig vanaf ontbreekt"))
                continue
            dates[key] = _parse_date(text)
            if dates[key] is None:
                problems.append(
                    _(
                        "%(value)s is geen geldige datum (gebruik 2026-08-01 of 01-08-2026)",
                        value=text,
                    )
                )
        start, end = dates["valid_from"], dates["valid_to"]
        if start and end and end < start:
            problems.append(_("geldig tot ligt vóór geldig vanaf"))
        if problems:
            report.rows.append(ImportRow(line, False, "; ".join(problems)))
            continue
        register.setdefault(sbb_id, {}).setdefault(crebo, []).append((start, end))
    report.rows.sort(key=lambda r: r.line)
    return register


def _judge(accreditation: Accreditation, sbb_id: str, periods: list[Period]) -> tuple[str, str]:
    """The register's verdict on one accreditation, with the reason for a rejection."""
    crebo = accreditation.qualification.crebo
    start, end = accreditation.valid_from, accreditation.valid_to
    if not periods:
        return AccreditationVerification.REJECTED, NOT_LISTED % {"crebo": crebo, "id": sbb_id}
    for p_start, p_end in periods:
        if p_start <= start and (p_end is None or (end is not None and end <= p_end)):
            return AccreditationVerification.VERIFIED, ""
    first = min(p_start for p_start, _end in periods)
    if start < first:
        return AccreditationVerification.REJECTED, STARTS_EARLIER % {
            "crebo": crebo,
            "date": f"{first:%d-%m-%Y}",
        }
    # Starts within or after a period, but claims more than the register gives.
    ends = [p_end for p_start, p_end in periods if p_start <= start and p_end is not None]
    return AccreditationVerification.REJECTED, ENDS_LATER % {
        "crebo": crebo,
        "date": f"{max(ends):%d-%m-%Y}",
    }


def import_sbb_register(file_text: str | bytes, *, by: User) -> RegisterReport:
    """Check every running accreditation of the companies the register lists (by `sbb_id`).
    All or nothing: one bad row and nothing is written; the report names each bad row."""
    report = RegisterReport([])
    register = _read(file_text, report)
    if register is None or report.rows:
        db.session.rollback()
        return report
    on, now = today(), utcnow()
    ids = sorted(register)
    companies: list[Company] = []
    for i in range(0, len(ids), 1000):  # keep each IN list well within the drivers' limits
        companies += db.session.scalars(
            select(Company)
            .where(Company.sbb_id.in_(ids[i : i + 1000]))
            .options(selectinload(Company.accreditations).selectinload(Accreditation.qualification))
        ).all()
    report.companies = len(companies)
    report.unknown_ids = len(set(ids) - {c.sbb_id for c in companies})
    for company in companies:
        listed = register[company.sbb_id]
        for accreditation in company.accreditations:
            ended = accreditation.valid_to is not None and accreditation.valid_to < on
            if ended or accreditation.withdrawn_at is not None:
                report.unchanged += 1  # a past period: the register of today says nothing about it
                continue
            verdict, note = _judge(
                accreditation, company.sbb_id, listed.get(accreditation.qualification.crebo, [])
            )
            if accreditation.verification == verdict and accreditation.check_note == note:
                report.unchanged += 1
            elif verdict == AccreditationVerification.VERIFIED:
                report.verified += 1
                report.changes.append((accreditation.id, verdict))
            else:
                report.rejected += 1
                report.changes.append((accreditation.id, verdict))
            accreditation.verification, accreditation.check_note = verdict, note
            accreditation.check_source = AccreditationCheckSource.SBB_REGISTER
            accreditation.checked_by_id, accreditation.checked_at = by.id, now
    record("sbb_register.import", by, actor=by, rows=report.total, companies=report.companies,
           verified=report.verified, rejected=report.rejected, unknown_ids=report.unknown_ids,
           unchanged=report.unchanged, changes=report.changes[:1000])  # fmt: skip
    db.session.commit()
    return report


def last_import() -> dict | None:
    """When the register was last imported, by whom, and its counts (from the audit log)."""
    import json

    from stagematch.models import AuditEvent

    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "sbb_register.import")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    return {"at": event.at, "by": event.actor_label, **json.loads(event.detail or "{}")}


# --- the coordinator's check -----------------------------------------------------------------


def school_company_ids_statement(school: School) -> Select:
    """Companies where the school's students are placed or applied within two years."""
    since = today() - timedelta(days=SCHOOL_SCOPE_DAYS)
    placed = host_companies_statement(school)
    applied = (
        select(Placement.company_id)
        .join(Application, Application.placement_id == Placement.id)
        .join(StudentProfile, StudentProfile.id == Application.student_id)
        .where(StudentProfile.school_id == school.id, Application.created_at >= datetime.combine(since, datetime.min.time()))
    )  # fmt: skip
    return union(placed, applied)


def school_company_ids(school: School) -> set[int]:
    return set(db.session.scalars(select(school_company_ids_statement(school).subquery().c[0])))


def may_check(school: School | None, company: Company) -> bool:
    """The access rule of the module docstring."""
    if school is None:
        return False
    return company.id in school_company_ids(school)


def check_accreditation(
    accreditation: Accreditation, *, by: User, verdict: str, note: str = ""
) -> None:
    """A coordinator's verdict on one accreditation; rejecting needs a reason."""
    if verdict not in (AccreditationVerification.VERIFIED, AccreditationVerification.REJECTED):
        raise DomainError(_("Kies of de erkenning klopt of niet."), "verdict")
    note = (note or "").strip()
    if verdict == AccreditationVerification.REJECTED and len(note) < 3:
        raise DomainError(_("Schrijf waarom je de erkenning afkeurt."), "note")
    accreditation.verification = verdict
    accreditation.check_source = AccreditationCheckSource.COORDINATOR
    accreditation.checked_by_id, accreditation.checked_at = by.id, utcnow()
    accreditation.check_note = note
    record("accreditation.check", accreditation, actor=by, verdict=verdict, note=note,
           crebo=accreditation.qualification.crebo)  # fmt: skip
    db.session.commit()


def _running(on: date):
    return and_(
        or_(Accreditation.valid_to.is_(None), Accreditation.valid_to >= on),
        Accreditation.withdrawn_at.is_(None),
    )


STATUS_FILTERS = {
    "declared": _l("nog niet gecontroleerd"),
    "rejected": _l("afgekeurd"),
    "verified": _l("gecontroleerd"),
    "alle": _l("alle"),
}


def school_accreditations_statement(school: School, status: str = "declared") -> Select:
    """Running accreditations of the school's companies, by company name and crebo."""
    stmt = (
        select(Accreditation)
        .join(Company, Company.id == Accreditation.company_id)
        .join(Qualification, Qualification.id == Accreditation.qualification_id)
        .where(
            Accreditation.company_id.in_(school_company_ids_statement(school)), _running(today())
        )
        .options(selectinload(Accreditation.company), selectinload(Accreditation.checked_by))
        .order_by(Company.name, Company.id, Qualification.crebo, Accreditation.valid_from)
    )
    if status in {v.value for v in AccreditationVerification}:
        stmt = stmt.where(Accreditation.verification == status)
    return stmt


def unchecked_count(school: School) -> int:
    stmt = school_accreditations_statement(school, "declared")
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def rejected_for_school(school: School) -> list[Accreditation]:
    """Rejected accreditations at the school's companies, except the ones this school's own
    coordinators rejected (they know)."""
    return [
        a
        for a in db.session.scalars(
            select(Accreditation)
            .where(
                Accreditation.company_id.in_(school_company_ids_statement(school)),
                Accreditation.verification == AccreditationVerification.REJECTED,
                _running(today()),
            )
            .options(
                selectinload(Accreditation.company),
                selectinload(Accreditation.checked_by),
                selectinload(Accreditation.qualification),
            )  # fmt: skip
        )
        if not (
            a.check_source == AccreditationCheckSource.COORDINATOR
            and a.checked_by is not None
            and a.checked_by.school_id == school.id
        )  # fmt: skip
    ]

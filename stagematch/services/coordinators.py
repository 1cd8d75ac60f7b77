"""What a school coordinator sees: every student's status, who has no place yet, the companies and
meesters hosting the school's students, and visit notes. All queries are set-based and paginated so
they stay fast with 60,000 students."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select, union
from sqlalchemy.orm import contains_eager, selectinload

from stagematch.extensions import db
from stagematch.models import (
    Accreditation,
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    Application,
    Company,
    DiscriminationReport,
    Flag,
    Internship,
    Mentor,
    Placement,
    Qualification,
    School,
    StudentProfile,
    User,
    VisitNote,
    placement_qualification,
)
from stagematch.models.enums import ApplicationStatus, InternshipStatus, MentorRole
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.services.capacity import learners_by_school
from stagematch.services.responses import CompanyResponse, company_responses
from stagematch.services.supervision import rating_averages
from stagematch.timeutil import today, utcnow

STATUS_LABELS = {
    "no_profile": _l("geen profiel"),
    "searching": _l("zoekt"),
    "applied": _l("gesolliciteerd"),
    "placed": _l("geplaatst"),
    "active": _l("loopt"),
    "completed": _l("afgerond"),
    "terminated": _l("gestopt"),
}


def student_status_expr(on: date | None = None):
    """SQL CASE giving each StudentProfile one status, most current first."""
    on = on or today()
    sp = StudentProfile
    running = and_(Internship.student_id == sp.id, Internship.status == InternshipStatus.ACTIVE)
    return case(
        (exists().where(running, Internship.start_date <= on), literal("active")),
        (exists().where(running), literal("placed")),
        (
            exists().where(
                Application.student_id == sp.id,
                Application.status.in_(
                    (ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED)
                ),
            ),
            literal("applied"),
        ),
        (
            exists().where(
                Internship.student_id == sp.id, Internship.status == InternshipStatus.TERMINATED
            ),
            literal("terminated"),
        ),
        (
            exists().where(
                Internship.student_id == sp.id, Internship.status == InternshipStatus.COMPLETED
            ),
            literal("completed"),
        ),
        (or_(sp.city.is_(None), sp.skills == ""), literal("no_profile")),
        else_=literal("searching"),
    )


@dataclass
class StudentFilters:
    qualification_id: int | None = None
    level: int | None = None
    leerweg: str | None = None
    status: str | None = None
    q: str = ""
    place: str | None = None  # "met": with a running internship, "zonder": without


def students_statement(school: School, filters: StudentFilters, on: date | None = None):
    status = student_status_expr(on).label("status")
    stmt = (
        select(
            StudentProfile.id,
            User.name,
            User.email,
            StudentProfile.student_number,
            Qualification.crebo,
            Qualification.name.label("qualification"),
            StudentProfile.level,
            StudentProfile.leerweg,
            StudentProfile.city,
            StudentProfile.planned_start,
            status,
        )  # fmt: skip
        .join(User, User.id == StudentProfile.user_id)
        .join(Qualification, Qualification.id == StudentProfile.qualification_id)
        .where(StudentProfile.school_id == school.id)
    )
    if filters.qualification_id:
        stmt = stmt.where(StudentProfile.qualification_id == filters.qualification_id)
    if filters.level:
        stmt = stmt.where(StudentProfile.level == filters.level)
    if filters.leerweg:
        stmt = stmt.where(StudentProfile.leerweg == filters.leerweg)
    if filters.status:
        stmt = stmt.where(student_status_expr(on) == filters.status)
    if filters.place in ("met", "zonder"):
        placed = exists().where(
            Internship.student_id == StudentProfile.id,
            Internship.status == InternshipStatus.ACTIVE,
        )
        stmt = stmt.where(placed if filters.place == "met" else ~placed)
    for word in filters.q.split()[:4]:
        stmt = stmt.where(
            or_(
                User.name.icontains(word, autoescape=True),
                User.email.icontains(word, autoescape=True),
                StudentProfile.student_number.icontains(word, autoescape=True),
            )
        )
    return stmt.order_by(User.name, StudentProfile.id)


def status_counts(school: School, on: date | None = None) -> dict[str, int]:
    status = student_status_expr(on)
    rows = db.session.execute(
        select(status, func.count()).where(StudentProfile.school_id == school.id).group_by(status)
    ).all()
    counts = dict.fromkeys(STATUS_LABELS, 0)
    counts.update({k: v for k, v in rows})
    return counts


def without_place_statement(school: School, weeks: int, on: date | None = None):
    """Students whose planned start is within `weeks` (or past) and who have no running internship."""
    on = on or today()
    sp = StudentProfile
    status = student_status_expr(on).label("status")
    return (
        select(
            sp.id,
            User.name,
            User.email,
            sp.student_number,
            Qualification.crebo,
            Qualification.name.label("qualification"),
            sp.level,
            sp.leerweg,
            sp.city,
            sp.planned_start,
            status,
        )  # fmt: skip
        .join(User, User.id == sp.user_id)
        .join(Qualification, Qualification.id == sp.qualification_id)
        .where(
            sp.school_id == school.id,
            sp.planned_start.is_not(None),
            sp.planned_start <= on + timedelta(weeks=weeks),
            ~exists().where(
                Internship.student_id == sp.id, Internship.status == InternshipStatus.ACTIVE
            ),
        )
        .order_by(sp.planned_start, User.name)
    )


# --- companies and meesters --------------------------------------------------------------------


@dataclass
class MeesterRow:
    mentor: Mentor
    active: int
    school_active: int  # of which from this school
    ratings: object

    @property
    def over_capacity(self) -> bool:
        return self.active > self.mentor.capacity


@dataclass
class CompanyRow:
    company: Company
    students: int  # this school's students there now
    meesters: list[MeesterRow]
    reports: int
    accreditation_ok: bool
    accreditation_note: str
    responses: CompanyResponse | None = None  # how the company answers applications

    @property
    def over_capacity(self) -> bool:
        return any(m.over_capacity for m in self.meesters)


HOST_YEARS_DAYS = 730  # "a host company of the school": placed there now or in the last two years


def host_companies_statement(school: School):
    """SQL: ids of companies where this school's students are placed now or were in the last
    two years (with repeats)."""
    since = today() - timedelta(days=HOST_YEARS_DAYS)
    return (
        select(Placement.company_id)
        .join(Internship, Internship.placement_id == Placement.id)
        .where(
            Internship.school_id == school.id,
            or_(Internship.status == InternshipStatus.ACTIVE, Internship.end_date >= since),
        )  # fmt: skip
    )


def host_company_ids(school: School) -> list[int]:
    """Companies where this school's students are placed now or were in the last two years."""
    return list(db.session.scalars(host_companies_statement(school).distinct()))


@dataclass
class CompanyFilters:
    q: str = ""  # words in the name or the town
    sector: str = ""
    open_flags: bool = False  # only companies with an open flag of the school


def school_companies_statement(school: School):
    """SQL: ids of the companies on the coordinator's list: host companies (placed now or in the
    last two years) and companies the school has a flag about (a report, an accreditation)."""
    flagged = select(Flag.company_id).where(
        Flag.school_id == school.id, Flag.company_id.is_not(None)
    )
    return union(host_companies_statement(school), flagged)


def companies_statement(school: School, filters: CompanyFilters):
    """SQL: the ids of the school's companies that pass the filters, by name."""
    ids = school_companies_statement(school).subquery()
    stmt = select(Company.id).where(Company.id.in_(select(ids.c[0])))
    for word in filters.q.split()[:4]:
        stmt = stmt.where(
            or_(
                Company.name.icontains(word, autoescape=True),
                Company.city.icontains(word, autoescape=True),
            )
        )
    if filters.sector:
        stmt = stmt.where(Company.sector == filters.sector)
    if filters.open_flags:
        stmt = stmt.where(
            exists().where(
                Flag.company_id == Company.id,
                Flag.school_id == school.id,
                Flag.resolved_at.is_(None),
            )
        )
    return stmt.order_by(Company.name, Company.id)


def company_sectors(school: School) -> list[str]:
    """The sectors of the school's companies (for the filter)."""
    ids = school_companies_statement(school).subquery()
    return list(
        db.session.scalars(
            select(Company.sector)
            .where(Company.id.in_(select(ids.c[0])))
            .distinct()
            .order_by(Company.sector)
        )
    )


def companies_page_rows(school: School, company_ids: list[int]) -> list[CompanyRow]:
    """The overview rows of `company_ids`, in that order (a page of `companies_statement`)."""
    rows = {r.company.id: r for r in companies_overview(school, company_ids)}
    answers = company_responses(company_ids)
    return [replace(rows[i], responses=answers.get(i)) for i in company_ids if i in rows]


def open_flag_counts(school: School, company_ids: list[int]) -> dict[int, int]:
    if not company_ids:
        return {}
    return dict(
        db.session.execute(
            select(Flag.company_id, func.count())
            .where(
                Flag.school_id == school.id,
                Flag.company_id.in_(company_ids),
                Flag.resolved_at.is_(None),
            )
            .group_by(Flag.company_id)
        ).all()
    )


def companies_overview(
    school: School, company_ids: list[int], on: date | None = None
) -> list[CompanyRow]:
    on = on or today()
    if not company_ids:
        return []
    companies = {
        c.id: c for c in db.session.scalars(select(Company).where(Company.id.in_(company_ids)))
    }
    meesters = db.session.scalars(
        select(Mentor).where(
            Mentor.company_id.in_(company_ids), Mentor.role == MentorRole.MEESTER, Mentor.active
        )
    ).all()
    by_school = learners_by_school([m.id for m in meesters], on=on)
    active = {m: sum(per.values()) for m, per in by_school.items()}
    school_active = {m: per.get(school.id, 0) for m, per in by_school.items()}
    ratings = rating_averages([m.id for m in meesters])
    reports = dict(
        db.session.execute(
            select(DiscriminationReport.company_id, func.count())
            .where(
                DiscriminationReport.company_id.in_(company_ids),
                DiscriminationReport.school_id == school.id,
            )
            .group_by(DiscriminationReport.company_id)
        ).all()
    )
    # Accreditation: every crebo of the company's running places must be accredited now (and beyond 60 days).
    needed = db.session.execute(
        select(Placement.company_id, placement_qualification.c.qualification_id)
        .join(placement_qualification, placement_qualification.c.placement_id == Placement.id)
        .join(Internship, Internship.placement_id == Placement.id)
        .where(Placement.company_id.in_(company_ids), Internship.status == InternshipStatus.ACTIVE)
        .distinct()
    ).all()
    accreditations = db.session.scalars(
        select(Accreditation).where(Accreditation.company_id.in_(company_ids))
    ).all()
    result = []
    for cid, company in companies.items():
        notes = []
        for company_id, qualification_id in needed:
            if company_id != cid:
                continue
            own = [
                a
                for a in accreditations
                if a.company_id == cid and a.qualification_id == qualification_id
            ]
            if not any(a.is_current(on) for a in own):
                notes.append(_("erkenning verlopen"))
            elif not any(a.is_current(on + timedelta(days=60)) for a in own):
                notes.append(_("erkenning verloopt binnen 60 dagen"))
        rows = [
            MeesterRow(m, active.get(m.id, 0), school_active.get(m.id, 0), ratings[m.id])
            for m in meesters
            if m.company_id == cid
        ]
        result.append(
            CompanyRow(
                company,
                sum(r.school_active for r in rows),
                rows,
                reports.get(cid, 0),
                not notes,
                ", ".join(sorted(set(notes))) or _("in orde"),
            )  # fmt: skip
        )
    return sorted(
        result, key=lambda r: (not r.over_capacity, r.accreditation_ok, -r.students, r.company.name)
    )


def over_capacity_meesters(school: School) -> list[MeesterRow]:
    rows = companies_overview(school, host_company_ids(school))
    return [m for c in rows for m in c.meesters if m.over_capacity and m.school_active]


# --- internships and visits ------------------------------------------------------------------


INTERNSHIP_STATUSES = ("active", "completed", "terminated", "all")


@dataclass
class InternshipFilters:
    status: str = "active"  # or "completed", "terminated", "all"
    company: str = ""  # words in the company's name
    meester: str = ""  # words in the meester's name


def internships_statement(school: School, filters: InternshipFilters):
    """SQL: the school's internships that pass the filters, latest start first."""
    stmt = (
        select(Internship)
        .join(Placement, Placement.id == Internship.placement_id)
        .join(Company, Company.id == Placement.company_id)
        .join(Mentor, Mentor.id == Internship.meester_id)
        .where(Internship.school_id == school.id)
        .options(
            contains_eager(Internship.placement).contains_eager(Placement.company),
            contains_eager(Internship.meester),
            selectinload(Internship.student).selectinload(StudentProfile.user),
            # The phase and whom the agreement waits for (`list_facts`), without a query a row.
            selectinload(Internship.agreement_versions).selectinload(AgreementVersion.signatures),
        )
    )
    if filters.status in {s.value for s in InternshipStatus}:
        stmt = stmt.where(Internship.status == filters.status)
    for word in filters.company.split()[:4]:
        stmt = stmt.where(Company.name.icontains(word, autoescape=True))
    for word in filters.meester.split()[:4]:
        stmt = stmt.where(Mentor.name.icontains(word, autoescape=True))
    return stmt.order_by(Internship.start_date.desc(), Internship.id.desc())


# The placement's phase (services/internships.Phase) in the words of the placement pages.
PHASE_LABELS = {
    "unsigned": _l("Overeenkomst nog niet rond"),
    "coming": _l("Gaat beginnen"),
    "running": _l("Loopt"),
    "completed": _l("Afgerond"),
    "ended_early": _l("Voortijdig beëindigd"),
}


@dataclass
class ListFacts:
    """What the school's placement list shows of a placement besides its names and dates."""

    phase: str
    waiting_for: str  # whom the agreement (or its change) waits for, in words; "" when nobody
    approved_hours: float
    planned_hours: float | None  # None: no signed agreement, so nothing is planned yet

    @property
    def phase_label(self) -> str:
        return str(PHASE_LABELS[self.phase])


def list_facts(internships, on: date | None = None) -> dict[int, ListFacts]:
    """Phase, agreement status and hours (approved as approved or corrected; planned = agreed
    hours a week × the weeks begun so far, as on the placement page) per placement: one query
    for the hours, the rest from what `internships_statement` loaded."""
    from stagematch.services import agreements, hours
    from stagematch.services.internships import phase

    on = on or today()
    internships = list(internships)
    approved = hours.approved_total(i.id for i in internships)
    facts = {}
    for internship in internships:
        pending = agreements.pending_version(internship)
        waiting = ""
        if pending is not None:
            party = agreements.next_party(pending)
            waiting = str(agreements.WAITING_LABELS[party]) if party else ""
            if waiting and agreements.is_signed(internship):
                waiting = _("wijziging %(status)s", status=waiting)
        planned = None
        if agreements.is_signed(internship):
            weeks = (
                len(hours.placement_weeks(internship, until=on))
                if internship.start_date <= on
                else 0
            )
            planned = round(hours.planned_per_week(internship) * weeks, 1)
        facts[internship.id] = ListFacts(phase(internship, on), waiting, approved[internship.id],
                                         planned)  # fmt: skip
    return facts


def waiting_for_school(school: School, *, limit: int = 10) -> tuple[int, list]:
    """Agreements (or changes) of the school's active placements that wait for the school's
    signature: the student and the leerbedrijf signed (they sign before the school), the school
    not. Returns the total and the first `limit` as (internship id, student name, start date,
    version number), the soonest start first."""
    signed_by = AgreementSignature.__table__.alias("signed_by")

    def signed(party: str):
        return exists().where(
            signed_by.c.version_id == AgreementVersion.id, signed_by.c.party == party
        )

    stmt = (
        select(Internship.id, User.name, Internship.start_date, AgreementVersion.number)
        .join(AgreementVersion, AgreementVersion.internship_id == Internship.id)
        .outerjoin(StudentProfile, StudentProfile.id == Internship.student_id)
        .outerjoin(User, User.id == StudentProfile.user_id)
        .where(
            Internship.school_id == school.id,
            Internship.status == InternshipStatus.ACTIVE,
            AgreementVersion.status == AgreementStatus.PENDING,
            signed("company"),
            ~signed("school"),
        )
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(
        stmt.order_by(Internship.start_date, Internship.id).limit(limit)
    ).all() if total else []  # fmt: skip
    return total or 0, rows


def school_internship(school: School, internship_id: int) -> Internship:
    internship = db.get_or_404(Internship, internship_id)
    if internship.school_id != school.id:
        from flask import abort

        abort(403)
    return internship


def add_visit_note(
    internship: Internship, *, author: User, visited_on: date, note: str
) -> VisitNote:
    if visited_on > today():
        raise DomainError(_("De datum van het bezoek ligt in de toekomst."), "visited_on")
    visit = VisitNote(
        internship=internship, author=author, visited_on=visited_on, note=note.strip()
    )
    db.session.add(visit)
    last = internship.last_contact_at
    contact = utcnow().replace(year=visited_on.year, month=visited_on.month, day=visited_on.day)
    if last is None or contact > last:
        internship.last_contact_at = contact
    db.session.flush()
    record("visit.add", visit, internship=internship.id)
    db.session.commit()
    return visit

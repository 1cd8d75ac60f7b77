"""The placement after the match (issue 17), seen by its three parties: who may see a placement
and from which side, the student's current placement, and the phase it is in.

The sections of the placement page (agreement, hours, meetings, assessment, ending early) each
have their own service module; this one only answers the questions every section shares."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from stagematch.extensions import db
from stagematch.models import Company, Internship, Mentor, Placement, StudentProfile, User
from stagematch.models.enums import InternshipStatus, Role
from stagematch.timeutil import today


class Side:
    """The side a user sees a placement from."""

    STUDENT = "student"
    COMPANY = "company"
    SCHOOL = "school"


def side_of(internship: Internship, user) -> str | None:
    """The side `user` sees `internship` from, or None when it is not theirs to see: the student
    themself, an account of the leerbedrijf of the place or of the firm employing its meester or
    gezel (`company_ids_of`: a leerbedrijf network), a coordinator of the student's school."""
    if not getattr(user, "is_authenticated", False):
        return None
    profile = user.profile if user.role == Role.STUDENT else None
    if profile is not None and internship.student_id == profile.id:
        return Side.STUDENT
    if user.role == Role.COMPANY and user.company_id in company_ids_of(internship):
        return Side.COMPANY
    if user.role == Role.COORDINATOR and internship.school_id == user.school_id:
        return Side.SCHOOL
    return None


def company_ids_of(internship: Internship) -> set[int]:
    """The firms on the company side of a placement: the leerbedrijf of the place and, when a
    network partner supervises (issue 18), the firm employing the meester or the gezel. Every
    check of "the company" of a placement and everyone told as "the company" goes through this."""
    ids = {internship.placement.company_id}
    for mentor in (internship.meester, internship.gezel):
        if mentor is not None:
            ids.add(mentor.company_id)
    return ids


def signing_company_id(internship: Internship) -> int:
    """The firm that signs the praktijkovereenkomst for the company side: the leerbedrijf of the
    place, named in the agreement (docs/networks.md). A partner firm of the meester sees it."""
    return internship.placement.company_id


def company_accounts(internship: Internship, *, firm_ids: set[int] | None = None) -> list[User]:
    """The active company accounts of the placement's firms (`company_ids_of`), or of `firm_ids`
    only, in a stable order: whom a notification to "the company" reaches."""
    ids = company_ids_of(internship) if firm_ids is None else firm_ids
    return list(
        db.session.scalars(
            select(User)
            .where(User.company_id.in_(ids), User.role == Role.COMPANY,
                   User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )  # fmt: skip


def load(internship_id: int) -> Internship | None:
    """The placement with what every section reads (place, company, meester, gezel, student)."""
    return db.session.scalars(
        select(Internship)
        .where(Internship.id == internship_id)
        .options(
            selectinload(Internship.placement).selectinload(Placement.company),
            selectinload(Internship.meester),
            selectinload(Internship.gezel),
            selectinload(Internship.student).selectinload(StudentProfile.user),
            selectinload(Internship.school),
        )
    ).one_or_none()


def current_for_student(profile: StudentProfile, on: date | None = None) -> Internship | None:
    """The student's running or coming placement (the latest that has not ended), or None."""
    return for_home(profile, on)[0]


def recently_ended_early(profile: StudentProfile, on: date | None = None, *, weeks: int = 8):
    """The student's placement that was ended early in the last `weeks` weeks, if that is their
    latest: their home page then offers help to find a new place."""
    on = on or today()
    latest = db.session.scalars(
        select(Internship)
        .where(Internship.student_id == profile.id)
        .order_by(Internship.start_date.desc(), Internship.id.desc())
        .limit(1)
    ).one_or_none()
    return _ended_early_lately(latest, on, weeks)


def _ended_early_lately(latest: Internship | None, on: date, weeks: int) -> Internship | None:
    from datetime import timedelta

    if (
        latest is None
        or latest.status != InternshipStatus.TERMINATED
        or latest.ended_at is None
        or latest.ended_at < on - timedelta(weeks=weeks)
    ):
        return None
    return latest


def for_home(
    profile: StudentProfile, on: date | None = None, *, weeks: int = 8
) -> tuple[Internship | None, Internship | None]:
    """The student's home page's placements in one statement (issue #20): the current one
    and, when there is none, the one ended early lately
    (`recently_ended_early`) — the same rules over the student's placements (a few), newest
    first, each with what the home page shows of a current one."""
    on = on or today()
    placements = (
        db.session.scalars(
            select(Internship)
            .where(Internship.student_id == profile.id)
            .order_by(Internship.start_date.desc(), Internship.id.desc())
            # What the home page shows of a current one, in the same statement (issue #20).
            .options(
                joinedload(Internship.placement).joinedload(Placement.company),
                joinedload(Internship.meester),
                joinedload(Internship.agreement_versions),
            )  # fmt: skip
        )
        .unique()
        .all()
    )
    # The current one: the latest that is running or coming (not ended).
    current = next(
        (
            i for i in placements
            if i.status == InternshipStatus.ACTIVE and i.end_date is not None and i.end_date >= on
        ),
        None,
    )  # fmt: skip
    if current is not None:
        return current, None
    return None, _ended_early_lately(placements[0] if placements else None, on, weeks)


def of_student(profile: StudentProfile) -> list[Internship]:
    """Every placement of the student, newest first (for the student's own overview)."""
    return list(
        db.session.scalars(
            select(Internship)
            .where(Internship.student_id == profile.id)
            .order_by(Internship.start_date.desc(), Internship.id.desc())
        )
    )


def company_statement(company: Company, *, running: bool = True, on: date | None = None):
    """The leerbedrijf's placements: running and coming (`running`), or ended. Those at a network
    partner's place that its own meester or gezel supervises count too (`company_ids_of`)."""
    on = on or today()
    own_mentors = select(Mentor.id).where(Mentor.company_id == company.id)
    stmt = (
        select(Internship)
        .join(Placement, Placement.id == Internship.placement_id)
        .where(
            (Placement.company_id == company.id)
            | Internship.meester_id.in_(own_mentors)
            | Internship.gezel_id.in_(own_mentors)
        )
        .options(
            selectinload(Internship.placement),
            selectinload(Internship.meester),
            selectinload(Internship.student).selectinload(StudentProfile.user),
        )
    )
    if running:
        stmt = stmt.where(Internship.status == InternshipStatus.ACTIVE, Internship.end_date >= on)
        return stmt.order_by(Internship.start_date, Internship.id)
    stmt = stmt.where((Internship.status != InternshipStatus.ACTIVE) | (Internship.end_date < on))
    return stmt.order_by(Internship.end_date.desc(), Internship.id.desc())


class Phase:
    """Where a placement stands, for every side's page and lists."""

    UNSIGNED = "unsigned"  # the agreement waits for signatures: the placement cannot start
    COMING = "coming"  # signed, not started yet
    RUNNING = "running"
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"


def phase(internship: Internship, on: date | None = None) -> str:
    from stagematch.services import agreements

    on = on or today()
    if internship.status == InternshipStatus.TERMINATED:
        return Phase.ENDED_EARLY
    if internship.status == InternshipStatus.COMPLETED or internship.end_date < on:
        return Phase.COMPLETED
    if not agreements.is_signed(internship):
        return Phase.UNSIGNED
    return Phase.COMING if internship.start_date > on else Phase.RUNNING


def school_contacts(internship: Internship) -> list:
    """Whom the company contacts at the student's school: the contact persons the school published
    for the student's qualification (services.school_contacts, issue 18), else its coordinators.
    Both have `name` and `email`."""
    from stagematch.services.school_contacts import contacts_for

    qualification = internship.student.qualification if internship.student else None
    published = contacts_for(internship.school, qualification)
    if published:
        return published[:5]
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role == Role.COORDINATOR,
                User.school_id == internship.school_id,
                User.is_active_account.is_(True),
            )
            .order_by(User.name)
            .limit(5)
        )
    )


def company_users(internship: Internship) -> list[User]:
    """Whom the others contact at the company side: accounts of the place's firm first, then of
    the meester's firm when that is a network partner (`company_ids_of`)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.company_id.in_(company_ids_of(internship)),
                   User.is_active_account.is_(True))
            .order_by(User.company_id != internship.placement.company_id, User.name)
            .limit(5)
        )
    )  # fmt: skip

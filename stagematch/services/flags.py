"""The coordinator's work queue: one flag per problem, found by set-based queries, raised once
(a stable subject key) and resolved with a note that stays in the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased

from stagematch.extensions import db
from stagematch.inputs import MAX_ID, parse_int
from stagematch.matching.text import N_, Phrase, to_data
from stagematch.models import (
    Accreditation,
    DiscriminationReport,
    Evaluation,
    Flag,
    FlagAction,
    Internship,
    Mentor,
    Placement,
    School,
    StudentProfile,
    User,
    placement_qualification,
)
from stagematch.models.enums import AccreditationVerification, EvaluationAuthor, InternshipStatus
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.services.capacity import learners_by_school
from stagematch.timeutil import today, utcnow

NO_CONTACT_WEEKS = 6
ACCREDITATION_WARNING_DAYS = 60
LOW_RATING = 3  # below 3 of 5

KIND_LABELS = {
    "over_capacity": _l("Meester heeft te veel leerlingen"),
    "low_supervision": _l("Begeleiding lager dan 3 van 5"),
    "mostly_routine": _l("Vooral routinewerk"),
    "evaluation_overdue": _l("Evaluatie te laat"),
    "no_contact": _l("Geen contact in 6 weken"),
    "accreditation": _l("Erkenning verlopen, bijna verlopen of afgekeurd"),
    "discrimination": _l("Melding van discriminatie"),
    "meeting_missed": _l("Gesprek (start, tussen, eind) gemist"),
    "agreement_unsigned": _l("Praktijkovereenkomst niet getekend"),
    "hours_overdue": _l("Uren te lang niet goedgekeurd"),
    "hours_missing": _l("Uren niet ingevuld"),
}


# An evaluation past its due date: (midterm?, by the student?) -> message.
OVERDUE = {
    (True, True): N_("De tussenevaluatie door de student van %(name)s is te laat (was %(due)s)."),
    (True, False): N_("De tussenevaluatie door de meester van %(name)s is te laat (was %(due)s)."),
    (False, True): N_("De eindevaluatie door de student van %(name)s is te laat (was %(due)s)."),
    (False, False): N_("De eindevaluatie door de meester van %(name)s is te laat (was %(due)s)."),
}


@dataclass
class Candidate:
    kind: str
    subject_key: str
    message: str  # a Phrase: Dutch text that the page translates
    internship_id: int | None = None
    company_id: int | None = None
    mentor_id: int | None = None
    report_id: int | None = None  # the discrimination report a case is about


def _student_name(internship_id_col):
    """The student's name for an internship id column (correlated; an alias keeps it apart from
    the outer query's internship table)."""
    inner = aliased(Internship)
    return (
        select(User.name)
        .join(StudentProfile, StudentProfile.user_id == User.id)
        .join(inner, inner.student_id == StudentProfile.id)
        .where(inner.id == internship_id_col)
        .scalar_subquery()
    )


def find_problems(school: School) -> list[Candidate]:
    on = today()
    found: list[Candidate] = []
    running = and_(Internship.school_id == school.id, Internship.status == InternshipStatus.ACTIVE)

    # Meesters of this school's students who have more learners than their capacity.
    school_meesters = select(Internship.meester_id).where(running).distinct()
    school_meester_ids = list(db.session.scalars(school_meesters))
    loads = learners_by_school(school_meester_ids, on=on)
    for mentor_id, name, company_id, capacity in db.session.execute(
        select(Mentor.id, Mentor.name, Mentor.company_id, Mentor.capacity).where(
            Mentor.id.in_(school_meester_ids)
        )
    ).all():
        active = sum(loads.get(mentor_id, {}).values())
        if active <= capacity:
            continue
        found.append(Candidate("over_capacity", f"mentor:{mentor_id}:{capacity}",
                               Phrase(N_("%(name)s begeleidt %(active)s leerlingen bij een capaciteit van %(capacity)s."),
                                      name=name, active=active, capacity=capacity),
                               company_id=company_id, mentor_id=mentor_id))  # fmt: skip

    # Student evaluations of running internships: low supervision, mostly routine.
    e = Evaluation
    for ev_id, internship_id, company_id, low, routine, name in db.session.execute(
        select(
            e.id,
            e.internship_id,
            Placement.company_id,
            or_(e.supervision_time < LOW_RATING, e.feedback < LOW_RATING, e.overall < LOW_RATING),
            e.mostly_routine,
            _student_name(e.internship_id),
        )  # fmt: skip
        .join(Internship, Internship.id == e.internship_id)
        .join(Placement, Placement.id == Internship.placement_id)
        .where(running, e.author_role == EvaluationAuthor.STUDENT, e.submitted_at.is_not(None))
        .where(
            or_(
                e.supervision_time < LOW_RATING,
                e.feedback < LOW_RATING,
                e.overall < LOW_RATING,
                e.mostly_routine.is_(True),
            )
        )  # fmt: skip
    ):
        if low:
            found.append(Candidate("low_supervision", f"evaluation:{ev_id}",
                                   Phrase(N_("%(name)s geeft de begeleiding een onvoldoende."), name=name),
                                   internship_id, company_id))  # fmt: skip
        if routine:
            found.append(Candidate("mostly_routine", f"evaluation:{ev_id}",
                                   Phrase(N_("%(name)s doet vooral routinewerk."), name=name), internship_id,
                                   company_id))  # fmt: skip

    # Evaluations past their due date, not submitted.
    for ev_id, internship_id, author, moment, due, company_id, name in db.session.execute(
        select(
            e.id,
            e.internship_id,
            e.author_role,
            e.moment,
            e.due_date,
            Placement.company_id,
            _student_name(e.internship_id),
        )  # fmt: skip
        .join(Internship, Internship.id == e.internship_id)
        .join(Placement, Placement.id == Internship.placement_id)
        .where(running, e.submitted_at.is_(None), e.due_date < on)
    ):
        message = OVERDUE[moment == "midterm", author == EvaluationAuthor.STUDENT]
        found.append(Candidate("evaluation_overdue", f"evaluation:{ev_id}",
                               Phrase(message, name=name, due=due),
                               internship_id, company_id))  # fmt: skip

    # No coordinator contact for 6 weeks in a running internship (that started at least 6 weeks ago).
    cutoff = utcnow() - timedelta(weeks=NO_CONTACT_WEEKS)
    for internship_id, company_id, name in db.session.execute(
        select(Internship.id, Placement.company_id, _student_name(Internship.id))
        .join(Placement, Placement.id == Internship.placement_id)
        .where(running, Internship.start_date <= on - timedelta(weeks=NO_CONTACT_WEEKS))
        .where(or_(Internship.last_contact_at.is_(None), Internship.last_contact_at < cutoff))
    ):
        week = (on - timedelta(days=on.weekday())).isoformat()
        found.append(Candidate("no_contact", f"internship:{internship_id}:{week}",
                               Phrase(N_("Geen contact met %(name)s (of het leerbedrijf) in %(weeks)s weken."),
                                      name=name, weeks=NO_CONTACT_WEEKS),
                               internship_id, company_id))  # fmt: skip

    # Accreditation of a running place's crebo expired or expiring soon.
    horizon = on + timedelta(days=ACCREDITATION_WARNING_DAYS)
    pairs = db.session.execute(
        select(Placement.company_id, placement_qualification.c.qualification_id)
        .join(placement_qualification, placement_qualification.c.placement_id == Placement.id)
        .join(Internship, Internship.placement_id == Placement.id)
        .where(running)
        .distinct()
    ).all()
    if pairs:
        company_ids = {c for c, _qualification in pairs}
        accreditations = db.session.scalars(
            select(Accreditation).where(Accreditation.company_id.in_(company_ids))
        ).all()
        for company_id, qualification_id in pairs:
            own = [
                a
                for a in accreditations
                if a.company_id == company_id and a.qualification_id == qualification_id
            ]
            if any(a.is_current(horizon) for a in own):
                continue
            if any(
                a.verification == AccreditationVerification.REJECTED
                and a.withdrawn_at is None
                and a.valid_from <= on
                and (a.valid_to is None or a.valid_to >= on)
                for a in own
            ):
                continue  # in its period but rejected: flagged below with the reason
            expired = not any(a.is_current(on) for a in own)
            company = own[0].company if own else None
            crebo = own[0].qualification.crebo if own else "?"
            name = company.name if company else str(company_id)
            message = (
                N_("De erkenning van %(name)s voor crebo %(crebo)s is verlopen.")
                if expired
                else N_(
                    "De erkenning van %(name)s voor crebo %(crebo)s is binnen 60 dagen verlopen."
                )
            )
            found.append(Candidate("accreditation", f"accreditation:{company_id}:{qualification_id}:{'x' if expired else 's'}",
                                   Phrase(message, name=name, crebo=crebo), company_id=company_id))  # fmt: skip

    # Accreditations rejected (by SBB's register or another school's coordinator) at companies
    # where this school's students are placed or applied. Raised again after a new rejection.
    from stagematch.services.accreditations import rejected_for_school

    for a in rejected_for_school(school):
        when = f"{a.checked_at:%Y%m%d%H%M%S}" if a.checked_at else "-"
        found.append(Candidate("accreditation", f"rejected:{a.id}:{when}",
                               Phrase(N_("De erkenning van %(name)s voor crebo %(crebo)s is afgekeurd: %(note)s"),
                                      name=a.company.name, crebo=a.qualification.crebo, note=a.check_note),
                               company_id=a.company_id))  # fmt: skip

    # Meetings not held after their date, or a start meeting not planned by week 3.
    from stagematch.services import meetings

    for m in meetings.missed_for_school(school, on):
        name = m.student_name or "?"
        message = (
            Phrase(meetings.MISSED_TEXT[m.kind], name=name, date=m.planned_on)
            if m.planned_on is not None
            else Phrase(meetings.START_NOT_PLANNED_TEXT, name=name)
        )
        found.append(Candidate("meeting_missed",
                               f"meeting:{m.internship_id}:{m.kind}:{m.planned_on or 'unplanned'}",
                               message, m.internship_id, m.company_id))  # fmt: skip

    # Hours submitted and not approved a week after their Sunday (hours_overdue), past weeks of a
    # running, signed placement not logged at all (hours_missing).
    from stagematch.services import hours

    for kind, key, message, internship_id, company_id in hours.flag_candidates(school, on):
        found.append(Candidate(kind, key, message, internship_id, company_id))

    # A placement that starts within a week (or started) while its agreement is not signed by all:
    # it cannot start (issue 17), so the school hears of it in time.
    from stagematch.services import agreements

    for internship_id, company_id, name, start in agreements.unsigned_near_start(school, on):
        found.append(Candidate("agreement_unsigned", f"agreement:{internship_id}",
                               Phrase(N_("De praktijkovereenkomst van %(name)s is nog niet door iedereen getekend; de stage begint op %(date)s."),
                                      name=name or "?", date=start),
                               internship_id, company_id))  # fmt: skip

    # Discrimination reports not yet handled.
    for report_id, company_id, name in db.session.execute(
        select(
            DiscriminationReport.id,
            DiscriminationReport.company_id,
            User.name,
        )
        .outerjoin(StudentProfile, StudentProfile.id == DiscriminationReport.student_id)
        .outerjoin(User, User.id == StudentProfile.user_id)
        .where(
            DiscriminationReport.school_id == school.id, DiscriminationReport.handled_at.is_(None)
        )
    ):
        found.append(Candidate("discrimination", f"report:{report_id}",
                               Phrase(N_("%(name)s meldt mogelijke discriminatie."), name=name) if name
                               else Phrase(N_("Een student meldt mogelijke discriminatie.")),
                               company_id=company_id, report_id=report_id))  # fmt: skip
    return found


def refresh_flags(school: School) -> int:
    """Raise a flag for every new problem; returns how many were added. Problems already flagged
    (open or resolved) are not raised again, so a resolved flag stays resolved."""
    candidates = find_problems(school)
    known = set(
        db.session.execute(
            select(Flag.kind, Flag.subject_key).where(Flag.school_id == school.id)
        ).tuples()
    )
    added = []
    for c in candidates:
        if (c.kind, c.subject_key) in known:
            continue
        known.add((c.kind, c.subject_key))
        added.append(Flag(school_id=school.id, kind=c.kind, subject_key=c.subject_key, message=c.message[:300],
                          message_data=to_data(c.message),
                          internship_id=c.internship_id, company_id=c.company_id, mentor_id=c.mentor_id,
                          report_id=c.report_id))  # fmt: skip
    db.session.add_all(added)
    _link_reports(school)
    db.session.commit()
    _notify_raised(school, added)
    return len(added)


def refresh_all_schools() -> int:
    """`refresh_flags` for every school (the nightly job); returns how many flags were raised."""
    return sum(refresh_flags(school) for school in db.session.scalars(select(School)).all())


def _notify_raised(school: School, flags: list[Flag]) -> None:
    """Every coordinator of the school hears of a new flag (a report at once by default, the other
    signals in the daily overview), with a link to the flag."""
    from stagematch.services.notifications import flag_path, notify

    if not flags:
        return
    coordinators = db.session.scalars(
        select(User).where(User.school_id == school.id, User.role == "coordinator",
                           User.is_active_account.is_(True)).order_by(User.id)
    ).all()  # fmt: skip
    for flag in flags:
        message = flag.message_data or {"text": flag.message}
        report = report_of(flag) if flag.kind == "discrimination" else None
        for coordinator in coordinators:
            if report is not None:
                notify(coordinator, "report_raised", f"flag:{flag.id}", message, flag_path(flag),
                       template="discrimination_report", report=report, coordinator=coordinator,
                       subject=_l("melding van mogelijke discriminatie"))  # fmt: skip
            else:
                notify(coordinator, "flag_raised", f"flag:{flag.id}", message, flag_path(flag))


def _link_reports(school: School) -> None:
    """Flags raised before `Flag.report_id` existed name their report only in the subject key
    ("report:<id>"): link them, so a case finds its report either way."""
    for flag in db.session.scalars(
        select(Flag).where(
            Flag.school_id == school.id,
            Flag.kind == "discrimination",
            Flag.report_id.is_(None),
            Flag.subject_key.like("report:%"),
        )
    ).all():
        report = report_of(flag)
        if report is not None:
            flag.report_id = report.id


def report_of(flag: Flag) -> DiscriminationReport | None:
    """The discrimination report a flag is about: by `report_id`, or for older flags by the
    report id in the subject key (only a report of the flag's own school)."""
    if flag.report_id is not None:
        return db.session.get(DiscriminationReport, flag.report_id)
    if flag.kind != "discrimination" or not flag.subject_key.startswith("report:"):
        return None
    report_id = parse_int(flag.subject_key.removeprefix("report:"), lo=1, hi=MAX_ID)
    report = db.session.get(DiscriminationReport, report_id) if report_id else None
    return report if report is not None and report.school_id == flag.school_id else None


def resolve(flag: Flag, *, user: User, note: str) -> None:
    if flag.resolved_at is not None:
        raise DomainError(_("Deze melding is al afgehandeld."))
    if len(note.strip()) < 3:
        raise DomainError(_("Schrijf kort wat je gedaan hebt."), "note")
    # One conditional UPDATE decides between two coordinators closing the case at once: the
    # second finds it closed and is told so (the row lock makes it wait for the first).
    closed = db.session.execute(
        update(Flag)
        .where(Flag.id == flag.id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=user.id, resolution_note=note.strip())
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        db.session.rollback()
        raise DomainError(_("Deze melding is al afgehandeld."))
    db.session.refresh(flag, ["resolved_at", "resolved_by_id", "resolution_note"])
    report = report_of(flag)
    if report is not None and report.handled_at is None:
        report.handled_at = flag.resolved_at
        report.handled_note = flag.resolution_note
    # The case's history (services/cases.py) shows who resolved it, when and why.
    db.session.add(
        FlagAction(flag_id=flag.id, actor_id=user.id, kind="resolved", note=flag.resolution_note)
    )
    record("flag.resolve", flag, note=flag.resolution_note)
    db.session.commit()

"""A coordinator's case: one flag handled step by step. A case has an owner (a coordinator of the
flag's school), a priority and a history of actions (`FlagAction`); a discrimination report's case
also shows the report's text, the company, the student and the other reports about the company,
and lets the coordinator write to the student, who reads it next to the report on their
applications page.

Only coordinators of the flag's school and administrators may see or handle a case; for anyone
else it does not exist (`get_case` gives None, the page answers 404)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update

from stagematch.extensions import db
from stagematch.matching.text import N_, Phrase
from stagematch.models import (
    Application,
    Company,
    DiscriminationReport,
    Flag,
    FlagAction,
    Internship,
    StudentProfile,
    User,
)
from stagematch.models.enums import Role
from stagematch.services import DomainError, notifications
from stagematch.services import flags as flag_service
from stagematch.services.audit import record

PRIORITIES = {"high": _l("hoog"), "normal": _l("normaal"), "low": _l("laag")}
PRIORITY_ORDER = {"high": 0, "normal": 1, "low": 2}
ACTION_LABELS = {
    "note": _l("Notitie"),
    "owner": _l("Eigenaar"),
    "priority": _l("Prioriteit"),
    "message": _l("Bericht aan de student"),
    "resolved": _l("Afgehandeld"),
    "reopened": _l("Heropend"),
}
NOTE_MIN, NOTE_MAX = 3, 2000
NOTIFICATION_KIND = "case_answer"


# --- who may see a case --------------------------------------------------------------------------


def may_handle(user: User, flag: Flag) -> bool:
    """Coordinators of the flag's school and administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.COORDINATOR) and user.school_id == flag.school_id


def get_case(*, user: User, flag_id: int) -> Flag | None:
    """The flag, when `user` may handle it; otherwise None (as if there were none)."""
    flag = db.session.get(Flag, flag_id)
    return flag if flag is not None and may_handle(user, flag) else None


def school_coordinators(school_id: int) -> list[User]:
    """Who can own a case of the school: its active coordinators."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.school_id == school_id,
                User.role == Role.COORDINATOR,
                User.is_active_account.is_(True),
            )
            .order_by(User.name, User.id)
        )
    )


# --- the list of flags --------------------------------------------------------------------------


@dataclass
class FlagFilters:
    state: str = "open"  # "open", "afgehandeld" (resolved) or "alle"
    kind: str = ""
    owner: str = ""  # "", "mij" (the coordinator's own) or "niemand" (no owner)
    priority: str = ""


def flags_statement(school_id: int, filters: FlagFilters, *, user_id: int | None):
    """SQL: the school's flags that pass the filters; the most urgent first, then the newest."""
    stmt = select(Flag).where(Flag.school_id == school_id)
    if filters.state == "open":
        stmt = stmt.where(Flag.resolved_at.is_(None))
    elif filters.state == "afgehandeld":
        stmt = stmt.where(Flag.resolved_at.is_not(None))
    if filters.kind in flag_service.KIND_LABELS:
        stmt = stmt.where(Flag.kind == filters.kind)
    if filters.owner == "mij":
        stmt = stmt.where(Flag.owner_id == user_id)
    elif filters.owner == "niemand":
        stmt = stmt.where(Flag.owner_id.is_(None))
    if filters.priority in PRIORITIES:
        stmt = stmt.where(Flag.priority == filters.priority)
    urgency = case(*((Flag.priority == key, rank) for key, rank in PRIORITY_ORDER.items()), else_=1)
    return stmt.order_by(urgency, Flag.raised_at.desc(), Flag.id.desc())


def owner_names(flags: list[Flag]) -> dict[int, str]:
    """The owners' names of `flags`, by user id."""
    ids = {f.owner_id for f in flags if f.owner_id}
    if not ids:
        return {}
    return dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples().all()
    )


# --- what the case page shows ----------------------------------------------------------------------


@dataclass
class OtherReport:
    report: DiscriminationReport
    flag_id: int | None  # its case, when one was raised


@dataclass
class Case:
    flag: Flag
    report: DiscriminationReport | None
    application: Application | None
    internship: Internship | None
    student: StudentProfile | None
    company: Company | None
    owner: User | None
    resolved_by: User | None
    actions: list[FlagAction]
    other_reports: list[OtherReport] = field(default_factory=list)
    reports_elsewhere: int = 0  # reports about the company at other schools (a number only)
    coordinators: list[User] = field(default_factory=list)

    @property
    def can_message_student(self) -> bool:
        """Only the student who raised the case (a report) hears back, while they have an account."""
        return self.report is not None and self.student is not None

    @property
    def priority_label(self) -> str:
        return str(PRIORITIES.get(self.flag.priority, self.flag.priority))


def case_view(flag: Flag) -> Case:
    report = flag_service.report_of(flag)
    internship = db.session.get(Internship, flag.internship_id) if flag.internship_id else None
    application = (
        db.session.get(Application, report.application_id)
        if report and report.application_id
        else None
    )
    student = None
    if report is not None and report.student_id:
        student = db.session.get(StudentProfile, report.student_id)
    elif internship is not None:
        student = internship.student
    company_id = flag.company_id or (report.company_id if report else None)
    if company_id is None and internship is not None:
        company_id = internship.placement.company_id
    company = db.session.get(Company, company_id) if company_id else None
    actions = list(
        db.session.scalars(
            select(FlagAction)
            .where(FlagAction.flag_id == flag.id)
            .order_by(FlagAction.created_at, FlagAction.id)
        )
    )
    case = Case(
        flag=flag, report=report, application=application, internship=internship, student=student,
        company=company, owner=db.session.get(User, flag.owner_id) if flag.owner_id else None,
        resolved_by=db.session.get(User, flag.resolved_by_id) if flag.resolved_by_id else None,
        actions=actions, coordinators=school_coordinators(flag.school_id),
    )  # fmt: skip
    if company is not None:
        case.other_reports, case.reports_elsewhere = _other_reports(flag, report, company.id)
    return case


def _other_reports(flag: Flag, report: DiscriminationReport | None, company_id: int):
    """The school's other reports about the company (newest first, each with its case) and how
    many reports other schools have about it."""
    stmt = (
        select(DiscriminationReport)
        .where(
            DiscriminationReport.company_id == company_id,
            DiscriminationReport.school_id == flag.school_id,
        )
        .order_by(DiscriminationReport.created_at.desc(), DiscriminationReport.id.desc())
    )
    if report is not None:
        stmt = stmt.where(DiscriminationReport.id != report.id)
    reports = list(db.session.scalars(stmt.limit(50)))
    cases: dict[int, int] = {}
    if reports:
        ids = [r.id for r in reports]
        keys = [f"report:{i}" for i in ids]
        for flag_id, report_id, key in db.session.execute(
            select(Flag.id, Flag.report_id, Flag.subject_key).where(
                Flag.school_id == flag.school_id,
                Flag.kind == "discrimination",
                or_(Flag.report_id.in_(ids), Flag.subject_key.in_(keys)),
            )
        ):
            rid = report_id or int(key.removeprefix("report:"))
            cases.setdefault(rid, flag_id)
    elsewhere = db.session.scalar(
        select(func.count(DiscriminationReport.id)).where(
            DiscriminationReport.company_id == company_id,
            DiscriminationReport.school_id != flag.school_id,
        )
    )
    return [OtherReport(r, cases.get(r.id)) for r in reports], elsewhere or 0


def student_reports(profile_id: int) -> list[DiscriminationReport]:
    """The reports a student made (for the coordinator's page about the student)."""
    return list(
        db.session.scalars(
            select(DiscriminationReport)
            .where(DiscriminationReport.student_id == profile_id)
            .order_by(DiscriminationReport.created_at.desc())
        )
    )


def flags_for_reports(reports: list[DiscriminationReport]) -> dict[int, Flag]:
    """Each report's case (flag), by report id; reports without one are left out."""
    if not reports:
        return {}
    ids = [r.id for r in reports]
    by_id = {r.id: r for r in reports}
    found: dict[int, Flag] = {}
    for flag in db.session.scalars(
        select(Flag)
        .where(
            Flag.kind == "discrimination",
            or_(Flag.report_id.in_(ids), Flag.subject_key.in_([f"report:{i}" for i in ids])),
        )
        .order_by(Flag.id)
    ):
        report_id = flag.report_id or int(flag.subject_key.removeprefix("report:"))
        report = by_id.get(report_id)
        if report is not None and report.school_id == flag.school_id:
            found.setdefault(report_id, flag)
    return found


# --- what the student sees -------------------------------------------------------------------------


@dataclass
class Answer:
    """A student's report with what the coordinator wrote back to them."""

    report: DiscriminationReport
    handled: bool
    messages: list[FlagAction]


def answers_for_student(profile_id: int) -> dict[int, list[Answer]]:
    """By application id: the student's reports about that application, each with the messages
    the coordinator sent the student (oldest first) and whether the case is closed."""
    reports = student_reports(profile_id)
    flags = flags_for_reports(reports)
    messages: dict[int, list[FlagAction]] = {}
    if flags:
        for action in db.session.scalars(
            select(FlagAction)
            .where(
                FlagAction.flag_id.in_([f.id for f in flags.values()]),
                FlagAction.to_student.is_(True),
            )
            .order_by(FlagAction.created_at, FlagAction.id)
        ):
            messages.setdefault(action.flag_id, []).append(action)
    result: dict[int, list[Answer]] = {}
    for report in reversed(reports):  # oldest report first under its application
        if report.application_id is None:
            continue
        flag = flags.get(report.id)
        handled = (flag.resolved_at is not None) if flag else report.handled_at is not None
        result.setdefault(report.application_id, []).append(
            Answer(report, handled, messages.get(flag.id, []) if flag else [])
        )
    return result


# --- handling a case (every step in the history and the audit log) ----------------------------------


def _clean_note(note: str | None, *, required: bool = True, message: str | None = None) -> str:
    text = (note or "").strip()
    if required and len(text) < NOTE_MIN:
        raise DomainError(message or _("Schrijf minstens 3 tekens."), "note")
    if len(text) > NOTE_MAX:
        raise DomainError(_("Schrijf hoogstens 2000 tekens."), "note")
    return text


def _act(
    flag: Flag, by: User, kind: str, note: str = "", *, to_student: bool = False
) -> FlagAction:
    action = FlagAction(
        flag_id=flag.id, actor_id=by.id, kind=kind, note=note, to_student=to_student
    )
    db.session.add(action)
    db.session.flush()
    return action


def add_note(flag: Flag, *, by: User, note: str) -> FlagAction:
    text = _clean_note(note, message=_("Schrijf een notitie van minstens 3 tekens."))
    action = _act(flag, by, "note", text)
    record("flag.note", flag, actor=by, step=action.id)
    db.session.commit()
    return action


def set_owner(flag: Flag, *, by: User, owner_id: int | None) -> FlagAction:
    """Give the case to a coordinator of its school (or to nobody)."""
    owner = None
    if owner_id is not None:
        owner = db.session.get(User, owner_id)
        if (
            owner is None
            or not owner.has_role(Role.COORDINATOR)
            or owner.school_id != flag.school_id
            or not owner.is_active_account
        ):
            raise DomainError(_("Kies een coördinator van deze school."), "owner")
    if flag.owner_id == owner_id:
        raise DomainError(
            _("%(name)s is al eigenaar.", name=owner.name)
            if owner
            else _("Er is al geen eigenaar."),
            "owner",
        )
    flag.owner_id = owner_id
    action = _act(flag, by, "owner", owner.name if owner else "")
    record("flag.owner", flag, actor=by, owner=owner_id)
    db.session.commit()
    return action


def take_over(flag: Flag, *, by: User) -> FlagAction:
    """'Neem over': the coordinator becomes the owner."""
    return set_owner(flag, by=by, owner_id=by.id)


def set_priority(flag: Flag, *, by: User, priority: str) -> FlagAction:
    if priority not in PRIORITIES:
        raise DomainError(_("Kies laag, normaal of hoog."), "priority")
    if flag.priority == priority:
        raise DomainError(
            _("De prioriteit is al %(priority)s.", priority=PRIORITIES[priority]), "priority"
        )
    flag.priority = priority
    action = _act(flag, by, "priority", priority)
    record("flag.priority", flag, actor=by, priority=priority)
    db.session.commit()
    return action


def message_student(flag: Flag, *, by: User, text: str) -> FlagAction:
    """Write to the student who made the report; they read it on their applications page and are
    told about it (`notifications.notify`, kind 'case_answer')."""
    case = case_view(flag)
    if not case.can_message_student:
        raise DomainError(_("Bij dit signaal hoort geen student die je een bericht kunt sturen."))
    note = _clean_note(text, message=_("Schrijf een bericht van minstens 3 tekens."))
    action = _act(flag, by, "message", note, to_student=True)
    record("flag.message", flag, actor=by, step=action.id, student=case.student.id)
    db.session.commit()
    _tell_student(case, action)
    return action


def _tell_student(case: Case, action: FlagAction) -> None:
    """The student's notification (a mail, the digest or only the site, as they chose), sent
    after the message is stored, once per message."""
    message = Phrase(
        N_("Je stagecoördinator heeft gereageerd op je melding over %(company)s."),
        company=case.company.name if case.company else "",
    )
    anchor = f"sollicitatie-{case.report.application_id}" if case.report.application_id else None
    url = notifications.site_path("students.applications", _anchor=anchor)
    notifications.notify(
        case.student.user, NOTIFICATION_KIND, f"flagaction:{action.id}", message, url
    )


def resolve(flag: Flag, *, by: User, note: str) -> None:
    """Close the case with what was done (also marks its report handled)."""
    _clean_note(note, message=_("Schrijf kort wat je gedaan hebt."))
    flag_service.resolve(flag, user=by, note=note)


def reopen(flag: Flag, *, by: User, note: str = "") -> FlagAction:
    """Open a closed case again (its report counts as not handled again)."""
    text = _clean_note(note, required=False)
    # Conditional, like closing: of two coordinators reopening at once, one does it.
    reopened = db.session.execute(
        update(Flag)
        .where(Flag.id == flag.id, Flag.resolved_at.is_not(None))
        .values(resolved_at=None, resolved_by_id=None)
        .execution_options(synchronize_session=False)
    )
    if reopened.rowcount != 1:
        db.session.rollback()
        raise DomainError(_("Dit signaal is nog open."))
    db.session.refresh(flag, ["resolved_at", "resolved_by_id"])
    report = flag_service.report_of(flag)
    if report is not None:
        report.handled_at = None
    action = _act(flag, by, "reopened", text)
    record("flag.reopen", flag, actor=by, note=text)
    db.session.commit()
    return action

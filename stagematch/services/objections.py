"""Objections to a suggestion (issue 19 item 3; EU AI Act art. 14 and 86): a student objects to a
place suggested to them, or a company to a student suggested for its place. The objection keeps
the explanation as the objector saw it and lands with a named coordinator of the student's
school, who answers; the objector reads the answer on their own page and in a notification.
`counts` gives the figures of the oversight report.

Who gets it: the school's active coordinator with the fewest open objections (ties: the lowest
id); a school without an active coordinator sends it to an active administrator (the lowest id),
so that it always has a named person.

Who may see it: coordinators of the objection's school and administrators handle it; the objector
sees their own. For anyone else it does not exist (None, the page answers 404)."""

from __future__ import annotations

import statistics
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update

from stagematch.extensions import db
from stagematch.matching.text import N_, Phrase
from stagematch.models import Objection, Placement, StudentProfile, User
from stagematch.models.enums import Role
from stagematch.services import DomainError, notifications
from stagematch.services.audit import record
from stagematch.timeutil import utcnow

TEXT_MIN, TEXT_MAX = 10, 2000
ANSWER_MIN, ANSWER_MAX = 3, 2000
ROLES = ("student", "company")


def _checked(text: str | None, lo: int, hi: int, field: str) -> str:
    text = (text or "").strip()
    if not lo <= len(text) <= hi:
        raise DomainError(
            _("Schrijf tussen %(lo)s en %(hi)s tekens (nu %(n)s).", lo=lo, hi=hi, n=len(text)),
            field,
        )
    return text


# --- who handles it ---------------------------------------------------------------------------------


def _open_counts():
    return (
        select(Objection.assigned_to_id, func.count(Objection.id).label("n"))
        .where(Objection.answered_at.is_(None))
        .group_by(Objection.assigned_to_id)
        .subquery()
    )


def assignee(school_id: int) -> User | None:
    """The school's active coordinator with the fewest open objections (ties by id); without
    one, an active administrator; None when there is nobody at all."""
    load = _open_counts()
    coordinator = db.session.scalar(
        select(User)
        .outerjoin(load, load.c.assigned_to_id == User.id)
        .where(User.school_id == school_id, User.role == Role.COORDINATOR,
               User.is_active_account.is_(True))
        .order_by(func.coalesce(load.c.n, 0), User.id)
        .limit(1)
    )  # fmt: skip
    if coordinator is not None:
        return coordinator
    return db.session.scalar(
        select(User)
        .where(User.role == Role.ADMIN, User.is_active_account.is_(True))
        .order_by(User.id)
        .limit(1)
    )


def may_handle(user: User, objection: Objection) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.COORDINATOR) and user.school_id == objection.school_id


def get_for_handler(*, user: User, objection_id: int) -> Objection | None:
    objection = db.session.get(Objection, objection_id)
    return objection if objection is not None and may_handle(user, objection) else None


# --- raising and answering ------------------------------------------------------------------------


def raise_objection(*, user: User, role: str, profile: StudentProfile, placement: Placement,
                    explanation: dict, text: str) -> Objection:  # fmt: skip
    """Store an objection by `user` (`role` 'student' or 'company') to `placement` suggested
    for `profile` (or `profile` suggested for `placement`), with the explanation as shown;
    assign it and tell the assignee. DomainError (field 'text') for a text of the wrong length."""
    if role not in ROLES:
        raise ValueError(f"unknown objection role {role!r}")
    text = _checked(text, TEXT_MIN, TEXT_MAX, "text")
    same = db.session.scalar(
        select(Objection).where(
            Objection.raised_by_id == user.id, Objection.placement_id == placement.id,
            Objection.student_id == profile.id, Objection.answered_at.is_(None),
            Objection.text == text,
        )
    )  # fmt: skip
    if same is not None:  # the form sent twice (a double click, a reload): one objection
        return same
    handler = assignee(profile.school_id)
    objection = Objection(
        school_id=profile.school_id, raised_by_id=user.id, role=role, student_id=profile.id,
        placement_id=placement.id, model_version_id=explanation.get("model_version_id"),
        explanation=explanation, text=text, assigned_to_id=handler.id if handler else None,
    )  # fmt: skip
    db.session.add(objection)
    db.session.flush()
    record("objection.raise", objection, actor=user, role=role, placement=placement.id)
    db.session.commit()
    notify_raised(objection)
    return objection


def notify_raised(objection: Objection) -> None:
    title = (objection.explanation or {}).get("title", "")
    notifications.notify(
        objection.assigned_to, "objection_raised", f"objection:{objection.id}",
        Phrase(N_("Nieuw bezwaar tegen een voorstel van StageMatch: %(title)s"), title=title),
        notifications.site_path("coordinators.objection", objection_id=objection.id),
    )  # fmt: skip


def own_path(objection: Objection) -> str:
    """The objector's own page of objections, at this one."""
    endpoint = "companies.objections" if objection.role == "company" else "students.objections"
    return notifications.site_path(endpoint, _anchor=f"bezwaar-{objection.id}")


def answer(*, objection: Objection, user: User, text: str) -> Objection:
    """The handler's answer (once: a second answer, also one posted at the same moment, is
    refused); tells the objector."""
    text = _checked(text, ANSWER_MIN, ANSWER_MAX, "answer")
    now = utcnow()
    done = db.session.execute(
        update(Objection)
        .where(Objection.id == objection.id, Objection.answered_at.is_(None))
        .values(answer=text, answered_at=now, answered_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.rollback()
        raise DomainError(_("Dit bezwaar is al beantwoord."), "answer")
    record("objection.answer", objection, actor=user)
    db.session.commit()
    db.session.refresh(objection)
    notify_answered(objection)
    return objection


def notify_answered(objection: Objection) -> None:
    title = (objection.explanation or {}).get("title", "")
    notifications.notify(
        objection.raised_by, "objection_answered", f"objection:{objection.id}",
        Phrase(N_("Antwoord op je bezwaar over %(title)s: %(answer)s"), title=title,
               answer=objection.answer),
        own_path(objection),
    )  # fmt: skip


# --- lists ------------------------------------------------------------------------------------------


def handler_statement(school_id: int | None):
    """The objections of a school (None: all, for an administrator): open first, then the newest."""
    stmt = select(Objection)
    if school_id is not None:
        stmt = stmt.where(Objection.school_id == school_id)
    still_open = case((Objection.answered_at.is_(None), 0), else_=1)
    return stmt.order_by(still_open, Objection.created_at.desc(), Objection.id.desc())


def own_statement(user: User):
    """The objections `user` raised, the newest first."""
    return (
        select(Objection)
        .where(Objection.raised_by_id == user.id)
        .order_by(Objection.created_at.desc(), Objection.id.desc())
    )


# --- the oversight report ---------------------------------------------------------------------------


def _summary(rows: list[tuple[datetime, datetime | None]]) -> dict:
    days = [(answered - created).total_seconds() / 86400 for created, answered in rows if answered]
    return {
        "raised": len(rows),
        "answered": len(days),
        "open": len(rows) - len(days),
        "median_days": round(statistics.median(days), 1) if days else None,
    }


def counts(school=None, since: datetime | None = None) -> dict:
    """Objections raised (since `since`, at `school` or everywhere), answered and open, and the
    median days to an answer; the same per role ('student', 'company') under `per_role`."""
    stmt = select(Objection.role, Objection.created_at, Objection.answered_at)
    if school is not None:
        stmt = stmt.where(Objection.school_id == getattr(school, "id", school))
    if since is not None:
        stmt = stmt.where(Objection.created_at >= since)
    rows = db.session.execute(stmt).all()
    result = _summary([(r.created_at, r.answered_at) for r in rows])
    result["per_role"] = {
        role: _summary([(r.created_at, r.answered_at) for r in rows if r.role == role])
        for role in ROLES
    }
    return result

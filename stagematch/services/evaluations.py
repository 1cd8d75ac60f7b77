"""Filling in evaluations (student about the supervision, meester about the learner) and the
reminders when they are due. An evaluation opens two weeks before its due date."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from stagematch import mailer
from stagematch.extensions import db
from stagematch.models import Evaluation, Internship, Placement, StudentProfile, User
from stagematch.models.enums import EvaluationAuthor, InternshipStatus, Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import today, utcnow
from stagematch.urls import external_url

OPENS_DAYS_BEFORE = 14
REMIND_EVERY_DAYS = 7


def open_clause():
    return (
        Evaluation.submitted_at.is_(None),
        Evaluation.due_date <= today() + timedelta(days=OPENS_DAYS_BEFORE),
    )


def due_for_student(profile: StudentProfile) -> list[Evaluation]:
    return list(
        db.session.scalars(
            select(Evaluation)
            .join(Internship)
            .where(
                Internship.student_id == profile.id,
                Evaluation.author_role == EvaluationAuthor.STUDENT,
                Internship.status == InternshipStatus.ACTIVE,
                *open_clause(),
            )  # fmt: skip
            .order_by(Evaluation.due_date)
        )
    )


def due_for_company(company_id: int) -> list[Evaluation]:
    return list(
        db.session.scalars(
            select(Evaluation)
            .join(Internship)
            .join(Placement, Placement.id == Internship.placement_id)
            .where(
                Placement.company_id == company_id,
                Evaluation.author_role == EvaluationAuthor.MEESTER,
                Internship.status == InternshipStatus.ACTIVE,
                *open_clause(),
            )  # fmt: skip
            .order_by(Evaluation.due_date)
        )
    )


def _check_open(evaluation: Evaluation) -> None:
    if evaluation.submitted_at is not None:
        raise DomainError(_("Deze evaluatie is al ingevuld."))
    if evaluation.due_date > today() + timedelta(days=OPENS_DAYS_BEFORE):
        opens = evaluation.due_date - timedelta(days=OPENS_DAYS_BEFORE)
        raise DomainError(_("Deze evaluatie kan vanaf %(date)s.", date=opens.strftime("%d-%m-%Y")))


def submit_student(evaluation: Evaluation, *, supervision_time: int, feedback: int, learning_tasks: int,
                   safety: int, overall: int, mostly_routine: bool, comment: str) -> None:  # fmt: skip
    _check_open(evaluation)
    for value in (supervision_time, feedback, learning_tasks, safety, overall):
        if value not in range(1, 6):
            raise DomainError(_("Kies bij elke vraag een cijfer van 1 tot 5."))
    evaluation.supervision_time, evaluation.feedback, evaluation.learning_tasks = (
        supervision_time,
        feedback,
        learning_tasks,
    )
    evaluation.safety, evaluation.overall, evaluation.mostly_routine = (
        safety,
        overall,
        mostly_routine,
    )
    evaluation.comment = comment.strip()
    evaluation.submitted_at = utcnow()
    record("evaluation.submit", evaluation, author="student")
    db.session.commit()
    _log_evaluation(evaluation, overall=overall, supervision_time=supervision_time)


def submit_meester(evaluation: Evaluation, *, progress: int, attitude: int, comment: str) -> None:
    _check_open(evaluation)
    if progress not in range(1, 6) or attitude not in range(1, 6):
        raise DomainError(_("Kies bij elke vraag een cijfer van 1 tot 5."))
    evaluation.progress, evaluation.attitude, evaluation.comment = (
        progress,
        attitude,
        comment.strip(),
    )
    evaluation.submitted_at = utcnow()
    record("evaluation.submit", evaluation, author="meester")
    db.session.commit()
    _log_evaluation(evaluation, progress=progress)


def _log_evaluation(evaluation: Evaluation, **scores: int) -> None:
    """An evaluation is a signal for the ranking's memory (the interaction log)."""
    from stagematch.services.interactions import log_event

    internship = evaluation.internship
    log_event("evaluate", student_id=internship.student_id, place_id=internship.placement_id,
              payload={"author": evaluation.author_role, "moment": evaluation.moment, **scores})  # fmt: skip


def send_reminders() -> int:
    """Mail whoever has an open evaluation (within 7 days of the due date, or overdue), at most once a
    week per evaluation. Needs a request context for the links. Returns the number of mails."""
    now = utcnow()
    evaluations = db.session.scalars(
        select(Evaluation)
        .join(Internship)
        .where(
            Internship.status == InternshipStatus.ACTIVE,
            Evaluation.submitted_at.is_(None),
            Evaluation.due_date <= today() + timedelta(days=7),
            or_(
                Evaluation.reminded_at.is_(None),
                Evaluation.reminded_at < now - timedelta(days=REMIND_EVERY_DAYS),
            ),
        )  # fmt: skip
    ).all()
    sent = 0
    for evaluation in evaluations:
        internship = evaluation.internship
        if evaluation.author_role == EvaluationAuthor.STUDENT:
            if internship.student is None:
                continue
            recipients = [internship.student.user.email]
            link = external_url("students.evaluation", evaluation_id=evaluation.id)
        else:
            recipients = list(db.session.scalars(
                select(User.email).where(User.company_id == internship.placement.company_id, User.role == Role.COMPANY,
                                         User.is_active_account.is_(True))
            ))  # fmt: skip
            if internship.meester.email:
                recipients.append(internship.meester.email)
            link = external_url("companies.evaluation", evaluation_id=evaluation.id)
        if mailer.send(
            recipients,
            _l("evaluatie invullen"),
            "evaluation_reminder",
            evaluation=evaluation,
            link=link,
        ):
            evaluation.reminded_at = now
            sent += 1
    db.session.commit()
    return sent

"""Filling in evaluations (student about the supervision, meester about the learner) and the
reminders when they are due. An evaluation opens two weeks before its due date."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from stagematch import mailer
from stagematch.extensions import db
from stagematch.matching.text import N_, Phrase
from stagematch.models import Evaluation, Internship, Mentor, Placement, StudentProfile, User
from stagematch.models.enums import EvaluationAuthor, InternshipStatus
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.templating import format_date
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
    """The meester's open evaluations of the firm: at its own places, and at a network partner's
    place that its meester or gezel supervises (`internships.company_ids_of`)."""
    own_mentors = select(Mentor.id).where(Mentor.company_id == company_id)
    return list(
        db.session.scalars(
            select(Evaluation)
            .join(Internship)
            .join(Placement, Placement.id == Internship.placement_id)
            .where(
                (Placement.company_id == company_id)
                | Internship.meester_id.in_(own_mentors)
                | Internship.gezel_id.in_(own_mentors),
                Evaluation.author_role == EvaluationAuthor.MEESTER,
                Internship.status == InternshipStatus.ACTIVE,
                *open_clause(),
            )  # fmt: skip
            .order_by(Evaluation.due_date)
        )
    )


def may_fill_in(user: User, evaluation: Evaluation) -> bool:
    """Whether a company account fills in this evaluation: the meester's, for an account of one of
    the placement's firms (the place's, or the meester's own in a network: `company_ids_of`)."""
    from stagematch.services.internships import company_ids_of

    return (
        evaluation.author_role == EvaluationAuthor.MEESTER
        and user.company_id is not None
        and user.company_id in company_ids_of(evaluation.internship)
    )


def _check_open(evaluation: Evaluation) -> None:
    if evaluation.submitted_at is not None:
        raise DomainError(_("Deze evaluatie is al ingevuld."))
    if evaluation.due_date > today() + timedelta(days=OPENS_DAYS_BEFORE):
        opens = evaluation.due_date - timedelta(days=OPENS_DAYS_BEFORE)
        raise DomainError(_("Deze evaluatie kan vanaf %(date)s.", date=format_date(opens)))


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


REMINDER_MESSAGES = {
    ("student", "midterm"): N_("Vul de tussenevaluatie van je stage bij %(company)s in, uiterlijk %(date)s."),
    ("student", "final"): N_("Vul de eindevaluatie van je stage bij %(company)s in, uiterlijk %(date)s."),
    ("meester", "midterm"): N_("Vul als meester de tussenevaluatie van %(student)s in, uiterlijk %(date)s."),
    ("meester", "final"): N_("Vul als meester de eindevaluatie van %(student)s in, uiterlijk %(date)s."),
}  # fmt: skip


def _remind(evaluation: Evaluation, *, key: str) -> bool:
    """Tell whoever fills in `evaluation`: the student, or the company side's users (the place's
    firm and the meester's own: `internships.company_accounts`) and the meester (who may have no
    account: a mail of its own then). Whether anyone was told."""
    from stagematch.services.internships import company_accounts
    from stagematch.services.notifications import format_date_for, notify, site_path

    internship = evaluation.internship
    by_student = evaluation.author_role == EvaluationAuthor.STUDENT
    if by_student:
        if internship.student is None:
            return False
        users = [internship.student.user]
        url = site_path("students.evaluation", evaluation_id=evaluation.id)
    else:
        users = company_accounts(internship)
        url = site_path("companies.evaluation", evaluation_id=evaluation.id)
    student_name = internship.student.user.name if internship.student is not None else ""
    told = False
    for user in users:
        message = Phrase(REMINDER_MESSAGES[(evaluation.author_role, evaluation.moment)],
                         company=internship.placement.company.name, student=student_name,
                         date=format_date_for(user, evaluation.due_date))  # fmt: skip
        told |= notify(user, "evaluation_due", key, message, url, template="evaluation_reminder",
                       subject=_l("evaluatie invullen"), evaluation=evaluation) is not None  # fmt: skip
    meester = internship.meester.email if not by_student else None
    if meester and meester not in {u.email for u in users}:
        told |= mailer.send(meester, _l("evaluatie invullen"), "evaluation_reminder",
                            evaluation=evaluation, link=external_url("companies.evaluation",
                                                                     evaluation_id=evaluation.id))  # fmt: skip
    return told


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
        if _remind(evaluation, key=f"evaluation:{evaluation.id}:{today().isoformat()}"):
            evaluation.reminded_at = now
            sent += 1
    db.session.commit()
    return sent

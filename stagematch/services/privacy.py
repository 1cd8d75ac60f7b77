"""AVG (GDPR): a student's data export, account deletion by anonymisation, and the retention job.

Deleting erases what identifies the student (name, e-mail, student number, home town, birth date,
free texts, CV) but keeps the rows that other people's records and the statistics rely on:
applications, internships and evaluations stay, anonymised, so a meester's averages and a
company's completion rate remain correct."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from stagematch.extensions import db
from stagematch.models import (
    Application,
    AuditEvent,
    DiscriminationReport,
    Evaluation,
    Flag,
    FlagAction,
    Internship,
    MailLog,
    Notification,
    SavedPlace,
    SavedSearch,
    StudentProfile,
    User,
)
from stagematch.models.enums import EvaluationAuthor, Role
from stagematch.services.audit import record
from stagematch.services.capacity import students_with_running_internship
from stagematch.services.students import cv_folder
from stagematch.timeutil import utcnow

DELETED_NAME = "Verwijderd account"


def _iso(value):
    return value.isoformat() if value is not None else None


def export_data(user: User) -> bytes:
    """A zip with data.json (everything stored about the student) and the CV if there is one."""
    profile = user.profile
    data: dict = {
        "account": {
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "school": user.school.name if user.school else None,
        },  # fmt: skip
    }
    if profile is not None:
        data["profile"] = {
            "student_number": profile.student_number, "qualification": profile.qualification.label,
            "level": profile.level, "leerweg": profile.leerweg, "city": profile.city,
            "max_travel_km": profile.max_travel_km, "available_from": _iso(profile.available_from),
            "planned_start": _iso(profile.planned_start), "birth_date": _iso(profile.birth_date),
            "skills": profile.skills, "interests": profile.interests, "languages": profile.languages,
            "bbl_days": profile.bbl_days, "motivation": profile.motivation,
            "accessibility_needs": profile.accessibility_needs, "discoverable": profile.discoverable,
            "cv_uploaded_at": _iso(profile.cv_uploaded_at),
        }  # fmt: skip
        data["applications"] = [
            {
                "place": a.placement.title,
                "company": a.placement.company.name,
                "status": a.status,
                "anonymous": a.anonymous,
                "motivation": a.motivation,
                "created_at": _iso(a.created_at),
                "rejection_reason": a.rejection_reason,
                "rejection_note": a.rejection_note,
            }  # fmt: skip
            for a in db.session.scalars(
                select(Application).where(Application.student_id == profile.id)
            )
        ]
        internships = db.session.scalars(
            select(Internship).where(Internship.student_id == profile.id)
        ).all()
        data["internships"] = [
            {
                "place": i.placement.title,
                "company": i.placement.company.name,
                "meester": i.meester.name,
                "start_date": _iso(i.start_date),
                "end_date": _iso(i.end_date),
                "status": i.status,
                "outcome": i.outcome,
                "evaluations": [
                    {
                        "by": e.author_role,
                        "moment": e.moment,
                        "due_date": _iso(e.due_date),
                        "submitted_at": _iso(e.submitted_at),
                        "supervision_time": e.supervision_time,
                        "feedback": e.feedback,
                        "learning_tasks": e.learning_tasks,
                        "safety": e.safety,
                        "overall": e.overall,
                        "mostly_routine": e.mostly_routine,
                        "progress": e.progress,
                        "attitude": e.attitude,
                        "comment": e.comment,
                    }
                    for e in i.evaluations
                ],
            }  # fmt: skip
            for i in internships
        ]
        data["discrimination_reports"] = [
            {
                "company": r.company.name,
                "description": r.description,
                "created_at": _iso(r.created_at),
                "answers": _answers_to(r),
            }
            for r in db.session.scalars(
                select(DiscriminationReport).where(DiscriminationReport.student_id == profile.id)
            )
        ]
        from stagematch.models import Objection

        data["objections"] = [
            {"place": (o.explanation or {}).get("title"), "text": o.text, "created_at": _iso(o.created_at),
             "answer": o.answer, "answered_at": _iso(o.answered_at)}
            for o in db.session.scalars(
                select(Objection).where(Objection.student_id == profile.id, Objection.role == "student")
                .order_by(Objection.created_at)
            )
        ]  # fmt: skip
        data["favourites"] = [
            {"place": saved.placement.title, "company": saved.placement.company.name,
             "saved_at": _iso(saved.created_at)}
            for saved in db.session.scalars(
                select(SavedPlace).where(SavedPlace.student_id == profile.id)
                .order_by(SavedPlace.created_at)
            )
        ]  # fmt: skip
    data["notifications"] = [
        {"kind": n.kind, "text": n.text, "link": n.url, "created_at": _iso(n.created_at),
         "read_at": _iso(n.read_at), "mailed_at": _iso(n.mailed_at)}
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at)
        )
    ]  # fmt: skip
    data["saved_searches"] = [
        {"name": s.name, "query": s.query_string, "alert": s.alert}
        for s in db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == user.id))
    ]
    data["who_looked"] = [
        {"at": _iso(e.at), "who": e.actor_label, "what": e.action}
        for e in db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "studentprofile",
                AuditEvent.object_id == (profile.id if profile else -1),
            )  # fmt: skip
            .order_by(AuditEvent.at)
        )
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        if profile is not None and profile.cv_filename:
            path = cv_folder() / profile.cv_filename
            if path.is_file():
                archive.write(path, "cv.pdf")
    record("student.export", user, actor=user)
    db.session.commit()
    return buffer.getvalue()


def _answers_to(report: DiscriminationReport) -> list[dict]:
    """What the school wrote back to the student about their report (the case's messages)."""
    return [
        {"text": action.note, "at": _iso(action.created_at)}
        for action in db.session.scalars(
            select(FlagAction)
            .join(Flag, Flag.id == FlagAction.flag_id)
            .where(Flag.report_id == report.id, FlagAction.to_student.is_(True))
            .order_by(FlagAction.created_at, FlagAction.id)
        )
    ]


def anonymise_student(user: User, *, reason: str, actor: User | None = None) -> None:
    """Erase the student's personal data; keep anonymised rows that others' records rely on."""
    if user.role != Role.STUDENT:
        raise ValueError("only student accounts are anonymised here")
    profile = user.profile
    cv = profile.cv_filename if profile else None
    label = f"student:{user.id}"
    if profile is not None:
        for field in ("student_number", "city", "lat", "lon", "birth_date", "available_from", "planned_start",
                      "cv_filename", "cv_uploaded_at", "photo_filename", "bbl_days"):  # fmt: skip
            setattr(profile, field, None)
        profile.skills = profile.interests = profile.motivation = profile.accessibility_needs = ""
        profile.languages = ""
        profile.discoverable = False
        db.session.execute(
            update(Application)
            .where(Application.student_id == profile.id)
            .values(motivation="", rejection_note="")
        )
        db.session.execute(
            update(Evaluation)
            .where(
                Evaluation.internship_id.in_(
                    select(Internship.id).where(Internship.student_id == profile.id)
                )
            )
            .where(Evaluation.author_role == EvaluationAuthor.STUDENT)
            .values(comment="")
        )
        db.session.execute(
            update(DiscriminationReport)
            .where(DiscriminationReport.student_id == profile.id)
            .values(student_id=None)
        )
        from stagematch.models import Objection

        # Objections stay counted (oversight report); the student's words and what they saw go.
        db.session.execute(
            update(Objection)
            .where(Objection.student_id == profile.id, Objection.role == "student")
            .values(text="", explanation=None)
        )
        db.session.execute(delete(SavedPlace).where(SavedPlace.student_id == profile.id))
    for saved in db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == user.id)):
        db.session.delete(saved)
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    # The mail log keeps that a mail went out, not to which address.
    db.session.execute(
        update(MailLog)
        .where(MailLog.recipients.contains(user.email, autoescape=True))
        .values(recipients=func.replace(MailLog.recipients, user.email, label))
    )
    user.name = DELETED_NAME
    user.email = f"verwijderd-{user.id}-{secrets.token_hex(4)}@stagematch.invalid"
    user.password_hash = "!" + secrets.token_hex(32)  # no password matches
    user.is_active_account = False
    record("student.delete", user, actor=actor, reason=reason)
    db.session.flush()
    # The audit log keeps what happened, but no longer says who by name or e-mail.
    db.session.execute(
        update(AuditEvent).where(AuditEvent.actor_id == user.id).values(actor_label=label)
    )
    db.session.commit()
    if cv:
        (cv_folder() / cv).unlink(missing_ok=True)


def retention_candidates(months: int) -> list[User]:
    """Students who left: no running internship, and neither a login nor a finished internship in
    the last `months` months (accounts never used count from their creation)."""
    cutoff = utcnow() - timedelta(days=round(months * 30.44))
    running = students_with_running_internship()
    recent_end = select(Internship.student_id).where(
        Internship.end_date >= cutoff.date(), Internship.student_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(User)
            .join(StudentProfile, StudentProfile.user_id == User.id)
            .where(User.role == Role.STUDENT, User.name != DELETED_NAME)
            .where(
                or_(
                    User.last_login_at < cutoff,
                    (User.last_login_at.is_(None)) & (User.created_at < cutoff),
                )
            )
            .where(StudentProfile.id.not_in(running), StudentProfile.id.not_in(recent_end))
        )
    )


def run_retention(months: int | None = None) -> int:
    months = months or current_app.config["RETENTION_MONTHS"]
    users = retention_candidates(months)
    for user in users:
        anonymise_student(user, reason=f"bewaartermijn {months} maanden verstreken")
    return len(users)

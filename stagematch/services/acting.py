"""Acting for a student (issue 18, item 5): a student who asks for help gives a named coordinator of
their school consent, on their own account page, to apply for them. The consent is valid for
CONSENT_DAYS and revocable at any time; while it is valid the coordinator applies through
`services.applications.apply(..., by=coordinator)`, with the same rules as the student. Granting,
revoking and every application made this way are in the audit log with both names; the student is
told of each application. docs/languages.md explains the choices."""

from __future__ import annotations

import json
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import ActingConsent, Application, AuditEvent, StudentProfile, User
from stagematch.models.consent import CONSENT_DAYS
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import today, utcnow


def school_coordinators(student: StudentProfile) -> list[User]:
    """The coordinators the student may ask for help: active accounts of their own school."""
    if student.school_id is None:
        return []
    return list(
        db.session.scalars(
            select(User).where(
                User.school_id == student.school_id, User.role == Role.COORDINATOR,
                User.is_active_account.is_(True),
            ).order_by(User.name, User.id)
        )
    )  # fmt: skip


def current_consents(student: StudentProfile, *, on: date | None = None) -> list[ActingConsent]:
    day = on or today()
    return list(
        db.session.scalars(
            select(ActingConsent).where(
                ActingConsent.student_id == student.id, ActingConsent.revoked_at.is_(None),
                ActingConsent.expires_on >= day,
            ).order_by(ActingConsent.granted_at.desc(), ActingConsent.id.desc())
        )
    )  # fmt: skip


def consents_given_to(coordinator: User, *, on: date | None = None) -> list[ActingConsent]:
    day = on or today()
    return list(
        db.session.scalars(
            select(ActingConsent).join(ActingConsent.student).where(
                ActingConsent.coordinator_id == coordinator.id, ActingConsent.revoked_at.is_(None),
                ActingConsent.expires_on >= day, StudentProfile.school_id == coordinator.school_id,
            ).order_by(ActingConsent.expires_on, ActingConsent.id)
        )
    )  # fmt: skip


def valid_consent(*, student: StudentProfile, coordinator: User, on: date | None = None):
    """The consent that lets `coordinator` act for `student` today, or None. Only a coordinator of
    the student's own school can hold one (a consent outlives no change of school)."""
    if coordinator.role != Role.COORDINATOR or coordinator.school_id != student.school_id:
        return None
    if not coordinator.is_active_account:
        return None
    day = on or today()
    return next(
        (c for c in current_consents(student, on=day) if c.coordinator_id == coordinator.id), None
    )


def require_consent(*, student: StudentProfile, actor: User) -> ActingConsent:
    consent = valid_consent(student=student, coordinator=actor)
    if consent is None:
        raise DomainError(
            _("Je mag niet namens deze student solliciteren: er is geen geldige toestemming. "
              "De student geeft toestemming op de eigen accountpagina.")
        )  # fmt: skip
    return consent


def grant(*, student: StudentProfile, coordinator_id: int) -> ActingConsent:
    coordinator = db.session.get(User, coordinator_id)
    if coordinator is None or coordinator not in school_coordinators(student):
        raise DomainError(_("Kies een stagecoördinator van je eigen school."))
    for old in current_consents(student):  # one consent per coordinator: a new one replaces it
        if old.coordinator_id == coordinator.id:
            old.revoked_at = utcnow()
    consent = ActingConsent(
        student=student, coordinator=coordinator, expires_on=today() + timedelta(days=CONSENT_DAYS)
    )
    db.session.add(consent)
    db.session.flush()
    record("consent.grant", consent, student=student.user.name, coordinator=coordinator.name,
           expires_on=consent.expires_on, actor=student.user)  # fmt: skip
    db.session.commit()
    return consent


def revoke(*, student: StudentProfile, consent_id: int) -> None:
    consent = db.session.get(ActingConsent, consent_id)
    if consent is None or consent.student_id != student.id:
        raise DomainError(_("Deze toestemming bestaat niet (meer)."))
    if consent.revoked_at is None:
        consent.revoked_at = utcnow()
        record("consent.revoke", consent, student=student.user.name,
               coordinator=consent.coordinator.name, actor=student.user)  # fmt: skip
    db.session.commit()


def submitted_by(application_ids) -> dict[int, str]:
    """Applications a coordinator submitted for the student: application id → the coordinator's
    name, as the audit log recorded it when it was submitted."""
    ids = list(application_ids)
    if not ids:
        return {}
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "application.submit", AuditEvent.object_type == "application",
            AuditEvent.object_id.in_(ids), AuditEvent.detail.contains('"on_behalf_of"'),
        )
    )  # fmt: skip
    found = {}
    for event in events:
        detail = json.loads(event.detail or "{}")
        if detail.get("submitted_by"):
            found[event.object_id] = detail["submitted_by"]
    return found


def application_note(application: Application) -> str | None:
    return submitted_by([application.id]).get(application.id)

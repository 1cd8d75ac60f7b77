"""Acting for a student who asks for help (issue 18): the student gives a named helper consent, on
their own help page, to apply for them. A helper is a coordinator of the student's own school or a
job coach (a coach of a municipality, UWV, VluchtelingenWerk or a welcome organisation, invited by
an administrator); a learner without a school (zij-instromer) can only choose a job coach. The
consent is valid for CONSENT_DAYS and revocable at any time; while it is valid the helper applies
through `services.applications.apply(..., by=helper)`, with the same rules as the student. Granting,
revoking and every application made this way are in the audit log with both names; the student is
told of each application. docs/languages.md explains the choices."""

from __future__ import annotations

import json
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from stagematch.extensions import db
from stagematch.models import (
    ActingConsent,
    Application,
    AuditEvent,
    StudentProfile,
    User,
)
from stagematch.models.consent import CONSENT_DAYS
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import today, utcnow

HELPER_ROLES = (Role.COORDINATOR, Role.JOB_COACH)
COACHES_SHOWN = 20
HELPER_CANDIDATES = 500  # the learner's allowed places searched through by a helper
PLACES_SHOWN = 50


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


def job_coaches(query: str = "", *, limit: int = COACHES_SHOWN) -> list[User]:
    """Active job coaches whose name or organisation contains `query` (any learner may choose
    one), by organisation and name."""
    stmt = select(User).where(User.role == Role.JOB_COACH, User.is_active_account.is_(True))
    words = query.strip().lower().split()[:5]
    for word in words:
        stmt = stmt.where(
            or_(func.lower(User.name).contains(word, autoescape=True),
                func.lower(User.organisation).contains(word, autoescape=True))
        )  # fmt: skip
    return list(
        db.session.scalars(stmt.order_by(User.organisation, User.name, User.id).limit(limit))
    )


def may_help(student: StudentProfile, helper: User | None) -> bool:
    """Whether `helper` can hold the student's consent: an active coordinator of the student's
    own school, or an active job coach."""
    if helper is None or not helper.is_active_account:
        return False
    if helper.role == Role.COORDINATOR:
        return student.school_id is not None and helper.school_id == student.school_id
    return helper.role == Role.JOB_COACH


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


def consents_given_to(
    helper: User, *, on: date | None = None, query: str = ""
) -> list[ActingConsent]:
    """The valid consents `helper` holds, of active learners (a coordinator: only of students of
    their own school — a consent outlives no change of school); `query` filters on the name."""
    day = on or today()
    stmt = (
        select(ActingConsent).join(ActingConsent.student).join(StudentProfile.user)
        .where(ActingConsent.helper_id == helper.id, ActingConsent.revoked_at.is_(None),
               ActingConsent.expires_on >= day, User.is_active_account.is_(True))
    )  # fmt: skip
    if helper.role == Role.COORDINATOR:
        stmt = stmt.where(StudentProfile.school_id == helper.school_id)
    for word in query.strip().lower().split()[:5]:
        stmt = stmt.where(func.lower(User.name).contains(word, autoescape=True))
    return list(db.session.scalars(stmt.order_by(ActingConsent.expires_on, ActingConsent.id)))


def valid_consent(*, student: StudentProfile, coordinator: User | None = None,
                  helper: User | None = None, on: date | None = None) -> ActingConsent | None:  # fmt: skip
    """The consent that lets the helper (`helper`, or `coordinator` by its older name) act for
    `student` today, or None."""
    helper = helper or coordinator
    if not may_help(student, helper):
        return None
    day = on or today()
    return next((c for c in current_consents(student, on=day) if c.helper_id == helper.id), None)


def ever_consented(*, student: StudentProfile, helper: User) -> bool:
    """Whether the student ever gave `helper` a consent (expired or revoked too): such a helper is
    told there is no valid consent, anyone else does not learn the student exists."""
    return (
        db.session.scalar(
            select(ActingConsent.id).where(
                ActingConsent.student_id == student.id, ActingConsent.helper_id == helper.id
            ).limit(1)
        )
        is not None
    )  # fmt: skip


def require_consent(*, student: StudentProfile, actor: User) -> ActingConsent:
    consent = valid_consent(student=student, helper=actor)
    if consent is None:
        raise DomainError(
            _("Je mag niet namens deze student solliciteren: er is geen geldige toestemming. "
              "De student geeft toestemming op de eigen accountpagina.")
        )  # fmt: skip
    return consent


def grant(*, student: StudentProfile, helper_id: int | None = None,
          coordinator_id: int | None = None) -> ActingConsent:  # fmt: skip
    """The student lets a helper (by id; `coordinator_id` is the older name) apply for them."""
    helper_id = helper_id if helper_id is not None else coordinator_id
    helper = db.session.get(User, helper_id) if helper_id is not None else None
    if not may_help(student, helper):
        chose_coordinator = helper is not None and helper.role == Role.COORDINATOR
        if chose_coordinator or student.school_id is not None:
            raise DomainError(_("Kies een stagecoördinator van je eigen school of een jobcoach."))
        raise DomainError(_("Kies een jobcoach uit de lijst."))
    for old in current_consents(student):  # one consent per helper: a new one replaces it
        if old.helper_id == helper.id:
            old.revoked_at = utcnow()
    consent = ActingConsent(
        student=student, helper=helper, expires_on=today() + timedelta(days=CONSENT_DAYS)
    )
    db.session.add(consent)
    db.session.flush()
    record("consent.grant", consent, student=student.user.name, helper=helper.name,
           helper_role=helper.role, organisation=helper.organisation,
           expires_on=consent.expires_on, actor=student.user)  # fmt: skip
    db.session.commit()
    _tell_helper(consent)
    return consent


def _tell_helper(consent: ActingConsent) -> None:
    """The helper the learner chose hears it, with a link to the learner's page (once per
    consent: choosing the same helper again replaces the consent but tells nobody twice)."""
    from stagematch.matching.text import N_
    from stagematch.services.notifications import notify, phrase

    helper, student = consent.helper, consent.student
    path = "/jobcoach" if helper.role == Role.JOB_COACH else "/coordinator"
    notify(
        helper, "help_requested", f"help:{student.id}",
        phrase(N_("%(name)s vraagt je hulp bij het solliciteren."), name=student.user.name),
        f"{path}/namens/{student.id}",
    )  # fmt: skip


def revoke(*, student: StudentProfile, consent_id: int) -> None:
    consent = db.session.get(ActingConsent, consent_id)
    if consent is None or consent.student_id != student.id:
        raise DomainError(_("Deze toestemming bestaat niet (meer)."))
    if consent.revoked_at is None:
        consent.revoked_at = utcnow()
        record("consent.revoke", consent, student=student.user.name, helper=consent.helper.name,
               helper_role=consent.helper.role, actor=student.user)  # fmt: skip
    db.session.commit()


def open_places_for(student: StudentProfile, *, query: str = "", limit: int = PLACES_SHOWN):
    """The places a helper can apply to for the student: the student's own search under the
    eligibility rules and the room check (`services.search`), anywhere in the country (the
    student's travel distance is a preference, not a rule), soonest start first; `query` keeps
    those whose title, company or town contain every word."""
    from stagematch.services.search import SearchFilters, search

    filters = SearchFilters(leerweg=student.leerweg, qualification=student.qualification,
                            sort="start", anywhere=True, student=student)  # fmt: skip
    words = query.strip().lower().split()[:5]
    places = [hit.placement for hit in search(filters, per_page=HELPER_CANDIDATES).hits]
    if words:
        places = [
            p for p in places
            if all(w in f"{p.title} {p.company.name} {p.city}".lower() for w in words)
        ]  # fmt: skip
    return places[:limit]


def applied_places(student: StudentProfile) -> set[int]:
    return set(
        db.session.scalars(select(Application.placement_id).where(Application.student_id == student.id))
    )  # fmt: skip


def submitted_by(application_ids) -> dict[int, str]:
    """Applications a helper submitted for the student: application id → the helper's name, as
    the audit log recorded it when it was submitted."""
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

"""Applying for a student who asked for help ("namens <student>", issue 18 item 5): the students
who gave this coordinator their consent, the open places of a student's qualification, and the
application form. The rules are `services.applications.apply`'s with `by=` the coordinator."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from stagematch import acting_pages
from stagematch.access import role_required
from stagematch.coordinators import bp
from stagematch.extensions import db
from stagematch.models import Application, StudentProfile
from stagematch.models.enums import Role
from stagematch.services import acting as service

ENDPOINTS = acting_pages.Endpoints(
    overview="coordinators.acting_students",
    acting_for="coordinators.acting_for",
    apply_for="coordinators.apply_for",
)


def _student(profile_id: int) -> StudentProfile:
    """A student of the coordinator's own school; another school's student does not exist here."""
    profile = db.get_or_404(StudentProfile, profile_id)
    if profile.school_id != current_user.school_id:
        abort(404)
    return profile


def _consent_or_403(profile: StudentProfile):
    consent = service.valid_consent(student=profile, coordinator=current_user)
    if consent is None:
        return acting_pages.refused(profile, ENDPOINTS)
    return consent


@bp.route("/namens")
@role_required(Role.COORDINATOR)
def acting_students():
    consents = service.consents_given_to(current_user)
    return render_template("coordinators/acting_students.html", consents=consents)


@bp.route("/namens/<int:profile_id>")
@role_required(Role.COORDINATOR)
def acting_for(profile_id: int):
    profile = _student(profile_id)
    consent = _consent_or_403(profile)
    if isinstance(consent, tuple):
        return consent
    return acting_pages.acting_for_page(profile, consent, ENDPOINTS)


@bp.route("/namens/<int:profile_id>/plek/<int:placement_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def apply_for(profile_id: int, placement_id: int):
    profile = _student(profile_id)
    consent = _consent_or_403(profile)
    if isinstance(consent, tuple):
        return consent
    return acting_pages.apply_for_page(profile, placement_id, ENDPOINTS)


@bp.app_template_global("submitted_by_coordinator")
def submitted_by_coordinator(application: Application) -> str | None:
    """The coordinator who submitted `application` for the student (shown to student and company)."""
    return service.application_note(application)

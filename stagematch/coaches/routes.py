"""A job coach's home: the learners who gave this coach a valid consent (searchable by name), the
open places of a learner's qualification (searchable), and the application form. The rules are
`services.applications.apply`'s with `by=` the coach, as for a coordinator; a learner who never
gave this coach a consent does not exist here (404), one whose consent ended is refused (403)."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from stagematch import acting_pages
from stagematch.access import role_required
from stagematch.coaches import bp
from stagematch.extensions import db
from stagematch.models import StudentProfile
from stagematch.models.enums import Role
from stagematch.services import acting as service

ENDPOINTS = acting_pages.Endpoints(
    overview="coaches.home", acting_for="coaches.acting_for", apply_for="coaches.apply_for"
)


def _learner_and_consent(profile_id: int):
    """The learner and the coach's valid consent; otherwise a 404 (never consented to this
    coach) or the refusal page (403)."""
    profile = db.get_or_404(StudentProfile, profile_id)
    coach = current_user._get_current_object()
    consent = service.valid_consent(student=profile, helper=coach)
    if consent is not None:
        return profile, consent
    if not service.ever_consented(student=profile, helper=coach):
        abort(404)
    return profile, acting_pages.refused(profile, ENDPOINTS)


@bp.route("/")
@role_required(Role.JOB_COACH)
def home():
    query = acting_pages.query()
    consents = service.consents_given_to(current_user, query=query)
    return render_template("coaches/home.html", consents=consents, query=query)


@bp.route("/namens/<int:profile_id>")
@role_required(Role.JOB_COACH)
def acting_for(profile_id: int):
    profile, consent = _learner_and_consent(profile_id)
    if isinstance(consent, tuple):
        return consent
    return acting_pages.acting_for_page(profile, consent, ENDPOINTS)


@bp.route("/namens/<int:profile_id>/plek/<int:placement_id>", methods=["GET", "POST"])
@role_required(Role.JOB_COACH)
def apply_for(profile_id: int, placement_id: int):
    profile, consent = _learner_and_consent(profile_id)
    if isinstance(consent, tuple):
        return consent
    return acting_pages.apply_for_page(profile, placement_id, ENDPOINTS)

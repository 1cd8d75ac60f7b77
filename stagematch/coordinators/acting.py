"""Applying for a student who asked for help ("namens <student>", issue 18 item 5): the students
who gave this coordinator their consent, the open places of a student's qualification, and the
application form. The rules are `services.applications.apply`'s with `by=` the coordinator."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from stagematch.access import role_required
from stagematch.coordinators import bp
from stagematch.extensions import db
from stagematch.models import Application, Placement, StudentProfile, placement_qualification
from stagematch.models.enums import PlacementStatus, Role
from stagematch.services import DomainError
from stagematch.services import acting as service
from stagematch.services import applications as application_service

PLACES_SHOWN = 50


class ApplyForForm(FlaskForm):
    motivation = TextAreaField(
        _l("Motivatie van de student"),
        description=_l("Schrijf op wat de student zelf zegt: wat wil de student hier leren, en waarom?"),
        validators=[
            DataRequired(_l("Schrijf een korte motivatie.")),
            Length(min=20, max=2000, message=_l("Schrijf minstens één zin (20 tekens).")),
        ],
    )  # fmt: skip
    anonymous = BooleanField(
        _l("Anoniem solliciteren (het bedrijf ziet de naam pas bij een uitnodiging)"), default=True
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
        return render_template("coordinators/acting_refused.html", profile=profile), 403
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
    applied = set(
        db.session.scalars(select(Application.placement_id).where(Application.student_id == profile.id))
    )  # fmt: skip
    places = db.session.scalars(
        select(Placement)
        .join(placement_qualification, placement_qualification.c.placement_id == Placement.id)
        .where(
            Placement.status == PlacementStatus.OPEN,
            placement_qualification.c.qualification_id == profile.qualification_id,
        )
        .order_by(Placement.title, Placement.id)
        .limit(PLACES_SHOWN)
    ).all()
    return render_template("coordinators/acting_for.html", profile=profile, consent=consent,
                           places=places, applied=applied)  # fmt: skip


@bp.route("/namens/<int:profile_id>/plek/<int:placement_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def apply_for(profile_id: int, placement_id: int):
    profile = _student(profile_id)
    consent = _consent_or_403(profile)
    if isinstance(consent, tuple):
        return consent
    placement = db.get_or_404(Placement, placement_id)
    if placement.status == PlacementStatus.DRAFT:
        abort(404)
    form = ApplyForForm()
    error = None
    if form.validate_on_submit():
        try:
            application_service.apply(student=profile, placement=placement,
                                      motivation=form.motivation.data,
                                      anonymous=form.anonymous.data, by=current_user)  # fmt: skip
        except DomainError as failure:
            db.session.rollback()
            error = failure.message
        else:
            flash(_("De sollicitatie is verstuurd namens %(name)s. De student krijgt bericht.",
                    name=profile.user.name), "success")  # fmt: skip
            return redirect(url_for("coordinators.acting_for", profile_id=profile.id))
    status = 422 if (form.errors or error) else 200
    return render_template("coordinators/apply_for.html", form=form, profile=profile,
                           placement=placement, error=error), status  # fmt: skip


@bp.app_template_global("submitted_by_coordinator")
def submitted_by_coordinator(application: Application) -> str | None:
    """The coordinator who submitted `application` for the student (shown to student and company)."""
    return service.application_note(application)

"""The pages on which a helper acts for a learner, shared by a school's coordinators
(`coordinators/acting.py`) and job coaches (`coaches/routes.py`): the learner's places under the
rules (`services.acting.open_places_for`, searchable), the application form, and the refusal when
the consent ended. Each blueprint says where its pages are (`Endpoints`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from stagematch.extensions import db
from stagematch.models import Placement, StudentProfile
from stagematch.models.enums import PlacementStatus
from stagematch.services import DomainError
from stagematch.services import acting as service
from stagematch.services import applications as application_service


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


@dataclass(frozen=True)
class Endpoints:
    overview: str  # the helper's list of learners
    acting_for: str  # one learner's places
    apply_for: str  # the application form


def query() -> str:
    return request.args.get("zoek", "")[:100]


def refused(profile: StudentProfile, endpoints: Endpoints):
    return render_template("acting/refused.html", profile=profile, endpoints=endpoints), 403


def acting_for_page(profile: StudentProfile, consent, endpoints: Endpoints):
    words = query()
    return render_template("acting/acting_for.html", profile=profile, consent=consent,
                           places=service.open_places_for(profile, query=words),
                           applied=service.applied_places(profile), query=words,
                           endpoints=endpoints)  # fmt: skip


def apply_for_page(profile: StudentProfile, placement_id: int, endpoints: Endpoints):
    placement = db.get_or_404(Placement, placement_id)
    if placement.status == PlacementStatus.DRAFT:
        abort(404)
    form = ApplyForForm()
    error = None
    if form.validate_on_submit():
        try:
            application_service.apply(student=profile, placement=placement,
                                      motivation=form.motivation.data,
                                      anonymous=form.anonymous.data,
                                      by=current_user._get_current_object())  # fmt: skip
        except DomainError as failure:
            db.session.rollback()
            error = failure.message
        else:
            flash(_("De sollicitatie is verstuurd namens %(name)s. De student krijgt bericht.",
                    name=profile.user.name), "success")  # fmt: skip
            return redirect(url_for(endpoints.acting_for, profile_id=profile.id))
    status = 422 if (form.errors or error) else 200
    return render_template("acting/apply_for.html", form=form, profile=profile,
                           placement=placement, error=error, endpoints=endpoints), status  # fmt: skip

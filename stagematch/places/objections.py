"""'Waarom zie ik dit?' (`/plekken/<id>/waarom`): the full explanation of a place suggested to the
student, and the form to object to it (issue 19 item 3). The company's side, for a student
suggested for its place, is in `companies/objections.py` and uses the same page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from stagematch.access import role_required
from stagematch.extensions import db
from stagematch.models import Placement
from stagematch.models.enums import Role
from stagematch.places import bp
from stagematch.services import DomainError, explanations
from stagematch.services import objections as service


class ObjectionForm(FlaskForm):
    text = TextAreaField(
        _l("Je bezwaar"),
        description=_l("Schrijf in je eigen woorden wat er niet klopt (10 tot 2000 tekens)."),
        validators=[
            DataRequired(_l("Schrijf je bezwaar in minstens 10 tekens.")),
            Length(
                min=service.TEXT_MIN,
                max=service.TEXT_MAX,
                message=_l("Schrijf tussen 10 en 2000 tekens."),
            ),
        ],  # fmt: skip
    )


def explanation_page(*, explanation: dict, profile, placement: Placement, role: str,
                     back_url: str, back_label: str, own_url: str):  # fmt: skip
    """GET: the explanation and the form; POST: store the objection (with the explanation as
    shown) and go to the objector's own list; bad input: the page again with the text (422)."""
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            service.raise_objection(user=current_user._get_current_object(), role=role,
                                    profile=profile, placement=placement,
                                    explanation=explanation, text=form.text.data)  # fmt: skip
        except DomainError as error:
            form.text.errors = [*form.text.errors, error.message]
        else:
            flash(
                _("Je bezwaar is verstuurd. Je krijgt bericht als er een antwoord is."), "success"
            )
            return redirect(own_url)
    earlier = db.session.scalars(
        service.own_statement(current_user).where(
            service.Objection.placement_id == placement.id,
            service.Objection.student_id == profile.id,
        )
    ).all()
    html = render_template(
        "places/why.html", e=explanations.readable(explanation), form=form, earlier=earlier,
        back_url=back_url, back_label=back_label,
    )  # fmt: skip
    return html, 422 if form.errors else 200


@bp.route("/<int:placement_id>/waarom", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def why(placement_id: int):
    placement = db.get_or_404(Placement, placement_id)
    profile = current_user.profile
    try:
        explanation = explanations.explain_suggestion(profile, placement)
    except explanations.NotASuggestion:
        abort(404)
    return explanation_page(
        explanation=explanation, profile=profile, placement=placement, role="student",
        back_url=url_for("places.detail", placement_id=placement.id), back_label=placement.title,
        own_url=url_for("students.objections"),
    )  # fmt: skip

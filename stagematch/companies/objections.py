"""The company's side of 'Waarom zie ik dit?': why a student is suggested for its place
(`/leerbedrijf/plekken/<id>/voorgesteld/<student>/waarom`), the objection to it, and the
company's own objections with the answers (`/leerbedrijf/bezwaren`). The student stays
anonymous: the page shows what the list of suggested students shows, no name, school or age."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user

from stagematch.access import ensure, role_required
from stagematch.companies import bp
from stagematch.extensions import db
from stagematch.models import Placement
from stagematch.models.enums import Role
from stagematch.pagination import page_arg
from stagematch.places.objections import explanation_page
from stagematch.services import explanations
from stagematch.services import objections as service

PAGE_SIZE = 50


@bp.route(
    "/plekken/<int:placement_id>/voorgesteld/<int:student_id>/waarom", methods=["GET", "POST"]
)
@role_required(Role.COMPANY)
def why_suggested(placement_id: int, student_id: int):
    placement = db.get_or_404(Placement, placement_id)
    ensure(placement.company_id == current_user.company_id)
    try:
        profile = explanations.suggested_profile(placement, student_id)
        explanation = explanations.explain_suggestion(profile, placement, perspective="company")
    except explanations.NotASuggestion:
        abort(404)
    return explanation_page(
        explanation=explanation, profile=profile, placement=placement, role="company",
        back_url=url_for("companies.placement", placement_id=placement.id), back_label=placement.title,
        own_url=url_for("companies.objections"),
    )  # fmt: skip


@bp.route("/bezwaren")
@role_required(Role.COMPANY)
def objections():
    page = db.paginate(service.own_statement(current_user), page=page_arg(), per_page=PAGE_SIZE,
                       error_out=False)  # fmt: skip
    return render_template("companies/objections.html", page=page)

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from stagematch.access import role_required
from stagematch.companies import bp
from stagematch.extensions import db
from stagematch.models import Placement
from stagematch.models.enums import Role


@bp.route("/")
@role_required(Role.COMPANY)
def home():
    company = current_user.company
    places = db.session.scalars(
        select(Placement).where(Placement.company_id == company.id).order_by(Placement.start_date)
    ).all()
    return render_template("companies/home.html", company=company, places=places)

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from stagematch.access import role_required
from stagematch.extensions import db
from stagematch.main import bp
from stagematch.models import AuditEvent, Company, Placement, School, StudentProfile, User
from stagematch.models.enums import PlacementStatus, Role

HOME_BY_ROLE = {
    Role.STUDENT: "students.home",
    Role.COMPANY: "companies.home",
    Role.COORDINATOR: "coordinators.home",
    Role.ADMIN: "main.admin_home",
}


@bp.route("/")
def index():
    open_places = db.session.scalar(
        select(func.count(Placement.id)).where(Placement.status == PlacementStatus.OPEN)
    )
    return render_template("main/index.html", open_places=open_places)


@bp.route("/home")
@login_required
def home():
    return redirect(url_for(HOME_BY_ROLE[Role(current_user.role)]))


@bp.route("/beheer")
@role_required(Role.ADMIN)
def admin_home():
    counts = {
        "Gebruikers": db.session.scalar(select(func.count(User.id))),
        "Scholen": db.session.scalar(select(func.count(School.id))),
        "Studenten met profiel": db.session.scalar(select(func.count(StudentProfile.id))),
        "Leerbedrijven": db.session.scalar(select(func.count(Company.id))),
        "Plekken": db.session.scalar(select(func.count(Placement.id))),
    }
    recent = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(20)).all()
    return render_template("main/admin_home.html", counts=counts, recent=recent)

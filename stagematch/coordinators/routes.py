from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from stagematch.access import role_required
from stagematch.coordinators import bp
from stagematch.extensions import db
from stagematch.models import Internship, StudentProfile
from stagematch.models.enums import InternshipStatus, Role


@bp.route("/")
@role_required(Role.COORDINATOR)
def home():
    school = current_user.school
    students = db.session.scalar(
        select(func.count(StudentProfile.id)).where(StudentProfile.school_id == school.id)
    )
    by_status = dict(
        db.session.execute(
            select(Internship.status, func.count(Internship.id))
            .where(Internship.school_id == school.id)
            .group_by(Internship.status)
        ).all()
    )
    return render_template(
        "coordinators/home.html",
        school=school,
        students=students,
        active=by_status.get(InternshipStatus.ACTIVE, 0),
        completed=by_status.get(InternshipStatus.COMPLETED, 0),
        terminated=by_status.get(InternshipStatus.TERMINATED, 0),
    )

"""The student's own objections and the answers (`/student/bezwaren`)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from stagematch.access import role_required
from stagematch.extensions import db
from stagematch.models.enums import Role
from stagematch.pagination import page_arg
from stagematch.services import objections as service
from stagematch.students import bp

PAGE_SIZE = 50


@bp.route("/bezwaren")
@role_required(Role.STUDENT)
def objections():
    page = db.paginate(service.own_statement(current_user), page=page_arg(), per_page=PAGE_SIZE,
                       error_out=False)  # fmt: skip
    return render_template("students/objections.html", page=page)

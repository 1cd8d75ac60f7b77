"""The placement page and the overview of placements per side."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from stagematch.access import ensure
from stagematch.internships import bp
from stagematch.internships.sections import render_context
from stagematch.models.enums import Role
from stagematch.pagination import page_arg, paginate_rows
from stagematch.services import internships as service
from stagematch.timeutil import today

PAGE_SIZE = 25


def placement_for_user(internship_id: int):
    """The placement and the side the current user sees it from; 404 for a placement that does
    not exist, 403 for one that is not theirs."""
    internship = service.load(internship_id)
    if internship is None:
        abort(404)
    side = service.side_of(internship, current_user)
    ensure(side is not None)
    return internship, side


@bp.route("/")
@login_required
def index():
    """Students go to their current placement; a leerbedrijf sees its learners; a coordinator
    the school's list."""
    if current_user.role == Role.STUDENT:
        profile = current_user.profile
        current = service.current_for_student(profile) if profile else None
        if current is not None:
            return redirect(url_for("internships.page", internship_id=current.id))
        return render_template(
            "internships/student_index.html",
            internships=service.of_student(profile) if profile else [],
        )
    if current_user.role == Role.COORDINATOR:
        return redirect(url_for("coordinators.internships"))
    if current_user.role != Role.COMPANY:
        abort(403)
    return company_index()


def company_index():
    ended = request.args.get("afgelopen") == "1"
    stmt = service.company_statement(current_user.company, running=not ended)
    page = paginate_rows(stmt, page_arg(request), per_page=PAGE_SIZE)
    page.items = [row[0] for row in page.items]
    return render_template("internships/company_index.html", page=page, ended=ended,
                           phase=service.phase, today=today())  # fmt: skip


@bp.route("/<int:internship_id>")
@login_required
def page(internship_id: int):
    internship, side = placement_for_user(internship_id)
    return render_template(
        "internships/page.html", internship=internship, side=side, today=today(),
        phase=service.phase(internship), sections=render_context(internship, side),
        school_contacts=service.school_contacts(internship),
        company_users=service.company_users(internship),
    )  # fmt: skip


import stagematch.internships.agreement  # noqa: E402,F401  (section 10)
import stagematch.internships.assessment  # noqa: E402,F401  (section 40)
import stagematch.internships.ending  # noqa: E402,F401  (section 50)
import stagematch.internships.evaluations  # noqa: E402,F401  (section 35)
import stagematch.internships.hours  # noqa: E402,F401  (section 20)
import stagematch.internships.meetings  # noqa: E402,F401  (section 30)
import stagematch.internships.networks  # noqa: E402,F401  (section 5)
from stagematch.internships import subsidy  # noqa: E402,F401  (the subsidy overview)

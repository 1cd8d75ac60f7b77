"""A learner's own EVC page ("Wat kun je al?") and choosing a school after being hired
(issue 18: adults and zij-instromers)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from stagematch.access import role_required
from stagematch.extensions import db
from stagematch.inputs import MAX_ID, parse_int
from stagematch.models import School, StudentProfile
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services import adults as service
from stagematch.services import internships as internship_service
from stagematch.students import bp

LEVEL_LABELS = {
    "not_yet": _l("nog niet"),
    "some": _l("een beetje"),
    "good": _l("goed"),
}


def _profile() -> StudentProfile:
    profile = current_user.profile
    if profile is None:
        abort(404)
    return profile


def _levels_from(form, prefix: str) -> dict[int, str]:
    """{work process id: level} from fields named `<prefix><id>`; empty answers left out."""
    levels = {}
    for key, value in form.items():
        if key.startswith(prefix) and value:
            process_id = parse_int(key[len(prefix) :], lo=1, hi=MAX_ID)
            if process_id is None:
                raise DomainError(_("Dit werkproces hoort niet bij je opleiding."))
            levels[process_id] = value
    return levels


@bp.route("/wat-kan-ik-al", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def experience():
    profile = _profile()
    errors, status = [], 200
    if request.method == "POST":
        years_text = (request.form.get("work_experience_years") or "").strip()
        years = parse_int(years_text, lo=0, hi=60) if years_text else None
        try:
            if years_text and years is None:
                raise DomainError(_("Vul een aantal jaren tussen 0 en 60 in."))
            text = request.form.get("work_experience", "")
            if len(text) > 4000:
                raise DomainError(_("Gebruik hooguit 4000 tekens."))
            service.save_self_assessment(
                profile, levels=_levels_from(request.form, "level-"), work_experience=text,
                work_experience_years=years, by=current_user._get_current_object(),
            )  # fmt: skip
        except DomainError as error:
            db.session.rollback()
            errors, status = [error.message], 422
        else:
            flash(_("Je antwoorden zijn bewaard."), "success")
            return redirect(url_for("students.experience"))
    return render_template(
        "students/experience.html", profile=profile, rows=service.claims_of(profile),
        labels=LEVEL_LABELS, errors=errors, form=request.form if errors else None,
    ), status  # fmt: skip


@bp.route("/school-kiezen", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def choose_school():
    profile = _profile()
    if profile.school_id is not None:
        flash(_("Je hebt al een school: %(school)s.", school=profile.school.name), "info")
        return redirect(url_for("students.home"))
    errors, status = [], 200
    if request.method == "POST":
        school_id = parse_int(request.form.get("school"), lo=1, hi=MAX_ID)
        school = db.session.get(School, school_id) if school_id else None
        try:
            service.choose_school(profile, school, by=current_user._get_current_object())
        except DomainError as error:
            db.session.rollback()
            errors, status = [error.message], 422
        else:
            flash(
                _("Je school is %(school)s. Je school ziet nu je gegevens en wat je al kunt.",
                  school=school.name),
                "success",
            )  # fmt: skip
            return redirect(url_for("students.home"))
    internship = internship_service.current_for_student(profile)
    return render_template(
        "students/choose_school.html", profile=profile, options=service.school_options(profile),
        internship=internship, errors=errors,
    ), status  # fmt: skip


@bp.app_template_global("adult_minimum")
def adult_minimum(placement):
    """The statutory minimum wage from 21 for the place's hours (shown on a place "ook voor
    zij-instromers"), or None when the table has no row in force."""
    from stagematch.timeutil import today
    from stagematch.wages import ADULT, minimum_wage

    wage = minimum_wage(ADULT, max(placement.start_date, today()))
    if wage is None:
        return None
    return {"amount": wage.monthly(placement.hours_per_week), "valid_from": wage.valid_from,
            "hourly": wage.hourly}  # fmt: skip

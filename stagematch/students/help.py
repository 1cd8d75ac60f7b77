"""Help with applying (issue 18): the student gives a named helper consent to apply for them (30
days, revocable) and sees and revokes what they gave. A helper is a coordinator of the student's
school or a job coach (found by name or organisation); a learner without a school sees job coaches
only."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired

from stagematch.access import ensure, role_required
from stagematch.extensions import db
from stagematch.forms import SelectField
from stagematch.inputs import MAX_ID, parse_int
from stagematch.models.consent import CONSENT_DAYS, ActingConsent
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services import acting as service
from stagematch.students import bp
from stagematch.students.routes import _profile


class ConsentForm(FlaskForm):
    coordinator = SelectField(
        _l("Wie mag je helpen?"),
        description=_l("Alleen stagecoördinatoren van je eigen school."),
        validators=[DataRequired(_l("Kies een stagecoördinator."))],
    )


class CoachConsentForm(FlaskForm):
    """One button per job coach in the list: the coach's id travels in a hidden field."""

    jobcoach = HiddenField(_l("Jobcoach"), validators=[DataRequired(_l("Kies een jobcoach."))])


def _grant(profile, form, field) -> ActingConsent | None:
    helper_id = parse_int(field.data, lo=1, hi=MAX_ID)
    try:
        return service.grant(student=profile, helper_id=helper_id or 0)
    except DomainError as error:
        db.session.rollback()
        field.errors.append(error.message)
    return None


@bp.route("/hulp", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def help_with_applying():
    profile = _profile()
    coordinators = service.school_coordinators(profile)
    form = ConsentForm()
    coach_form = CoachConsentForm()
    form.coordinator.choices = [("", _("Kies een stagecoördinator"))] + [
        (str(c.id), c.name) for c in coordinators
    ]
    consent = None
    if request.method == "POST" and "jobcoach" in request.form:
        if coach_form.validate_on_submit():
            consent = _grant(profile, coach_form, coach_form.jobcoach)
    elif form.validate_on_submit():
        consent = _grant(profile, form, form.coordinator)
    if consent is not None:
        flash(_("%(name)s mag nu %(days)s dagen namens jou solliciteren.",
                name=consent.helper.name, days=CONSENT_DAYS), "success")  # fmt: skip
        return redirect(url_for("students.help_with_applying"))
    query = request.args.get("zoek", "")[:100]
    failed = bool(form.errors or coach_form.errors)
    return render_template("students/help.html", form=form, coach_form=coach_form,
                           coordinators=coordinators, coaches=service.job_coaches(query),
                           query=query, consents=service.current_consents(profile),
                           days=CONSENT_DAYS, has_school=profile.school_id is not None,
                           ), 422 if failed else 200  # fmt: skip


@bp.post("/hulp/<int:consent_id>/intrekken")
@role_required(Role.STUDENT)
def revoke_help(consent_id: int):
    profile = _profile()
    consent = db.get_or_404(ActingConsent, consent_id)
    ensure(consent.student_id == profile.id)
    service.revoke(student=profile, consent_id=consent.id)
    flash(_("De toestemming is ingetrokken."), "success")
    return redirect(url_for("students.help_with_applying"))

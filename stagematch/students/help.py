"""Help with applying (issue 18, item 5): the student gives a named coordinator of their school
consent to apply for them (30 days, revocable), and sees and revokes what they gave."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired

from stagematch.access import ensure, role_required
from stagematch.extensions import db
from stagematch.forms import SelectField
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


@bp.route("/hulp", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def help_with_applying():
    profile = _profile()
    coordinators = service.school_coordinators(profile)
    form = ConsentForm()
    form.coordinator.choices = [("", _("Kies een stagecoördinator"))] + [
        (str(c.id), c.name) for c in coordinators
    ]
    if form.validate_on_submit():
        try:
            consent = service.grant(student=profile, coordinator_id=int(form.coordinator.data))
        except DomainError as error:
            form.coordinator.errors.append(error.message)
        else:
            flash(_("%(name)s mag nu %(days)s dagen namens jou solliciteren.",
                    name=consent.coordinator.name, days=CONSENT_DAYS), "success")  # fmt: skip
            return redirect(url_for("students.help_with_applying"))
    return render_template("students/help.html", form=form, coordinators=coordinators,
                           consents=service.current_consents(profile), days=CONSENT_DAYS,
                           ), 422 if form.errors else 200  # fmt: skip


@bp.post("/hulp/<int:consent_id>/intrekken")
@role_required(Role.STUDENT)
def revoke_help(consent_id: int):
    profile = _profile()
    consent = db.get_or_404(ActingConsent, consent_id)
    ensure(consent.student_id == profile.id)
    service.revoke(student=profile, consent_id=consent.id)
    flash(_("De toestemming is ingetrokken."), "success")
    return redirect(url_for("students.help_with_applying"))

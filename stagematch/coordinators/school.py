"""The coordinator's page with the school's own settings (its BRIN code for BRON)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from stagematch.access import role_required
from stagematch.coordinators import bp
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services import schools as service


class SchoolForm(FlaskForm):
    brin = StringField(
        _l("BRIN-nummer"),
        description=_l("De instellingscode van DUO: twee cijfers en twee letters. Nodig voor de BRON-export."),
        validators=[DataRequired(_l("Vul het BRIN-nummer in.")), Length(max=10, message=_l("Een BRIN-nummer is twee cijfers en twee letters, bijvoorbeeld 25LH."))],
    )  # fmt: skip


@bp.route("/school", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def school_settings():
    school = current_user.school
    form = SchoolForm(data={"brin": school.brin} if school.brin else None)
    if form.validate_on_submit():
        try:
            service.set_brin(school, form.brin.data, by=current_user._get_current_object())
        except DomainError as error:
            form.brin.errors = [*form.brin.errors, error.message]
        else:
            flash(_("Het BRIN-nummer is bewaard."), "success")
            return redirect(url_for("coordinators.school_settings"))
    status = 422 if form.errors else 200
    return render_template("coordinators/school.html", form=form, school=school), status

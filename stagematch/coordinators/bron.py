"""The coordinator's BRON export (issue 17, item 7): the school's BPV registrations as one CSV in
BRON's field order, all or nothing — with missing data the page lists the problems per row and
no file is made (stagematch/services/bron.py)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.validators import Optional

from stagematch import exports
from stagematch.access import role_required
from stagematch.coordinators import bp
from stagematch.csvutil import csv_response, to_csv
from stagematch.forms import DateField
from stagematch.models.enums import Role
from stagematch.services import bron
from stagematch.timeutil import today


class BronForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: a download

    van = DateField(_l("POK getekend vanaf"), validators=[Optional()])
    tot = DateField(_l("tot en met"), validators=[Optional()])


LEFT_OUT_SHOWN = 200  # placements without a signed POK listed on the page


def _page(form: BronForm, result, school):
    """The page: the period form, the report of a refused export, the placements left out (no
    signed POK yet) and the signed agreements and changes no BRON file has had yet (the 7-day
    deadline)."""
    waiting, unreported = bron.unreported(school)
    if result is not None:
        left_total, left_out = len(result.left_out), result.left_out[:LEFT_OUT_SHOWN]
    else:
        left_total, left_out = bron.left_out(school, limit=LEFT_OUT_SHOWN)
    return render_template("coordinators/bron.html", form=form, result=result, school=school,
                           waiting=waiting, unreported=unreported, today=today(),
                           left_total=left_total, left_out=left_out,
                           overdue=bron.overdue_count(school) if waiting else 0,
                           deadline_days=bron.DEADLINE_DAYS)  # fmt: skip


@bp.route("/stages/bron")
@role_required(Role.COORDINATOR)
def bron_export():
    """Without `formaat=csv` the page with the period; with it the file, or the report (422)."""
    school = current_user.school
    form = BronForm(request.args)
    wanted = request.args.get("formaat") == "csv"
    valid = form.validate() if request.args else True
    if valid and form.van.data and form.tot.data and form.van.data > form.tot.data:
        form.tot.errors = [*form.tot.errors, _("Deze datum ligt voor de begindatum.")]
        valid = False
    if not wanted or not valid:
        return _page(form, None, school), 200 if valid else 422
    date_from, date_to = form.van.data, form.tot.data
    result = bron.build(school, date_from, date_to)
    if not result.ok:
        return _page(form, result, school), 422
    filename = f"bron-bpv-{school.brin or school.id}.csv"
    if len(result.rows) <= exports.job_rows():
        response = csv_response(to_csv(result.header, result.rows), filename)
        bron.mark_reported(school, result.version_ids, by=current_user)  # a job records its own
        return response
    params = {"from": date_from.isoformat() if date_from else None,
              "to": date_to.isoformat() if date_to else None}  # fmt: skip
    return exports.csv_or_job("bron", params, filename=filename, rows=len(result.rows))

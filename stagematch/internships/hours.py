"""The hours section of the placement page: the student (or the leerbedrijf for them) logs the
hours of a week, the meester approves or corrects them, the school sees totals and the weeks that
are overdue or missing (services/hours.py)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from stagematch.forms import SelectField, choices
from stagematch.internships import bp
from stagematch.internships.routes import placement_for_user
from stagematch.internships.sections import section
from stagematch.services import DomainError
from stagematch.services import hours as service

STATE_LABELS = {
    **service.STATUS_LABELS,
    "overdue": _l("Wacht te lang op goedkeuring"),
    "missing": _l("Niet ingevuld"),
    "open": _l("Nog in te vullen"),
}


class HoursForm(FlaskForm):
    week = SelectField(_l("Week"), validators=[DataRequired(_l("Kies een week."))])
    hours = StringField(
        _l("Gewerkte uren"),
        validators=[InputRequired(_l("Vul een aantal uren in, bijvoorbeeld 32 of 32,5."))],
        description=_l("Tussen 0 en 80, bijvoorbeeld 32 of 32,5."),
    )
    note = TextAreaField(_l("Toelichting"), validators=[Length(max=service.NOTE_MAX)])


class CorrectionForm(FlaskForm):
    hours = StringField(
        _l("Goedgekeurde uren"),
        validators=[InputRequired(_l("Vul een aantal uren in, bijvoorbeeld 32 of 32,5."))],
    )
    note = TextAreaField(
        _l("Waarom pas je de uren aan?"),
        validators=[DataRequired(_l("Schrijf kort waarom je de uren aanpast.")),
                    Length(max=service.NOTE_MAX)],
    )  # fmt: skip


def _week_label(week: date) -> str:
    return _("week %(number)s (vanaf %(day)s)", number=week.isocalendar().week,
             day=week.strftime("%d-%m-%Y"))  # fmt: skip


def hours_form(internship, *, posted: bool = False) -> HoursForm:
    """The form for logging a week (`posted`: read from this request). The choices are the weeks
    begun so far, newest first; a blank form has the current (or the last) week chosen."""
    form = HoursForm() if posted else HoursForm(formdata=None)
    weeks = service.loggable_weeks(internship)
    form.week.choices = choices([(w.isoformat(), _week_label(w)) for w in weeks])
    if not posted and weeks:
        form.week.data = weeks[0].isoformat()
    return form


def _parse_week(text: str) -> date:
    try:
        week = date.fromisoformat(text)
    except ValueError:
        abort(404)
    if week.weekday() != 0:
        abort(404)
    return week


def _can_log(internship, side: str) -> bool:
    return side in ("student", "company") and service.agreement_signed(internship)


@section("internships/_hours.html", order=20)
def hours_section(internship, side):
    """Every side sees the totals and the weeks; the student and the company a form to log a week
    (with the input and errors after a failed post); the company the weeks waiting for approval,
    each with approve and correct."""
    rows = service.rows(internship)
    form = g.pop("hours_form", None)
    if form is None and _can_log(internship, side) and service.loggable_weeks(internship):
        form = hours_form(internship)
    failed_correction = g.pop("hours_correction", None)
    return {
        "rows": rows,
        "totals": service.totals(internship),
        "labels": STATE_LABELS,
        "form": form,
        "signed": service.agreement_signed(internship),
        "waiting": [r for r in rows if r.entry is not None and r.state in ("submitted", "overdue")]
        if side == "company"
        else [],
        "correction": failed_correction,  # (week, form) of a correction that came back
        "hours_text": _hours_text,
    }


def _hours_text(value: float | None) -> str:
    """Hours as the form takes them: 32 or 32,5."""
    return "" if value is None else f"{value:g}".replace(".", ",")


def _page(internship_id: int):
    """The placement page itself (with a failed form kept in `g` for the section), 422."""
    from stagematch.internships.routes import page

    return page(internship_id), 422


@bp.route("/<int:internship_id>/uren", methods=["GET", "POST"])
@login_required
def hours(internship_id: int):
    """Log the hours of a week (the student, or the leerbedrijf for them). GET `?week=` opens the
    form on the page for that week, filled in when it was logged before."""
    internship, side = placement_for_user(internship_id)
    if side not in ("student", "company"):
        abort(403)
    form = hours_form(internship, posted=request.method == "POST")
    if request.method == "GET":
        chosen = request.args.get("week", "")
        if chosen in {w.isoformat() for w in service.loggable_weeks(internship)}:
            form.week.data = chosen
            entry = service.entries_of(internship).get(date.fromisoformat(chosen))
            if entry is not None:
                form.hours.data = _hours_text(entry.hours)
                form.note.data = entry.note
        g.hours_form = form
        from stagematch.internships.routes import page

        return page(internship_id)
    if form.validate_on_submit():
        try:
            logged = service.log_week(
                internship, user=current_user, side=side,
                week_start=date.fromisoformat(form.week.data), hours=form.hours.data,
                note=form.note.data or "",
            )  # fmt: skip
        except DomainError as error:
            target = {"hours": form.hours, "note": form.note}.get(error.field or "", form.week)
            target.errors = [*target.errors, error.message]
        else:
            flash(_("Uren van %(week)s opgeslagen.", week=_week_label(logged.entry.week_start)),
                  "success")  # fmt: skip
            for warning in logged.warnings:
                flash(warning, "warning")
            return redirect(url_for("internships.page", internship_id=internship.id,
                                    _anchor="uren"))  # fmt: skip
    if not form.errors:  # e.g. no week to choose: say so rather than come back silently
        form.week.errors = [_("Kies een week.")]
    g.hours_form = form
    return _page(internship_id)


@bp.route("/<int:internship_id>/uren/<week>/goedkeuren", methods=["POST"])
@login_required
def approve_hours(internship_id: int, week: str):
    """The meester approves one week as shown (`gezien`: the hours on their screen)."""
    internship, side = placement_for_user(internship_id)
    if side != "company":
        abort(403)
    week_start = _parse_week(week)
    try:
        service.approve(internship, user=current_user, side=side, week_start=week_start,
                        seen=request.form.get("gezien", ""))  # fmt: skip
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Uren van %(week)s goedgekeurd.", week=_week_label(week_start)), "success")
    return redirect(url_for("internships.page", internship_id=internship.id, _anchor="uren"))


@bp.route("/<int:internship_id>/uren/alles-goedkeuren", methods=["POST"])
@login_required
def approve_all_hours(internship_id: int):
    """ "Alles goedkeuren": the weeks listed on the page, each with the hours shown
    (`week=2026-11-16=32,5`)."""
    internship, side = placement_for_user(internship_id)
    if side != "company":
        abort(403)
    seen: dict[date, str] = {}
    for item in request.form.getlist("week")[:200]:
        text, _sep, shown = item.partition("=")
        try:
            seen[date.fromisoformat(text)] = shown
        except ValueError:
            continue
    if not seen:
        flash(_("Er wachten geen uren op goedkeuring."), "info")
        return redirect(url_for("internships.page", internship_id=internship.id, _anchor="uren"))
    approved, changed = service.approve_all(internship, user=current_user, side=side, seen=seen)
    if approved:
        flash(ngettext("%(num)s week goedgekeurd.", "%(num)s weken goedgekeurd.", approved),
              "success")  # fmt: skip
    if changed:
        flash(_("Niet goedgekeurd, want net aangepast of al afgehandeld: %(weeks)s. Bekijk ze "
                "opnieuw.", weeks=", ".join(_week_label(w) for w in changed)), "warning")  # fmt: skip
    return redirect(url_for("internships.page", internship_id=internship.id, _anchor="uren"))


@bp.route("/<int:internship_id>/uren/<week>/corrigeren", methods=["POST"])
@login_required
def correct_hours(internship_id: int, week: str):
    """The meester approves another number than logged, with a note."""
    internship, side = placement_for_user(internship_id)
    if side != "company":
        abort(403)
    week_start = _parse_week(week)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            service.correct(internship, user=current_user, side=side, week_start=week_start,
                            seen=request.form.get("gezien", ""), hours=form.hours.data,
                            note=form.note.data)  # fmt: skip
        except DomainError as error:
            if error.field is None:  # no such week, or changed meanwhile: the page shows it anew
                flash(error.message, "error")
                return redirect(url_for("internships.page", internship_id=internship.id,
                                        _anchor="uren"))  # fmt: skip
            target = form.note if error.field == "note" else form.hours
            target.errors = [*target.errors, error.message]
        else:
            flash(_("Uren van %(week)s aangepast; de student krijgt bericht.",
                    week=_week_label(week_start)), "success")  # fmt: skip
            return redirect(url_for("internships.page", internship_id=internship.id,
                                    _anchor="uren"))  # fmt: skip
    g.hours_correction = (week_start, form)
    return _page(internship_id)


@bp.app_template_global("agreed_hours_per_week")
def agreed_hours_per_week(internship) -> float:
    """Hours a week as the agreement in force says (an amendment may change them), else the
    place's: what the placement page's summary shows."""
    return service.planned_per_week(internship)


@bp.app_template_global("hours_attention")
def hours_attention(internships) -> dict[int, int]:
    """Overdue plus missing weeks per placement, for the coordinator's list (one set of queries
    for the whole page)."""
    return service.attention_counts([i.id for i in internships])

"""The meetings section of the placement page: start, midway and final meeting, planned by any
party, notes recorded afterwards by the school or the company (services/meetings.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from stagematch.forms import DateField, SelectField, choices
from stagematch.internships import bp
from stagematch.internships.routes import placement_for_user
from stagematch.internships.sections import section
from stagematch.services import DomainError
from stagematch.services import internships as internship_service
from stagematch.services import meetings as service
from stagematch.timeutil import today

STATUS_LABELS = {
    service.Status.UNPLANNED: _l("Nog niet gepland"),
    service.Status.PLANNED: _l("Gepland"),
    service.Status.HELD: _l("Gehouden"),
    service.Status.MISSED: _l("Gemist"),
}


@section("internships/_meetings.html", order=30)
def meetings_section(internship, side):
    return {"rows": service.rows(internship), "labels": STATUS_LABELS,
            "can_plan": internship.status == "active",
            "can_write_notes": side in ("school", "company")}  # fmt: skip


class MeetingForm(FlaskForm):
    planned_on = DateField(_l("Datum"), validators=[DataRequired(_l("Vul een geldige datum in."))])
    with_student = BooleanField(_l("De student"))
    with_meester = BooleanField(_l("De meester"))
    school_contact = SelectField(_l("Contactpersoon van school"))
    extra = StringField(_l("Verder aanwezig"), validators=[Length(max=service.EXTRA_MAX)],
                        description=_l("Bijvoorbeeld een ouder of de gezel."))  # fmt: skip


class NotesForm(FlaskForm):
    held_on = DateField(
        _l("Gehouden op"), validators=[DataRequired(_l("Vul een geldige datum in."))]
    )
    notes = TextAreaField(
        _l("Wat is er besproken?"),
        validators=[DataRequired(_l("Schrijf kort wat er besproken is.")),
                    Length(max=service.NOTES_MAX)],
    )  # fmt: skip


def _kind_or_404(kind: str) -> str:
    if kind not in service.KINDS:
        abort(404)
    return kind


@bp.route("/<int:internship_id>/gesprekken/<kind>", methods=["GET", "POST"])
@login_required
def meeting(internship_id: int, kind: str):
    """Plan a meeting, or move it (every party), until it is held."""
    internship, side = placement_for_user(internship_id)
    kind = _kind_or_404(kind)
    existing = service.meeting_of(internship, kind)
    planned = service.Attendees.from_text(existing.attendees if existing else "")
    contacts = internship_service.school_contacts(internship)
    form = MeetingForm()
    names = [u.name for u in contacts]
    if planned.school and planned.school not in names:
        names.insert(0, planned.school)
    form.school_contact.choices = choices([("", _("Niemand van school"))] + [(n, n) for n in names])
    student_name = internship.student.user.name if internship.student else ""
    if not form.is_submitted():
        form.planned_on.data = (existing.planned_on if existing and existing.planned_on
                                else service.suggested_date(internship, kind))  # fmt: skip
        form.with_student.data = bool(planned.student) or existing is None
        form.with_meester.data = bool(planned.meester) or existing is None
        default_school = current_user.name if side == "school" else (names[0] if names else "")
        form.school_contact.data = planned.school or (default_school if existing is None else "")
        form.extra.data = planned.extra
    if form.validate_on_submit():
        attendees = service.Attendees(
            student=student_name if form.with_student.data else "",
            meester=internship.meester.name if form.with_meester.data else "",
            school=form.school_contact.data or "",
            extra=(form.extra.data or "").strip(),
        )
        try:
            service.plan(internship, kind=kind, user=current_user, side=side,
                         planned_on=form.planned_on.data, attendees=attendees)  # fmt: skip
        except DomainError as error:
            field = form.planned_on if error.field != "attendees" else form.extra
            field.errors = [*field.errors, error.message]
        else:
            flash(_("Gesprek gepland; de anderen krijgen bericht."), "success")
            return redirect(url_for("internships.page", internship_id=internship.id,
                                    _anchor="gesprekken"))  # fmt: skip
    held = existing is not None and existing.held_on is not None
    return render_template(
        "internships/meeting.html", internship=internship, side=side, kind=kind, form=form,
        label=service.KIND_LABELS[kind], meeting=existing, held=held,
        window=service.window(internship, kind), student_name=student_name,
    ), 422 if form.errors else 200  # fmt: skip


@bp.route("/<int:internship_id>/gesprekken/<kind>/verslag", methods=["GET", "POST"])
@login_required
def meeting_notes(internship_id: int, kind: str):
    """After the date: "gehouden op" and notes (the school or the company)."""
    internship, side = placement_for_user(internship_id)
    kind = _kind_or_404(kind)
    if side not in ("school", "company"):
        abort(403)
    existing = service.meeting_of(internship, kind)
    form = NotesForm()
    if not form.is_submitted() and existing is not None:
        form.held_on.data = existing.held_on or min(existing.planned_on or today(), today())
        form.notes.data = existing.notes
    if form.validate_on_submit():
        try:
            service.record_held(internship, kind=kind, user=current_user, side=side,
                                held_on=form.held_on.data, notes=form.notes.data)  # fmt: skip
        except DomainError as error:
            field = form.notes if error.field == "notes" else form.held_on
            field.errors = [*field.errors, error.message]
        else:
            flash(_("Verslag van het gesprek opgeslagen."), "success")
            return redirect(url_for("internships.page", internship_id=internship.id,
                                    _anchor="gesprekken"))  # fmt: skip
    return render_template(
        "internships/meeting_notes.html", internship=internship, side=side, kind=kind,
        form=form, label=service.KIND_LABELS[kind], meeting=existing,
    ), 422 if form.errors else 200  # fmt: skip

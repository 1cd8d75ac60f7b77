"""Ending a placement early, on the placement page (services/early_ending.py): any party asks,
the requester may withdraw, a coordinator of the school decides (approving takes a second,
confirming step); afterwards the student and the coordinator see help to find a new place."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from stagematch.access import role_required
from stagematch.forms import DateField, RadioField, choices
from stagematch.internships import bp
from stagematch.internships.routes import placement_for_user
from stagematch.internships.sections import section
from stagematch.models.enums import Role
from stagematch.pagination import page_arg, paginate_rows
from stagematch.services import DomainError
from stagematch.services import early_ending as service
from stagematch.timeutil import today

ANCHOR = "beeindigen"
STATUS_LABELS = {
    "open": _l("Wacht op besluit van de school"),
    "approved": _l("Goedgekeurd: de stage is beëindigd"),
    "rejected": _l("Afgewezen: de stage gaat door"),
    "withdrawn": _l("Ingetrokken"),
}


@section("internships/_ending.html", order=50)
def ending_section(internship, side):
    requests = service.history(internship)
    open_request = next((r for r in requests if r.status == "open"), None)
    help_ = service.replacement(internship) if side in ("student", "school") else None
    return {
        "open": open_request, "history": requests, "labels": STATUS_LABELS,
        "reasons": service.REASONS, "sides": service.SIDE_LABELS, "replacement": help_,
        "can_ask": internship.status == "active" and open_request is None,
        "can_withdraw": open_request is not None and open_request.requested_by_id == current_user.id,
        "can_decide": open_request is not None and side == "school",
    }  # fmt: skip


@bp.app_template_global("open_end_request_count")
def open_end_request_count() -> int:
    """Open requests of the coordinator's school (the coordinator's home shows the count)."""
    if not current_user.is_authenticated or current_user.role != Role.COORDINATOR:
        return 0
    return service.open_count(current_user.school_id)


class AskForm(FlaskForm):
    explanation = TextAreaField(
        _l("Waarom moet de stage eerder stoppen?"),
        validators=[DataRequired(_l("Leg kort uit waarom de stage eerder moet stoppen.")),
                    Length(max=service.EXPLANATION_MAX)],
    )  # fmt: skip
    last_day = DateField(
        _l("Voorgestelde laatste stagedag"),
        validators=[DataRequired(_l("Vul een geldige datum in."))],
    )


class DecideForm(FlaskForm):
    decision = RadioField(
        _l("Besluit"),
        choices=choices([("approve", _l("Goedkeuren: de stage stopt")),
                         ("reject", _l("Afwijzen: de stage gaat door"))]),
        validators=[DataRequired(_l("Kies goedkeuren of afwijzen."))],
    )  # fmt: skip
    reason = RadioField(_l("Reden"), validate_choice=False)  # checked by the service
    last_day = DateField(_l("Laatste stagedag"), validators=[Optional()])
    note = TextAreaField(
        _l("Toelichting"), validators=[Length(max=service.NOTE_MAX)],
        description=_l("Verplicht bij afwijzen en bij de reden 'anders'."),
    )  # fmt: skip
    confirmed = HiddenField()


def _back(internship):
    return redirect(url_for("internships.page", internship_id=internship.id, _anchor=ANCHOR))


def _field_error(form, error: DomainError, default: str) -> None:
    field = getattr(form, error.field or default, None) or getattr(form, default)
    field.errors = [*field.errors, error.message]


@bp.route("/<int:internship_id>/beeindigen", methods=["GET", "POST"])
@login_required
def ending_request(internship_id: int):
    """Any party asks to end the placement early."""
    internship, side = placement_for_user(internship_id)
    form = AskForm()
    if not form.is_submitted():
        form.last_day.data = min(
            max(today(), internship.start_date), service.last_day_bounds(internship)[1]
        )
    if form.validate_on_submit():
        try:
            service.ask(internship, user=current_user, side=side,
                        explanation=form.explanation.data, last_day=form.last_day.data)  # fmt: skip
        except DomainError as error:
            _field_error(form, error, "explanation")
        else:
            flash(_("Je verzoek is verstuurd; de school beslist en de anderen krijgen bericht."),
                  "success")  # fmt: skip
            return _back(internship)
    return render_template(
        "internships/ending_request.html", internship=internship, side=side, form=form,
        open=service.open_request(internship), bounds=service.last_day_bounds(internship),
    ), 422 if form.errors else 200  # fmt: skip


@bp.post("/<int:internship_id>/beeindigen/intrekken")
@login_required
def ending_withdraw(internship_id: int):
    """The requester takes back their open request."""
    internship, _side = placement_for_user(internship_id)
    try:
        service.withdraw(internship, user=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Je verzoek is ingetrokken."), "success")
    return _back(internship)


@bp.route("/<int:internship_id>/beeindigen/besluit", methods=["GET", "POST"])
@login_required
def ending_decide(internship_id: int):
    """A coordinator of the student's school decides on the open request. Approving asks for a
    confirmation first: it ends the placement."""
    internship, side = placement_for_user(internship_id)
    if side != "school":
        abort(403)
    open_request = service.open_request(internship)
    form = DecideForm()
    form.reason.choices = choices(list(service.REASONS.items()))
    if not form.is_submitted() and open_request is not None:
        form.last_day.data = open_request.wanted_end
    confirm = False
    if open_request is not None and form.validate_on_submit():
        approve = form.decision.data == "approve"
        try:
            _precheck(form, internship, approve)
            if approve and form.confirmed.data != "1":
                confirm = True  # the second step: show what happens, then confirm
                form.confirmed.data = "1"
            else:
                service.decide(internship, user=current_user, approve=approve,
                               reason_code=form.reason.data, note=form.note.data or "",
                               last_day=form.last_day.data)  # fmt: skip
        except DomainError as error:
            _field_error(form, error, "decision")
        else:
            if not confirm:
                flash(_("De stage is beëindigd; iedereen krijgt bericht.") if approve
                      else _("Het verzoek is afgewezen; iedereen krijgt bericht."), "success")  # fmt: skip
                return _back(internship)
    return render_template(
        "internships/ending_decide.html", internship=internship, side=side, form=form,
        open=open_request, confirm=confirm, reasons=service.REASONS, sides=service.SIDE_LABELS,
        replacement=service.replacement(internship), bounds=service.last_day_bounds(internship),
    ), 422 if form.errors else 200  # fmt: skip


def _precheck(form: DecideForm, internship, approve: bool) -> None:
    """The service's input rules, before the confirming step (the service checks them again)."""
    if approve:
        if form.reason.data not in service.REASONS:
            raise DomainError(_("Kies een reden."), field="reason")
        if form.reason.data == service.OTHER and not (form.note.data or "").strip():
            raise DomainError(_("Schrijf bij 'anders' kort de reden."), field="note")
        service._check_last_day(internship, form.last_day.data)
    elif not (form.note.data or "").strip():
        raise DomainError(_("Schrijf kort waarom de stage doorgaat."), field="note")


@bp.post("/<int:internship_id>/nieuwe-plek/besproken")
@login_required
def replacement_discussed(internship_id: int):
    """The coordinator notes that the suggestions for a new place were discussed."""
    internship, side = placement_for_user(internship_id)
    if side != "school":
        abort(403)
    try:
        service.note_discussed(internship, user=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Genoteerd: de nieuwe plek is besproken."), "success")
    return _back(internship)


@bp.route("/beeindigen")
@role_required(Role.COORDINATOR)
def ending_requests():
    """The coordinator's open requests to end a placement early, oldest first."""
    page = paginate_rows(service.open_requests_statement(current_user.school_id),
                         page_arg(request), per_page=25)  # fmt: skip
    page.items = [row[0] for row in page.items]
    return render_template("internships/ending_requests.html", page=page,
                           sides=service.SIDE_LABELS)  # fmt: skip

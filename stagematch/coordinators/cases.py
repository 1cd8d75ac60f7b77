"""The case page of one flag (`/coordinator/signalen/<id>`): the report, the company, the student,
other reports about the company, owner, priority, history, and the steps to handle it.

Coordinators of the flag's school and administrators only; anyone else gets 404, so a flag's id
tells nothing. Every step goes through `services.cases`; bad input shows the page again with the
text that was typed and a message (422)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from stagematch.coordinators import bp
from stagematch.coordinators.forms import (
    CaseMessageForm,
    CaseNoteForm,
    CaseOwnerForm,
    CasePriorityForm,
    CaseReopenForm,
    FlagResolveForm,
)
from stagematch.forms import choices
from stagematch.models import Flag
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services import cases as service
from stagematch.services.flags import KIND_LABELS


def _case_or_404(flag_id: int) -> Flag:
    flag = service.get_case(user=current_user._get_current_object(), flag_id=flag_id)
    if flag is None:
        abort(404)
    return flag


def _me():
    return current_user._get_current_object()


def render_case(flag: Flag, **bound):
    """The case page; `bound` holds a form that was posted with errors (shown with its input)."""
    case = service.case_view(flag)
    forms = {
        "note_form": CaseNoteForm(formdata=None),
        "message_form": CaseMessageForm(formdata=None),
        "owner_form": CaseOwnerForm(formdata=None, owner=flag.owner_id or 0),
        "priority_form": CasePriorityForm(formdata=None, priority=flag.priority),
        "resolve_form": FlagResolveForm(formdata=None),
        "reopen_form": CaseReopenForm(formdata=None),
        "take_over_form": FlaskForm(formdata=None),
        **bound,
    }
    _owner_choices(forms["owner_form"], case)
    _priority_choices(forms["priority_form"])
    may_own = current_user.has_role(Role.COORDINATOR) and current_user.school_id == flag.school_id
    return render_template(
        "coordinators/case.html", case=case, flag=flag, kinds=KIND_LABELS, priorities=service.PRIORITIES,
        actions=service.ACTION_LABELS, may_own=may_own, **forms,
    ), 422 if bound else 200  # fmt: skip


def _owner_choices(form: CaseOwnerForm, case: service.Case) -> None:
    people = list(case.coordinators)
    if case.owner is not None and case.owner not in people:  # e.g. a deactivated account
        people.append(case.owner)
    form.owner.choices = choices([(0, _("Niemand"))] + [(u.id, u.name) for u in people])


def _priority_choices(form: CasePriorityForm) -> None:
    form.priority.choices = choices(service.PRIORITIES.items())


def _back(flag: Flag, message: str):
    flash(message, "success")
    return redirect(url_for("coordinators.case", flag_id=flag.id))


def _refused(flag: Flag, error: DomainError, form: FlaskForm, field: str, name: str):
    """The page again with the posted form and the service's message on `field`."""
    getattr(form, field).errors = [*getattr(form, field).errors, error.message]
    return render_case(flag, **{name: form})


@bp.route("/signalen/<int:flag_id>")
@login_required
def case(flag_id: int):
    return render_case(_case_or_404(flag_id))


@bp.route("/signalen/<int:flag_id>/notitie", methods=["POST"])
@login_required
def case_note(flag_id: int):
    flag = _case_or_404(flag_id)
    form = CaseNoteForm()
    if not form.validate_on_submit():
        return render_case(flag, note_form=form)
    try:
        service.add_note(flag, by=_me(), note=form.text.data)
    except DomainError as error:
        return _refused(flag, error, form, "text", "note_form")
    return _back(flag, _("Notitie opgeslagen."))


@bp.route("/signalen/<int:flag_id>/eigenaar", methods=["POST"])
@login_required
def case_owner(flag_id: int):
    flag = _case_or_404(flag_id)
    form = CaseOwnerForm()
    _owner_choices(form, service.case_view(flag))
    if not form.validate_on_submit():
        return render_case(flag, owner_form=form)
    try:
        service.set_owner(flag, by=_me(), owner_id=form.owner.data or None)
    except DomainError as error:
        return _refused(flag, error, form, "owner", "owner_form")
    return _back(flag, _("Eigenaar aangepast."))


@bp.route("/signalen/<int:flag_id>/neem-over", methods=["POST"])
@login_required
def case_take_over(flag_id: int):
    flag = _case_or_404(flag_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("Dat ging niet. Probeer het nog eens."), "error")
        return redirect(url_for("coordinators.case", flag_id=flag.id))
    if not (current_user.has_role(Role.COORDINATOR) and current_user.school_id == flag.school_id):
        flash(_("Alleen een coördinator van deze school kan een zaak overnemen."), "error")
        return redirect(url_for("coordinators.case", flag_id=flag.id))
    try:
        service.take_over(flag, by=_me())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("coordinators.case", flag_id=flag.id))
    return _back(flag, _("Je bent nu eigenaar van deze zaak."))


@bp.route("/signalen/<int:flag_id>/prioriteit", methods=["POST"])
@login_required
def case_priority(flag_id: int):
    flag = _case_or_404(flag_id)
    form = CasePriorityForm()
    _priority_choices(form)
    if not form.validate_on_submit():
        return render_case(flag, priority_form=form)
    try:
        service.set_priority(flag, by=_me(), priority=form.priority.data)
    except DomainError as error:
        return _refused(flag, error, form, "priority", "priority_form")
    return _back(flag, _("Prioriteit aangepast."))


@bp.route("/signalen/<int:flag_id>/bericht", methods=["POST"])
@login_required
def case_message(flag_id: int):
    flag = _case_or_404(flag_id)
    form = CaseMessageForm()
    if not form.validate_on_submit():
        return render_case(flag, message_form=form)
    try:
        service.message_student(flag, by=_me(), text=form.message.data)
    except DomainError as error:
        return _refused(flag, error, form, "message", "message_form")
    return _back(flag, _("Bericht verstuurd. De student ziet het bij de melding."))


@bp.route("/signalen/<int:flag_id>/sluiten", methods=["POST"])
@login_required
def case_resolve(flag_id: int):
    flag = _case_or_404(flag_id)
    form = FlagResolveForm()
    if not form.validate_on_submit():
        return render_case(flag, resolve_form=form)
    try:
        service.resolve(flag, by=_me(), note=form.note.data)
    except DomainError as error:
        if flag.resolved_at is not None:  # someone else was first
            flash(error.message, "error")
            return redirect(url_for("coordinators.case", flag_id=flag.id))
        return _refused(flag, error, form, "note", "resolve_form")
    return _back(flag, _("Afgehandeld. Het signaal blijft in de geschiedenis."))


@bp.route("/signalen/<int:flag_id>/heropenen", methods=["POST"])
@login_required
def case_reopen(flag_id: int):
    flag = _case_or_404(flag_id)
    form = CaseReopenForm()
    if not form.validate_on_submit():
        return render_case(flag, reopen_form=form)
    try:
        service.reopen(flag, by=_me(), note=form.reason.data or "")
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("coordinators.case", flag_id=flag.id))
    return _back(flag, _("De zaak is weer open."))


# --- what the student hears back (students/applications.html) -----------------------------------


@bp.app_template_global("case_answers")
def case_answers(application_id: int) -> list[service.Answer]:
    """The signed-in student's reports about an application, with the coordinator's messages.
    Looked up once per request for all of the student's applications."""
    if not current_user.is_authenticated or not current_user.has_role(Role.STUDENT):
        return []
    profile = current_user.profile
    if profile is None:
        return []
    answers = getattr(request, "_case_answers", None)
    if answers is None:
        answers = service.answers_for_student(profile.id)
        request._case_answers = answers
    return answers.get(application_id, [])

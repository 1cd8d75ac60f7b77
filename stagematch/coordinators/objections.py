"""Objections to suggestions, for the coordinator who answers them (issue 19 item 3):
`/coordinator/bezwaren` (open first, 50 a page, the counts of the oversight report on top) and
`/coordinator/bezwaren/<id>` (the explanation as the objector saw it, and the answer form).

Coordinators see their own school's objections; administrators see all (they get the objections
of a school without a coordinator). For anyone else an objection does not exist (404)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from stagematch.access import role_required
from stagematch.coordinators import bp
from stagematch.extensions import db
from stagematch.models.enums import Role
from stagematch.pagination import page_arg
from stagematch.services import DomainError, explanations
from stagematch.services import objections as service

PAGE_SIZE = 50


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Je antwoord"),
        description=_l("De indiener leest dit op de eigen pagina Mijn bezwaren en in de melding."),
        validators=[
            DataRequired(_l("Schrijf een antwoord van minstens 3 tekens.")),
            Length(
                min=service.ANSWER_MIN,
                max=service.ANSWER_MAX,
                message=_l("Schrijf tussen 3 en 2000 tekens."),
            ),
        ],  # fmt: skip
    )


def _school_id() -> int | None:
    return None if current_user.has_role(Role.ADMIN) else current_user.school_id


@bp.route("/bezwaren")
@role_required(Role.COORDINATOR, Role.ADMIN)
def objections():
    school_id = _school_id()
    page = db.paginate(service.handler_statement(school_id), page=page_arg(), per_page=PAGE_SIZE,
                       error_out=False)  # fmt: skip
    return render_template("coordinators/objections.html", page=page,
                           counts=service.counts(school=school_id))  # fmt: skip


@bp.route("/bezwaren/<int:objection_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def objection(objection_id: int):
    item = service.get_for_handler(
        user=current_user._get_current_object(), objection_id=objection_id
    )
    if item is None:
        abort(404)
    form = AnswerForm()
    if item.answered_at is None and form.validate_on_submit():
        try:
            service.answer(objection=item, user=current_user._get_current_object(),
                           text=form.answer.data)  # fmt: skip
        except DomainError as error:
            form.answer.errors = [*form.answer.errors, error.message]
        else:
            flash(_("Je antwoord is verstuurd."), "success")
            return redirect(url_for("coordinators.objection", objection_id=item.id))
    elif item.answered_at is not None and form.is_submitted():
        form.answer.errors = [_("Dit bezwaar is al beantwoord.")]
    html = render_template("coordinators/objection.html", o=item, form=form,
                           e=explanations.readable(item.explanation))  # fmt: skip
    return html, 422 if form.errors else 200

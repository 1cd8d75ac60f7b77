"""Allocation rounds for the coordinator: open a round for a cohort, follow who has chosen, compute
the stable allocation, review it and publish it as offers."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from stagematch.access import ensure, role_required
from stagematch.coordinators import bp
from stagematch.csvutil import csv_response, to_csv
from stagematch.extensions import db
from stagematch.forms import DateField, IntegerField, SelectField, choices
from stagematch.models import (
    AllocationRound,
    Application,
    Job,
    Placement,
    Qualification,
    RoundChoice,
    RoundPlace,
    RoundStatus,
    RoundStudent,
    StudentProfile,
    User,
)
from stagematch.models.enums import Role
from stagematch.pagination import page_arg, paginate_rows
from stagematch.services import DomainError, list_order
from stagematch.services import allocation_rounds as service
from stagematch.timeutil import today

ROUND_STATUS = {
    RoundStatus.OPEN: _l("open: studenten en meesters kiezen"),
    RoundStatus.COMPUTED: _l("berekend: nog niet gepubliceerd"),
    RoundStatus.PUBLISHED: _l("gepubliceerd: aanbiedingen verstuurd"),
}


ROUND_ORDER_CHOICES = [
    ("model", _l("Beste match (model)")),
    ("distance", _l("Afstand, zonder model (dichtstbij eerst)")),
]


class RoundForm(FlaskForm):
    name = StringField(
        _l("Naam van de ronde"),
        validators=[DataRequired(_l("Geef de ronde een naam.")), Length(max=120)],
        description=_l("Bijvoorbeeld: Verzorgende IG, start februari"),
    )
    qualification = SelectField(_l("Opleiding"), coerce=int, validators=[Optional()])
    leerweg = SelectField(
        _l("Leerweg"),
        choices=choices([("", _l("BOL en BBL")), ("BOL", "BOL"), ("BBL", "BBL")]),
        validators=[Optional()],
    )
    level = SelectField(
        _l("Niveau"),
        choices=choices([("", _l("Alle niveaus"))] + [(str(n), str(n)) for n in range(1, 5)]),
        validators=[Optional()],
    )
    closes_on = DateField(
        _l("Kiezen kan tot en met"),
        validators=[DataRequired(_l("Vul een geldige datum in."))],
        description=_l("Daarna bereken je de verdeling."),
    )
    max_choices = IntegerField(
        _l("Aantal keuzes per student"),
        default=5,
        validators=[
            DataRequired(_l("Vul een aantal in.")),
            NumberRange(1, 20, _l("Kies tussen 1 en 20.")),
        ],
    )
    order = SelectField(
        _l("Startvolgorde"), choices=choices(ROUND_ORDER_CHOICES), default=service.MODEL
    )


def _remembered_order() -> str:
    """The coordinator's remembered order as a round's order: anything but the model's is
    distance (a round has no start-date order)."""
    return service.MODEL if list_order.order_of(current_user) == service.MODEL else service.DISTANCE


def _remember(order: str) -> None:
    if list_order.order_of(current_user) != order:
        list_order.set_list_order(user=current_user._get_current_object(), order=order)


def _school():
    return current_user.school


def _round(round_id: int) -> AllocationRound:
    round_ = db.get_or_404(AllocationRound, round_id)
    ensure(round_.school_id == _school().id)
    return round_


@bp.route("/verdeelrondes")
@role_required(Role.COORDINATOR)
def rounds():
    school = _school()
    items = db.session.execute(
        select(
            AllocationRound,
            select(func.count(RoundStudent.id))
            .where(RoundStudent.round_id == AllocationRound.id)
            .scalar_subquery()
            .label("students"),
            select(func.count(RoundPlace.id))
            .where(RoundPlace.round_id == AllocationRound.id)
            .scalar_subquery()
            .label("places"),
        )
        .where(AllocationRound.school_id == school.id)
        .order_by(AllocationRound.id.desc())
    ).all()
    return render_template("coordinators/allocation_rounds.html", items=items, labels=ROUND_STATUS)


@bp.route("/verdeelrondes/nieuw", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new_round():
    school = _school()
    form = RoundForm()
    counts = db.session.execute(
        service.eligible_students_statement(school, service.Cohort())
        .with_only_columns(Qualification.id, Qualification.crebo, Qualification.name, func.count())
        .select_from(StudentProfile)
        .join(Qualification, Qualification.id == StudentProfile.qualification_id)
        .group_by(Qualification.id, Qualification.crebo, Qualification.name)
        .order_by(None)
        .order_by(Qualification.name)
    ).all()
    total = sum(c[3] for c in counts)
    form.qualification.choices = choices(
        [(0, _("Alle opleidingen (%(n)s studenten)", n=total))]
        + [(q, _("%(crebo)s %(name)s (%(n)s)", crebo=crebo, name=name, n=n)) for q, crebo, name, n in counts]
    )  # fmt: skip
    if request.method == "GET":
        form.closes_on.data = today() + timedelta(days=14)
        form.order.data = _remembered_order()
    if form.validate_on_submit():
        cohort = service.Cohort(
            qualification_id=form.qualification.data or None,
            leerweg=form.leerweg.data or None,
            level=int(form.level.data) if form.level.data else None,
        )
        try:
            round_ = service.open_round(
                school=school, name=form.name.data, closes_on=form.closes_on.data,
                max_choices=form.max_choices.data, cohort=cohort, created_by=current_user,
                order=form.order.data,
            )  # fmt: skip
        except DomainError as error:
            target = getattr(form, error.field, None) if error.field else None
            if target is not None:
                target.errors = [*target.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            _remember(form.order.data)
            flash(
                _(
                    "De ronde is open: %(students)s studenten kunnen kiezen uit %(places)s plekken.",
                    students=len(round_.students),
                    places=len(round_.places),
                ),
                "success",
            )
            return redirect(url_for("coordinators.round_detail", round_id=round_.id))
    status = 422 if request.method == "POST" else 200
    return render_template("coordinators/allocation_new.html", form=form, total=total), status


def _students_statement(round_: AllocationRound):
    choices_count = (
        select(func.count(RoundChoice.id))
        .where(RoundChoice.round_id == round_.id, RoundChoice.student_id == RoundStudent.student_id)
        .scalar_subquery()
    )
    offer_status = (
        select(Application.status)
        .where(
            Application.round_id == round_.id,
            Application.student_id == RoundStudent.student_id,
        )
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            StudentProfile.id.label("profile_id"),
            StudentProfile.student_number,
            User.name,
            Qualification.crebo,
            StudentProfile.level,
            StudentProfile.leerweg,
            StudentProfile.city,
            RoundStudent.choices_saved_at,
            choices_count.label("choices"),
            Placement.id.label("placement_id"),
            Placement.title.label("placement"),
            Placement.city.label("placement_city"),
            RoundStudent.result_note,
            offer_status.label("offer_status"),
        )
        .join(StudentProfile, StudentProfile.id == RoundStudent.student_id)
        .join(User, User.id == StudentProfile.user_id)
        .join(Qualification, Qualification.id == StudentProfile.qualification_id)
        .outerjoin(Placement, Placement.id == RoundStudent.assigned_placement_id)
        .where(RoundStudent.round_id == round_.id)
    )


RESULT_FILTERS = {
    "": _l("Iedereen"),
    "geplaatst": _l("Met plek"),
    "zonder": _l("Zonder plek"),
    "niet-gekozen": _l("Nog niet zelf gekozen"),
}


@bp.route("/verdeelrondes/<int:round_id>")
@role_required(Role.COORDINATOR)
def round_detail(round_id: int):
    round_ = _round(round_id)
    stmt = _students_statement(round_)
    shown = request.args.get("toon", "")
    if shown == "geplaatst":
        stmt = stmt.where(RoundStudent.assigned_placement_id.is_not(None))
    elif shown == "zonder":
        stmt = stmt.where(RoundStudent.assigned_placement_id.is_(None))
    elif shown == "niet-gekozen":
        stmt = stmt.where(RoundStudent.choices_saved_at.is_(None))
    else:
        shown = ""
    stmt = stmt.order_by(User.name, StudentProfile.id)
    if request.args.get("formaat") == "csv":
        header = ["studentnummer", "naam", "crebo", "niveau", "leerweg", "woonplaats",
                  "zelf gekozen", "keuzes", "plek", "plaats plek", "reden zonder plek", "aanbod"]  # fmt: skip
        rows = [[r.student_number or "", r.name, r.crebo, r.level, r.leerweg, r.city or "",
                 "ja" if r.choices_saved_at else "nee", r.choices, r.placement or "", r.placement_city or "",
                 r.result_note, r.offer_status or ""] for r in db.session.execute(stmt)]  # fmt: skip
        return csv_response(to_csv(header, rows), f"verdeelronde-{round_.id}.csv")
    page = paginate_rows(stmt, page_arg(request))
    counts = db.session.execute(
        select(
            func.count(RoundStudent.id),
            func.count(RoundStudent.choices_saved_at),
            func.count(RoundStudent.assigned_placement_id),
        ).where(RoundStudent.round_id == round_.id)
    ).one()
    seats = db.session.scalar(
        select(func.coalesce(func.sum(Placement.seats), 0))
        .join(RoundPlace, RoundPlace.placement_id == Placement.id)
        .where(RoundPlace.round_id == round_.id)
    )
    uses = service.capacity_use(round_) if round_.status != RoundStatus.OPEN else []
    return render_template(
        "coordinators/allocation_round.html", round=round_, page=page, counts=counts,
        places=len(round_.places), seats=seats, uses=uses, labels=ROUND_STATUS,
        shown=shown, filters=RESULT_FILTERS, job=service.compute_job_for(round_),
        order=_remembered_order(), order_choices=ROUND_ORDER_CHOICES,
    )  # fmt: skip


def _round_step(round_id: int, step, message):
    """Run one step of the round (`step(round_) -> result`); flash `message(result)` or the reason
    it could not be done; back to the round's page either way."""
    round_ = _round(round_id)
    try:
        result = step(round_)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(message(result), "success")
    return redirect(url_for("coordinators.round_detail", round_id=round_id))


@bp.post("/verdeelrondes/<int:round_id>/berekenen")
@role_required(Role.COORDINATOR)
def round_compute(round_id: int):
    """A small round is computed at once; a large one in the job queue, whose page follows it."""
    round_ = _round(round_id)
    order = request.form.get("order") or _remembered_order()
    try:
        outcome = service.start_compute(round_, by=current_user, order=order)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("coordinators.round_detail", round_id=round_id))
    _remember(order)
    if isinstance(outcome, Job):
        return redirect(url_for("main.job", job_id=outcome.id))
    flash(_("Berekend: %(assigned)s van de %(students)s studenten hebben een plek, %(unassigned)s nog "
            "niet. Bekijk de verdeling en publiceer als ze klopt.", assigned=outcome.assigned,
            students=outcome.students, unassigned=outcome.unassigned), "success")  # fmt: skip
    return redirect(url_for("coordinators.round_detail", round_id=round_id))


@bp.post("/verdeelrondes/<int:round_id>/heropenen")
@role_required(Role.COORDINATOR)
def round_reopen(round_id: int):
    return _round_step(
        round_id,
        lambda round_: service.reopen(round_, by=current_user),
        lambda _result: _(
            "De ronde is weer open: studenten en meesters kunnen hun keuzes aanpassen."
        ),
    )


def _publish(round_: AllocationRound):
    return service.publish(round_.id, by=current_user)  # publish tells students and companies


@bp.post("/verdeelrondes/<int:round_id>/publiceren")
@role_required(Role.COORDINATOR)
def round_publish(round_id: int):
    return _round_step(
        round_id,
        _publish,
        lambda offers: _(
            "Gepubliceerd: %(n)s studenten hebben een aanbod gekregen en een e-mail.",
            n=len(offers),
        ),
    )


@bp.post("/verdeelrondes/<int:round_id>/verwijderen")
@role_required(Role.COORDINATOR)
def round_delete(round_id: int):
    round_ = _round(round_id)
    try:
        service.delete_round(round_, by=current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("coordinators.round_detail", round_id=round_id))
    flash(_("De ronde is verwijderd."), "success")
    return redirect(url_for("coordinators.rounds"))

"""A student's side of an allocation round (rank the places on offer), and answering offers:
taking or declining an offer from a round or from a company goes through the same views."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from stagematch.access import ensure, role_required
from stagematch.extensions import db
from stagematch.geo import distance_km
from stagematch.inputs import MAX_ID, parse_int
from stagematch.matching.model import match_label
from stagematch.models import AllocationRound, Application, Placement, RoundStatus, RoundStudent
from stagematch.models.enums import ApplicationStatus, Role
from stagematch.services import DomainError
from stagematch.services import allocation_rounds as service
from stagematch.services import applications as application_service
from stagematch.students import bp
from stagematch.students.routes import _own_application, _profile, accept_offer_form
from stagematch.templating import format_date
from stagematch.timeutil import today


def _member_round(round_id: int) -> tuple[AllocationRound, RoundStudent]:
    round_ = db.get_or_404(AllocationRound, round_id)
    member = db.session.scalar(
        select(RoundStudent).where(
            RoundStudent.round_id == round_.id, RoundStudent.student_id == _profile().id
        )
    )
    ensure(member is not None)
    return round_, member


def _parse_ranks(form, allowed: set[int]) -> tuple[dict[int, int], dict[int, str]]:
    """Form fields rang-<place id> → {place id: rank}; also the raw values to show back."""
    ranks, raw = {}, {}
    for key, value in form.items():
        if not key.startswith("rang-"):
            continue
        place_id = parse_int(key.removeprefix("rang-"), lo=1, hi=MAX_ID)
        if place_id not in allowed:
            continue
        raw[place_id] = value
        if value.strip():
            rank = parse_int(value, lo=1, hi=MAX_ID)
            if rank is None:
                raise DomainError(_("Kies een nummer uit de lijst."))
            ranks[place_id] = rank
    return ranks, raw


@bp.route("/verdeelronde/<int:round_id>", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def allocation_round(round_id: int):
    round_, member = _member_round(round_id)
    profile = _profile()
    options = service.student_options(round_, profile)
    placements = {
        p.id: p
        for p in db.session.scalars(
            select(Placement).where(Placement.id.in_([pid for pid, _s in options]))
        )
    }
    current = service.student_choices(round_, profile.id)
    ranks = {pid: i for i, pid in enumerate(current, start=1)}
    raw: dict[int, str] = {}
    error = None
    status = 200
    if request.method == "POST":
        try:
            ranks, raw = _parse_ranks(request.form, set(placements))
            service.save_student_choices(round_, profile, ranks)
        except DomainError as problem:
            error = problem.message
            status = 422
        else:
            flash(_("Je keuzes zijn opgeslagen. Je kunt ze aanpassen tot en met %(date)s.",
                    date=format_date(round_.closes_on)), "success")  # fmt: skip
            return redirect(url_for("students.allocation_round", round_id=round_.id))
    rows = []
    for pid, score in options:
        placement = placements[pid]
        rows.append(
            dict(
                placement=placement,
                label=match_label(score),
                km=distance_km(profile.lat, profile.lon, placement.lat, placement.lon),
                rank=raw.get(pid, str(ranks.get(pid, ""))) if raw else str(ranks.get(pid, "")),
            )  # fmt: skip
        )
    editable = round_.status == RoundStatus.OPEN and round_.closes_on >= today()
    return render_template(
        "students/allocation_round.html", round=round_, member=member, rows=rows, error=error,
        editable=editable,
    ), status  # fmt: skip


@bp.post("/sollicitaties/<int:application_id>/aanbod-aannemen")
@role_required(Role.STUDENT)
def accept_offer(application_id: int):
    """Take an offer (from a company or an allocation round), withdrawing the ticked others."""
    application = _own_application(application_id)
    if application.status != ApplicationStatus.OFFERED:
        flash(_("Dit aanbod is al afgehandeld."), "error")
        return redirect(url_for("students.applications"))
    mine = db.session.scalars(
        select(Application).where(Application.student_id == application.student_id)
    ).all()
    form = accept_offer_form(application, mine, formdata=request.form)
    if not form.validate_on_submit():
        flash(_("Dat ging niet goed. Probeer het opnieuw."), "error")
        return redirect(url_for("students.applications"))
    company = application.placement.company.name
    try:
        application_service.accept_offer(
            application.id,
            withdraw_ids=form.withdraw.data or [],
            by=current_user._get_current_object(),
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Gefeliciteerd! Je stage bij %(company)s staat vast. Je school ziet het ook.",
                company=company), "success")  # fmt: skip
    return redirect(url_for("students.applications"))


@bp.post("/sollicitaties/<int:application_id>/aanbod-afslaan")
@role_required(Role.STUDENT)
def decline_offer(application_id: int):
    application = _own_application(application_id)
    try:
        application_service.decline_offer(application.id, by=current_user._get_current_object())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Je hebt het aanbod afgeslagen. Het leerbedrijf krijgt bericht."), "success")
    return redirect(url_for("students.applications"))

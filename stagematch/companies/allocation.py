"""A leerbedrijf's side of an allocation round: for each meester, rank the students who chose his
places. Students stay anonymous here; the model's order is the starting order."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from stagematch.access import ensure, role_required
from stagematch.companies import bp
from stagematch.extensions import db
from stagematch.inputs import MAX_ID, form_int, parse_int
from stagematch.models import AllocationRound, Mentor, RoundStatus
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services import allocation_rounds as service
from stagematch.timeutil import today


def _company_round(round_id: int) -> AllocationRound:
    round_ = db.get_or_404(AllocationRound, round_id)
    ensure(round_ in service.rounds_for_company(current_user.company_id))
    return round_


def _queue_mentor(round_: AllocationRound, mentor_id: int) -> Mentor:
    """The firm's own mentor, or a network partner's meester who has a queue of this firm's
    places in the round (issue 18)."""
    mentor = db.get_or_404(Mentor, mentor_id)
    if mentor.company_id != current_user.company_id:
        queues = service.meester_queues(round_, current_user.company_id)
        ensure(any(q.mentor.id == mentor.id for q in queues))
    return mentor


@bp.route("/verdeelrondes/<int:round_id>", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def allocation_round(round_id: int):
    round_ = _company_round(round_id)
    errors: dict[int, str] = {}
    submitted: dict[int, dict[int, str]] = {}
    status = 200
    if request.method == "POST":
        mentor_id = form_int("meester")
        mentor = _queue_mentor(round_, mentor_id) if mentor_id is not None else None
        if mentor is None:
            return redirect(url_for("companies.allocation_round", round_id=round_.id))
        raw = {
            student_id: value.strip()
            for key, value in request.form.items()
            if key.startswith("rang-")
            and (student_id := parse_int(key.removeprefix("rang-"), lo=1, hi=MAX_ID)) is not None
        }
        try:
            ranks = {sid: parse_int(v, lo=1, hi=MAX_ID) for sid, v in raw.items() if v}
            if None in ranks.values():
                raise DomainError(_("Kies een nummer uit de lijst."))
            service.save_meester_ranking(round_, mentor, ranks, by=current_user,
                                         company_id=current_user.company_id)  # fmt: skip
        except DomainError as error:
            errors[mentor.id] = error.message
            submitted[mentor.id] = raw
            status = 422
        else:
            flash(_("De volgorde voor %(name)s is opgeslagen.", name=mentor.name), "success")
            return redirect(url_for("companies.allocation_round", round_id=round_.id))
    queues = service.meester_queues(round_, current_user.company_id)
    editable = round_.status == RoundStatus.OPEN and round_.closes_on >= today()
    page = render_template(
        "companies/allocation_round.html", round=round_, queues=queues, errors=errors,
        submitted=submitted, editable=editable,
    )  # fmt: skip
    if status == 200:  # after rendering: the log commits
        service.log_meester_queues(round_, queues, who=current_user.id)
    return page, status

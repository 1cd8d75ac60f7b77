"""The coordinator's review of place texts that may discriminate (issue 19, item 7): the queue
and the page per check, where the coordinator approves (the place is published) or rejects it
with a note."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from stagematch.access import role_required
from stagematch.coordinators import bp
from stagematch.extensions import db
from stagematch.models import AdCheck
from stagematch.models.enums import Role
from stagematch.pagination import RowPage, page_arg
from stagematch.services import DomainError, fair_ads

PAGE_SIZE = 50
MAX_NOTE = 2000


@bp.route("/advertenties")
@role_required(Role.COORDINATOR)
def ad_checks():
    checks = fair_ads.queue_for(current_user.school)
    pages = max(1, -(-len(checks) // PAGE_SIZE))
    page_no = min(page_arg(request), pages)
    items = checks[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]
    page = RowPage(items, len(checks), page_no, PAGE_SIZE)
    open_total = sum(1 for c in checks if c.status == fair_ads.OPEN)
    return render_template("coordinators/ad_checks.html", page=page, open_total=open_total,
                           categories=fair_ads.CATEGORY_LABELS)  # fmt: skip


def _reviewable(check_id: int) -> AdCheck:
    check = db.session.get(AdCheck, check_id)
    if check is None or not fair_ads.may_review(current_user, check):
        abort(404)
    return check


@bp.route("/advertenties/<int:check_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def ad_check(check_id: int):
    check = _reviewable(check_id)
    error, note, status = "", "", 200
    if request.method == "POST":
        decision = request.form.get("decision", "")
        note = request.form.get("note", "")[: MAX_NOTE + 1]
        if decision not in ("approve", "reject"):
            error, status = _("Kies goedkeuren of afkeuren."), 422
        elif len(note) > MAX_NOTE:
            error, status = _("Schrijf hoogstens 2000 tekens."), 422
        else:
            try:
                problems = fair_ads.decide(check, approve=decision == "approve", note=note,
                                           by=current_user._get_current_object())  # fmt: skip
            except DomainError as refused:
                error, status = refused.message, 422
            else:
                if decision == "reject":
                    flash(_("De tekst is afgekeurd; het bedrijf hoort waarom."), "success")
                elif problems:
                    flash(_("De tekst is goedgekeurd, maar de plek kan nog niet online:") + " "
                          + " ".join(p.message for p in problems), "warning")  # fmt: skip
                else:
                    flash(_("De tekst is goedgekeurd; de plek staat online."), "success")
                return redirect(url_for("coordinators.ad_check", check_id=check.id))
            check = _reviewable(check_id)
    texts = fair_ads.placement_texts(check.placement) if check.placement else {}
    marked = {f: fair_ads.highlight(t, check.hits, f) for f, t in texts.items() if t}
    return render_template(
        "coordinators/ad_check.html", check=check, marked=marked, error=error, note=note,
        fields=fair_ads.FIELD_LABELS, categories=fair_ads.CATEGORY_LABELS,
        explanation=fair_ads.explain(check.hits),
    ), status  # fmt: skip

"""The assessment section of the placement page: the meester's judgement per work process and
the school's decision (services/assessments.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from stagematch.forms import choices
from stagematch.inputs import parse_int
from stagematch.internships import bp
from stagematch.internships.routes import placement_for_user
from stagematch.internships.sections import section
from stagematch.services import DomainError
from stagematch.services import assessments as service
from stagematch.timeutil import today


@section("internships/_assessment.html", order=40)
def assessment_section(internship, side):
    assessment = internship.assessment
    submitted = assessment is not None and assessment.submitted_at is not None
    return {"assessment": assessment, "submitted": submitted, "open": service.is_open(internship),
            "opens_on": service.opens_on(internship), "decisions": service.DECISIONS}  # fmt: skip


class RemarkForm(FlaskForm):
    remark = TextAreaField(
        _l("Toelichting"), validators=[Length(max=service.REMARK_MAX)],
        description=_l("Wat gaat goed, wat kan beter? De student leest dit."),
    )  # fmt: skip


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Besluit van de school"),
        choices=choices([(k.value, v) for k, v in service.DECISIONS.items()]),
        validators=[DataRequired(_l("Kies voldaan of niet voldaan."))],
    )
    remark = TextAreaField(
        _l("Toelichting"), validators=[Length(max=service.REMARK_MAX)],
        description=_l("Nodig bij niet voldaan."),
    )  # fmt: skip


def _posted_scores(items: service.Items) -> tuple[dict[int, int | None], bool]:
    """The scores of the form (`score-<id>`: 1–4 or empty) and whether any value was invalid."""
    scores: dict[int, int | None] = {}
    invalid = False
    for process in items.processes:
        text = request.form.get(f"score-{process.id}", "").strip()
        value = parse_int(text, lo=1, hi=4) if text else None
        invalid = invalid or (bool(text) and value is None)
        scores[process.id] = value
    return scores, invalid


@bp.route("/<int:internship_id>/beoordeling", methods=["GET", "POST"])
@login_required
def assessment(internship_id: int):
    """The meester fills it in (from three weeks before the end); student and school read it
    once it is submitted."""
    internship, side = placement_for_user(internship_id)
    items = service.items_for(internship)
    current = internship.assessment
    submitted = current is not None and current.submitted_at is not None
    form = RemarkForm()
    scores = service.scores_of(current)
    errors: list[str] = []
    if request.method == "POST":
        if side != "company":
            abort(403)
        posted, invalid = _posted_scores(items)
        scores = {k: v for k, v in posted.items() if v is not None}
        if invalid:
            errors.append(_("Kies per werkproces onvoldoende, voldoende, goed of uitstekend."))
        if form.validate_on_submit() and not invalid:
            submit = request.form.get("action") == "versturen"
            try:
                service.save(internship, user=current_user, scores=posted,
                             remark=form.remark.data or "", submit=submit)  # fmt: skip
            except DomainError as error:
                if error.field == "remark":
                    form.remark.errors = [*form.remark.errors, error.message]
                else:
                    errors.append(error.message)
            else:
                flash(_("Beoordeling verstuurd.") if submit else _("Concept bewaard."), "success")
                return redirect(url_for("internships.assessment", internship_id=internship.id))
    elif current is not None:
        form.remark.data = current.remark
    editable = side == "company" and not submitted and service.is_open(internship)
    failed = bool(errors or form.errors)
    return render_template(
        "internships/assessment.html", internship=internship, side=side, items=items,
        assessment=current, submitted=submitted, editable=editable, form=form, scores=scores,
        errors=errors, labels=service.SCORES, decisions=service.DECISIONS,
        opens_on=service.opens_on(internship), today=today(),
    ), 422 if failed else 200  # fmt: skip


@bp.route("/<int:internship_id>/beoordeling/besluit", methods=["GET", "POST"])
@login_required
def assessment_decision(internship_id: int):
    """The coordinator records the school's decision on the submitted assessment."""
    internship, side = placement_for_user(internship_id)
    if side != "school":
        abort(403)
    current = internship.assessment
    if current is None or current.submitted_at is None:
        flash(_("Het leerbedrijf heeft de beoordeling nog niet verstuurd."), "info")
        return redirect(url_for("internships.assessment", internship_id=internship.id))
    if current.school_decision is not None:
        return redirect(url_for("internships.assessment", internship_id=internship.id))
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            completed = service.decide(internship, user=current_user, decision=form.decision.data,
                                       remark=form.remark.data or "")  # fmt: skip
        except DomainError as error:
            field = form.remark if error.field == "remark" else form.decision
            field.errors = [*field.errors, error.message]
        else:
            flash(_("Besluit vastgelegd; de stage is afgerond.") if completed
                  else _("Besluit vastgelegd."), "success")  # fmt: skip
            return redirect(url_for("internships.page", internship_id=internship.id))
    return render_template(
        "internships/assessment_decision.html", internship=internship, side=side, form=form,
        assessment=current, today=today(),
    ), 422 if form.errors else 200  # fmt: skip

"""EVC (issue 18): a coordinator reads what a learner of the school says they can already do per
work process, with their work experience, and confirms or adjusts it (audited)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from stagematch.access import ensure, role_required
from stagematch.coordinators import bp
from stagematch.extensions import db
from stagematch.inputs import MAX_ID, parse_int
from stagematch.models import StudentProfile
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services import adults as service
from stagematch.students.adults import LEVEL_LABELS


@bp.route("/studenten/<int:profile_id>/evc", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def evc(profile_id: int):
    profile = db.get_or_404(StudentProfile, profile_id)
    # A learner without a school, or of another school, is not this coordinator's to see.
    ensure(profile.school_id is not None and profile.school_id == current_user.school_id)
    errors, status = [], 200
    if request.method == "POST":
        levels, notes = {}, {}
        try:
            for key, value in request.form.items():
                if key.startswith(("level-", "note-")):
                    process_id = parse_int(key.split("-", 1)[1], lo=1, hi=MAX_ID)
                    if process_id is None:
                        raise DomainError(_("Dit werkproces hoort niet bij de opleiding."))
                    if key.startswith("level-") and value:
                        levels[process_id] = value
                    elif key.startswith("note-"):
                        notes[process_id] = value
            service.confirm(profile, levels=levels, notes={k: v for k, v in notes.items() if k in levels},
                            by=current_user._get_current_object())  # fmt: skip
        except DomainError as error:
            db.session.rollback()
            errors, status = [error.message], 422
        else:
            flash(_("De EVC is bevestigd."), "success")
            return redirect(url_for("coordinators.evc", profile_id=profile.id))
    return render_template(
        "coordinators/evc.html", profile=profile, rows=service.claims_of(profile),
        labels=LEVEL_LABELS, errors=errors, form=request.form if errors else None,
    ), status  # fmt: skip

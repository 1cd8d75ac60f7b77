from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from stagematch.access import role_required
from stagematch.extensions import db
from stagematch.models import Application
from stagematch.models.enums import Role
from stagematch.students import bp


def profile_checklist(profile) -> list[tuple[str, bool]]:
    """What a good match needs, in the student's words; drives the progress bar."""
    return [
        ("Opleiding en leerweg", profile.qualification_id is not None),
        ("Woonplaats", profile.city is not None),
        ("Vanaf wanneer je kunt beginnen", profile.available_from is not None),
        ("Wat je kunt (vaardigheden)", bool(profile.skills.strip())),
        ("Wat je leuk vindt (interesses)", bool(profile.interests.strip())),
        ("Een korte motivatie", len(profile.motivation.strip()) >= 40),
    ]


@bp.route("/")
@role_required(Role.STUDENT)
def home():
    profile = current_user.profile
    checklist = profile_checklist(profile) if profile else []
    applications = (
        db.session.scalars(
            select(Application)
            .where(Application.student_id == profile.id)
            .order_by(Application.created_at.desc())
            .limit(10)
        ).all()
        if profile
        else []
    )
    return render_template(
        "students/home.html", profile=profile, checklist=checklist, applications=applications
    )

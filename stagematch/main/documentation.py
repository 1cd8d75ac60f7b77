"""The generated documentation pages (issue 19 item 5): a model version's technical
documentation for administrators, and the instructions for the schools' coordinators (the
deployers) for the version that ranks now, or the rule when none does."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select

from stagematch.access import role_required
from stagematch.extensions import db
from stagematch.main import bp
from stagematch.models import ModelVersion
from stagematch.models.enums import Role
from stagematch.services import ai_documentation


@bp.route("/beheer/model/<int:version_id>/documentatie")
@role_required(Role.ADMIN)
def model_documentation(version_id: int):
    version = db.get_or_404(ModelVersion, version_id)
    return render_template(
        "main/ai_documentation.html", version=version, back=True,
        heading=_("Technische documentatie, versie %(id)s", id=version.id),
        sections=ai_documentation.technical_documentation(version),
    )  # fmt: skip


@bp.route("/coordinator/uitleg")
@role_required(Role.COORDINATOR, Role.ADMIN)
def deployer_instructions():
    version = db.session.scalars(select(ModelVersion).where(ModelVersion.active)).first()
    return render_template(
        "main/ai_documentation.html", version=version, back=False,
        heading=_("Instructies voor scholen: de volgorde van StageMatch"),
        sections=ai_documentation.deployer_instructions(version),
    )  # fmt: skip

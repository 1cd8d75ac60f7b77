"""An administrator's decision on activating a model version (issue 19, part 6): they read what
would change for which groups (`ranking.review`), and activate it or not, with a reason. The
decision, the reason and the review's figures are kept in the audit log ('model.review')."""

from __future__ import annotations

from flask_babel import gettext as _

from stagematch.extensions import db
from stagematch.models import ModelVersion, User
from stagematch.ranking.registry import activate, refusal
from stagematch.services import DomainError
from stagematch.services.audit import record

ACTIVATE, KEEP = "activeren", "niet-activeren"
NOTE_MIN, NOTE_MAX = 10, 2000


def decide_activation(version: ModelVersion, *, by: User | None, decision: str, note: str,
                      summary: dict) -> bool:  # fmt: skip
    """Record the decision on `version` (and activate it when that is the decision); returns
    whether it is active now. A version that fails the gate cannot be activated."""
    note = (note or "").strip()
    if decision not in (ACTIVATE, KEEP):
        raise DomainError(_("Kies of je deze versie activeert of niet."), "decision")
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        raise DomainError(
            _("Schrijf in %(min)s tot %(max)s tekens waarom.", min=NOTE_MIN, max=NOTE_MAX), "note"
        )
    if decision == ACTIVATE:
        reason = refusal(version)
        if reason is not None:
            raise DomainError(reason)
    record("model.review", version, actor=by, decision=decision, note=note, review=summary)
    if decision == ACTIVATE:
        activate(version)  # commits the audit event with it
        return True
    db.session.commit()
    return False

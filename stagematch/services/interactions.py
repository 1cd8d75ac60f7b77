"""The interaction log (issue 16, part 1): every ranked list a student is shown (one row per list,
with the places in order, their scores and the model version), place views, and what students and
companies then do (apply, shortlist, offer, accept, decline, withdraw, complete, evaluate).

Cheap and harmless: one INSERT through SQLAlchemy Core (no ORM unit of work) and a commit,
written after the page was rendered or after the use case committed, so a row never belongs to
work that was rolled back. A failure is logged and forgotten: the log must never break a request."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, insert

from stagematch.extensions import db
from stagematch.models.interaction import Interaction, InteractionKind
from stagematch.timeutil import utcnow

log = logging.getLogger(__name__)
_TABLE = Interaction.__table__


def log_list(
    *, student_id: int | None, place_ids: Sequence[int], scores: Sequence[float | None] | None = None,
    source: str, page: int | None = None, model_version_id: int | None = None,
) -> None:  # fmt: skip
    """One row for a list shown: the place ids in the order shown, their scores (rounded to 4
    decimals), where it was shown (`source`: "recommendations", "search" …) and the page."""
    payload: dict = {"places": [int(p) for p in place_ids], "source": source}
    if scores is not None:
        payload["scores"] = [None if s is None else round(float(s), 4) for s in scores]
    if page is not None:
        payload["page"] = page
    _write(InteractionKind.LIST_SHOWN, student_id, None, model_version_id, payload)


def log_event(
    kind: InteractionKind | str, *, student_id: int | None = None, place_id: int | None = None,
    model_version_id: int | None = None, payload: dict | None = None,
) -> None:  # fmt: skip
    """One row for something a student or company did (or a place view)."""
    _write(InteractionKind(kind), student_id, place_id, model_version_id, payload)


def _write(kind, student_id, place_id, model_version_id, payload) -> None:
    try:
        db.session.execute(
            insert(_TABLE).values(
                at=utcnow(),
                kind=kind.value,
                student_id=student_id,
                place_id=place_id,
                model_version_id=model_version_id,
                payload=payload,
            )  # fmt: skip
        )
        db.session.commit()
    except Exception:  # the log is never worth a failed request
        db.session.rollback()
        log.warning("Interaction %s not logged", kind.value, exc_info=True)


def remove_old(days: int) -> int:
    """Delete the rows older than `days` days (the retention period); the number deleted."""
    result = db.session.execute(delete(_TABLE).where(_TABLE.c.at < utcnow() - timedelta(days=days)))
    db.session.commit()
    return result.rowcount

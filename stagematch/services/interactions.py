"""The interaction log (issue 16, part 1) and the ranking log (issue 19, item 1): every ranked list
served (one row per list: who asked, the candidates in order with their scores, which were shown,
the model version), place views, and what students and companies then do (apply, shortlist,
offer, accept, decline, withdraw, complete, evaluate).

Cheap and harmless: one INSERT through SQLAlchemy Core (no ORM unit of work) and a commit,
written after the page was rendered or after the use case committed, so a row never belongs to
work that was rolled back. A failure is logged and forgotten: the log must never break a request."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import and_, delete, insert, or_

from stagematch.extensions import db
from stagematch.models.interaction import Interaction, InteractionKind
from stagematch.timeutil import utcnow

log = logging.getLogger(__name__)
_TABLE = Interaction.__table__


LOG_CANDIDATES = 300  # candidates kept per list, best first (search ranks at most RANK_LIMIT)


def list_payload(
    *, place_ids: Sequence[int], scores: Sequence[float | None] | None = None, source: str,
    page: int | None = None, who: int | None = None,
    candidates: Sequence[tuple[int, float | None]] | None = None, offset: int = 0,
    of: str = "places", extra: dict | None = None,
) -> dict:  # fmt: skip
    """The payload of a `list_shown` row. `place_ids`/`scores`: what was shown, in order (under
    "students" instead of "places" when the list ranks students); `candidates`: every ranked
    candidate as (id, score), best first (position = index + 1; at most LOG_CANDIDATES kept,
    "n_candidates" says how many there were); the shown ones hold positions offset + 1 …
    offset + shown. Scores rounded to 4 decimals."""
    payload: dict = {"source": source, "who": who, of: [int(p) for p in place_ids]}
    if scores is not None:
        payload["scores"] = [None if s is None else round(float(s), 4) for s in scores]
    if page is not None:
        payload["page"] = page
    if candidates is not None:
        payload["candidates"] = [
            [int(i), None if s is None else round(float(s), 4)]
            for i, s in candidates[:LOG_CANDIDATES]
        ]
        payload["n_candidates"] = len(candidates)
        payload["offset"] = offset
        payload["shown"] = len(payload[of])
    if extra:
        payload.update(extra)
    return payload


def log_list(
    *, student_id: int | None, place_ids: Sequence[int], scores: Sequence[float | None] | None = None,
    source: str, page: int | None = None, model_version_id: int | None = None, who: int | None = None,
    candidates: Sequence[tuple[int, float | None]] | None = None, offset: int = 0,
    place_id: int | None = None, of: str = "places", extra: dict | None = None,
) -> None:  # fmt: skip
    """One row for a ranked list served: who asked (user id: the student, company user,
    coordinator or API token's owner), where (`source`: "home", "search", "api_places",
    "api_matches", "suggested", "allocation" …), the model version (None: the rule ranked), the
    candidates with their scores and what was shown (`list_payload`). A list of students for a
    place (`of="students"`) has `place_id` set and no `student_id`. One INSERT."""
    payload = list_payload(
        place_ids=place_ids, scores=scores, source=source, page=page, who=who,
        candidates=candidates, offset=offset, of=of, extra=extra,
    )  # fmt: skip
    _write(InteractionKind.LIST_SHOWN, student_id, place_id, model_version_id, payload)


def log_lists(rows: Sequence[dict]) -> None:
    """Many lists at once (an allocation round: one per student) in one executemany INSERT.
    Each row: student_id, model_version_id and a `list_payload`."""
    if not rows:
        return
    at = utcnow()
    values = [
        {"at": at, "kind": InteractionKind.LIST_SHOWN.value, "place_id": None, **row}
        for row in rows
    ]
    try:
        db.session.execute(insert(_TABLE), values)
        db.session.commit()
    except Exception:  # the log is never worth a failed request
        db.session.rollback()
        log.warning("%s ranked lists not logged", len(rows), exc_info=True)


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
        if kind == InteractionKind.PLACE_VIEW and student_id is not None:
            # An opened place changes the student's own ranking (`viewed`): after the commit.
            from stagematch.services.stored_suggestions import mark_for_refresh

            mark_for_refresh([student_id])
        db.session.commit()
    except Exception:  # the log is never worth a failed request
        db.session.rollback()
        log.warning("Interaction %s not logged", kind.value, exc_info=True)


def remove_old(days: int, *, ranking_days: int | None = None) -> int:
    """Delete the rows older than `days` days (the retention period); the number deleted. With
    `ranking_days`, the ranked lists (`list_shown`, the ranking log) follow that period instead."""
    now = utcnow()
    old = _TABLE.c.at < now - timedelta(days=days)
    if ranking_days is None:
        result = db.session.execute(delete(_TABLE).where(old))
        db.session.commit()
        return result.rowcount
    is_list = _TABLE.c.kind == InteractionKind.LIST_SHOWN.value
    ranked_old = _TABLE.c.at < now - timedelta(days=ranking_days)
    result = db.session.execute(
        delete(_TABLE).where(or_(and_(is_list, ranked_old), and_(~is_list, old)))
    )
    db.session.commit()
    return result.rowcount

"""The interaction log (issue 16, part 1): what students were shown and what people did with it,
the ranking's memory. Append-only: rows are written by `services.interactions` (one INSERT, one
row per list shown, not per place) and only ever deleted by the retention task."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from stagematch.extensions import db
from stagematch.models.enums import check_in
from stagematch.timeutil import utcnow


class InteractionKind(StrEnum):
    LIST_SHOWN = "list_shown"
    PLACE_VIEW = "place_view"
    APPLY = "apply"
    SHORTLIST = "shortlist"
    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    COMPLETE = "complete"
    EVALUATE = "evaluate"


class Interaction(db.Model):
    __table_args__ = (CheckConstraint(check_in("kind", InteractionKind), name="kind_values"),)

    # BigInteger on PostgreSQL (a busy log outgrows 2^31), INTEGER on SQLite (its rowid alias).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # UTC
    kind: Mapped[str] = mapped_column(String(20))
    # The student's profile; None for an anonymous visitor's view.
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), index=True
    )
    place_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL"), index=True
    )
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id", ondelete="SET NULL")
    )
    # list_shown: {"places": [ids in order], "scores": [...], "source": ..., "page": ...}
    payload: Mapped[dict | None] = mapped_column(JSON)

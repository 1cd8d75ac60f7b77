"""The audit log: who did what to which record, when. Rows are only ever added."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.timeutil import utcnow


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The actor is kept as an id and a label so the log survives the actor's account deletion.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(160), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "application.reject"
    object_type: Mapped[str] = mapped_column(String(40), index=True)
    object_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON text
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()  # noqa: F821

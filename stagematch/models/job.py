"""Long work that runs in the job queue (imports, large exports, training, allocation compute):
its progress while it runs and its report when it is done, so a page can show both."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.models.enums import check_in
from stagematch.timeutil import utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    __table_args__ = (CheckConstraint(check_in("status", JobStatus), name="status_values"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex, unguessable
    kind: Mapped[str] = mapped_column(String(40), index=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED)
    done: Mapped[int] = mapped_column(default=0)  # units of work done (rows, students …)
    total: Mapped[int] = mapped_column(default=0)  # 0: not known yet
    message: Mapped[str | None] = mapped_column(String(500))
    result: Mapped[dict | None] = mapped_column(JSON)  # the report (per-row lines, counts, file)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, int(100 * self.done / self.total)) if self.total else 0

"""What the site tells people: notifications (in the site and by mail), the mail log, and
students' favourite places."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.matching.text import from_data
from stagematch.timeutil import utcnow


class Notification(db.Model):
    """One message to one user about one thing (`subject_key`): sent once per kind and subject.
    `channel` is how it was delivered: 'mail' (at once), 'digest' (in the daily digest) or
    'site' (only in the site's list)."""

    __table_args__ = (
        UniqueConstraint("user_id", "kind", "subject_key", name="uq_notification_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    subject_key: Mapped[str] = mapped_column(String(80))
    # The message as a phrase (msgid and values), translated where it is shown.
    message_data: Mapped[dict] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(300), default="")  # path in the site
    channel: Mapped[str] = mapped_column(String(8), default="mail")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    mailed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()  # noqa: F821

    @property
    def text(self) -> str:
        return from_data(self.message_data)


class MailLog(db.Model):
    """Every mail handed to the queue, and what became of it (for the administrator)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    recipients: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300))
    template: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(8), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]


class FlagAction(db.Model):
    """One step in handling a coordinator's case (a flag): a note, a new owner or priority, a
    message to the student, resolving or reopening."""

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # Shown to the student who raised the case (what the student hears back).
    to_student: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()  # noqa: F821


class SavedPlace(db.Model):
    """A student's favourite (bewaarde plek)."""

    __table_args__ = (UniqueConstraint("student_id", "placement_id", name="uq_saved_place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), index=True
    )
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    placement: Mapped[Placement] = relationship()  # noqa: F821

"""A student's consent that a named coordinator of their school may act for them (issue 18, item 5):
apply to places on their behalf. Given by the student on their own account, valid for
CONSENT_DAYS, revocable at any time; what the coordinator does with it is in the audit log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.timeutil import utcnow

CONSENT_DAYS = 30


class ActingConsent(db.Model):
    __tablename__ = "acting_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), index=True
    )
    coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_on: Mapped[date]
    revoked_at: Mapped[datetime | None]

    student: Mapped[StudentProfile] = relationship()  # noqa: F821
    coordinator: Mapped[User] = relationship()  # noqa: F821

    def valid_on(self, day: date) -> bool:
        return self.revoked_at is None and day <= self.expires_on

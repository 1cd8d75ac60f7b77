"""A student's consent that a named helper may act for them (issue 18): apply to places on their
behalf. The helper is a coordinator of the student's own school or a job coach (a coach of a
municipality, UWV, VluchtelingenWerk …; also for learners without a school). Given by the student on
their own account, valid for CONSENT_DAYS, revocable at any time; what the helper does with it is in
the audit log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from stagematch.extensions import db
from stagematch.timeutil import utcnow

CONSENT_DAYS = 30


class ActingConsent(db.Model):
    __tablename__ = "acting_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), index=True
    )
    # The column keeps its first name (only coordinators could help then).
    helper_id: Mapped[int] = mapped_column(
        "coordinator_id", ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_on: Mapped[date]
    revoked_at: Mapped[datetime | None]

    student: Mapped[StudentProfile] = relationship()  # noqa: F821
    helper: Mapped[User] = relationship()  # noqa: F821
    # The older names, from when only a coordinator could help.
    coordinator_id = synonym("helper_id")
    coordinator = synonym("helper")

    def valid_on(self, day: date) -> bool:
        return self.revoked_at is None and day <= self.expires_on

"""Things people raise or ask the platform to watch: discrimination reports, coordinator flags,
saved searches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.matching.text import from_data
from stagematch.timeutil import utcnow


class DiscriminationReport(db.Model):
    """Reaches the student's school coordinator, never the company."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), index=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("student_profile.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_note: Mapped[str] = mapped_column(Text, default="")

    company: Mapped[Company] = relationship()  # noqa: F821


class Flag(db.Model):
    """One line in a coordinator's work queue. Resolved with a note; never deleted."""

    __table_args__ = (
        CheckConstraint(
            "kind IN ('over_capacity', 'low_supervision', 'mostly_routine', 'evaluation_overdue', "
            "'no_contact', 'accreditation', 'discrimination', 'no_place', 'meeting_missed', "
            "'hours_overdue', 'hours_missing', 'agreement_unsigned')",
            name="kind_values",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    # What the flag is about; a stable key so the same problem is not flagged twice.
    subject_key: Mapped[str] = mapped_column(String(80), index=True)
    internship_id: Mapped[int | None] = mapped_column(
        ForeignKey("internship.id", ondelete="SET NULL"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(String(300))  # in Dutch: for exports and the API
    # The same message as a phrase (msgid and values), so a page can show it in its language.
    message_data: Mapped[dict | None] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # Case handling: who owns it, how urgent, the report it is about (discrimination, safety).
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("discrimination_report.id", ondelete="SET NULL"), index=True
    )

    @property
    def text(self) -> str:
        """The message as a phrase to translate where it is shown (`| phrase`)."""
        return from_data(self.message_data) if self.message_data else self.message


class SavedSearch(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    query_string: Mapped[str] = mapped_column(Text)  # the search page's URL query
    alert: Mapped[bool] = mapped_column(default=True)
    last_alerted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()  # noqa: F821

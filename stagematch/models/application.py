"""A student's application for a place, and the internship it becomes once accepted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.matching.text import N_
from stagematch.models.enums import (
    ApplicationStatus,
    InternshipOutcome,
    InternshipStatus,
    check_in,
)
from stagematch.timeutil import utcnow

# Reasons a company can pick when it rejects; recorded for the audit (free text comes on top).
# Dutch msgids: pages and mails translate them where they show them.
REJECTION_REASONS = {
    "qualification": N_("Opleiding of niveau past niet bij de plek"),
    "skills": N_("Vaardigheden passen (nog) niet"),
    "availability": N_("Beschikbaarheid of startdatum past niet"),
    "filled": N_("De plek is al vergeven"),
    "other": N_("Andere reden"),
}


class Application(db.Model):
    __table_args__ = (
        UniqueConstraint("student_id", "placement_id", name="uq_application_student_placement"),
        CheckConstraint(check_in("status", ApplicationStatus), name="status_values"),
        # Capacity counts per place and status (see services.capacity).
        Index("ix_application_placement_status", "placement_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), index=True
    )
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    motivation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=ApplicationStatus.SUBMITTED, index=True)
    # Anonymous (the default): the company sees no name, photo, age or address until it shortlists.
    anonymous: Mapped[bool] = mapped_column(default=True)
    # Set on offers: the allocation round that made this application.
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("allocation_round.id", ondelete="SET NULL"), index=True
    )
    rejection_reason: Mapped[str | None] = mapped_column(String(20))
    rejection_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    shortlisted_at: Mapped[datetime | None]
    # Offers: when the company (or an allocation round) made it, and until when the student can
    # answer; an unanswered offer expires after that day and frees the seat.
    offered_at: Mapped[datetime | None]
    respond_by: Mapped[date | None]
    decided_at: Mapped[datetime | None]  # accepted, rejected or withdrawn

    student: Mapped[StudentProfile] = relationship()  # noqa: F821
    placement: Mapped[Placement] = relationship(back_populates="applications")  # noqa: F821
    internship: Mapped[Internship | None] = relationship(
        back_populates="application", uselist=False
    )

    @property
    def is_open(self) -> bool:
        return self.status in (
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.SHORTLISTED,
            ApplicationStatus.OFFERED,
        )

    @property
    def awaiting_answer(self) -> bool:
        """The company has not decided yet (sent or invited for an interview)."""
        return self.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED)

    @property
    def can_withdraw(self) -> bool:
        """The student may still take it back (an offer is declined instead)."""
        return self.awaiting_answer

    @property
    def is_offer(self) -> bool:
        """An offer the student still has to accept or decline."""
        return self.status == ApplicationStatus.OFFERED

    @property
    def offer_lapsed(self) -> bool:
        """An offer the student did not answer by its respond-by date."""
        return self.status == ApplicationStatus.EXPIRED and self.offered_at is not None

    @property
    def answer_lapsed(self) -> bool:
        """The company did not answer within the deadline (no offer was ever made)."""
        return self.status == ApplicationStatus.EXPIRED and self.offered_at is None

    @property
    def can_shortlist(self) -> bool:
        """Not yet invited for an interview (the company may still invite)."""
        return self.status == ApplicationStatus.SUBMITTED

    @property
    def offer_declined(self) -> bool:
        return self.status == ApplicationStatus.DECLINED

    @property
    def is_accepted(self) -> bool:
        return self.status == ApplicationStatus.ACCEPTED

    @property
    def is_rejected(self) -> bool:
        return self.status == ApplicationStatus.REJECTED

    @property
    def rejected_with_note(self) -> bool:
        return self.status == ApplicationStatus.REJECTED and bool(self.rejection_note)

    @property
    def identity_visible(self) -> bool:
        """Whether the company may see who the student is."""
        return not self.anonymous or self.status in (
            ApplicationStatus.SHORTLISTED,
            ApplicationStatus.OFFERED,
            ApplicationStatus.ACCEPTED,
        )


class Internship(db.Model):
    """The running placement (BPV) that an accepted application becomes."""

    __table_args__ = (
        CheckConstraint(check_in("status", InternshipStatus), name="status_values"),
        CheckConstraint(
            "outcome IS NULL OR " + check_in("outcome", InternshipOutcome), name="outcome_values"
        ),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        # Capacity counts a mentor's or a place's running internships (see services.capacity).
        Index("ix_internship_meester_status", "meester_id", "status"),
        Index("ix_internship_gezel_status", "gezel_id", "status"),
        Index("ix_internship_placement_status", "placement_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), unique=True
    )
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("student_profile.id", ondelete="SET NULL"), index=True
    )
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id"), index=True)
    # None while a zij-instromer hired before choosing a school has no school yet (issue 18):
    # the agreement waits for the school party until one is chosen.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    meester_id: Mapped[int] = mapped_column(ForeignKey("mentor.id"), index=True)
    gezel_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default=InternshipStatus.ACTIVE, index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    ended_at: Mapped[date | None]
    last_contact_at: Mapped[datetime | None]  # last coordinator contact (visit, call)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A parent or guardian signs the agreement when the student is under 18 on the start date;
    # the student gives the name and address, the link to sign is mailed there (issue 17).
    guardian_name: Mapped[str | None] = mapped_column(String(120))
    guardian_email: Mapped[str | None] = mapped_column(String(254))

    application: Mapped[Application | None] = relationship(back_populates="internship")
    student: Mapped[StudentProfile | None] = relationship()  # noqa: F821
    placement: Mapped[Placement] = relationship()  # noqa: F821
    school: Mapped[School | None] = relationship()  # noqa: F821
    meester: Mapped[Mentor] = relationship(foreign_keys=[meester_id])  # noqa: F821
    gezel: Mapped[Mentor | None] = relationship(foreign_keys=[gezel_id])  # noqa: F821
    evaluations: Mapped[list[Evaluation]] = relationship(  # noqa: F821
        back_populates="internship", cascade="all, delete-orphan"
    )
    agreement_versions: Mapped[list[AgreementVersion]] = relationship(  # noqa: F821
        back_populates="internship",
        cascade="all, delete-orphan",
        order_by="AgreementVersion.number",
    )
    hours_entries: Mapped[list[HoursEntry]] = relationship(  # noqa: F821
        back_populates="internship", cascade="all, delete-orphan", order_by="HoursEntry.week_start"
    )
    meetings: Mapped[list[Meeting]] = relationship(  # noqa: F821
        back_populates="internship", cascade="all, delete-orphan"
    )
    assessment: Mapped[Assessment | None] = relationship(  # noqa: F821
        back_populates="internship", cascade="all, delete-orphan"
    )
    end_requests: Mapped[list[EndRequest]] = relationship(  # noqa: F821
        back_populates="internship", cascade="all, delete-orphan", order_by="EndRequest.id"
    )

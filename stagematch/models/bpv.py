"""After the match (issue 17): the praktijkovereenkomst (POK) with its versions and signatures,
weekly hours, the three meetings, the final assessment and ending a placement early.

Everything hangs off an `Internship` (the running or coming placement). The agreement is a
sequence of versions; each version freezes its content (`content`, JSON) and the SHA-256 of that
content, and every party signs a version, recording the hash it saw. An amendment is a new version;
earlier versions stay readable."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.models.enums import check_in
from stagematch.timeutil import utcnow


class SignatureParty(StrEnum):
    STUDENT = "student"
    GUARDIAN = "guardian"  # a parent or guardian, when the student is under 18 on the start date
    COMPANY = "company"  # the leerbedrijf (a company user signs for it)
    SCHOOL = "school"  # a coordinator of the student's school


class AgreementStatus(StrEnum):
    PENDING = "pending"  # waiting for one or more signatures
    SIGNED = "signed"  # every party signed this version; it is the agreement in force
    SUPERSEDED = "superseded"  # a later version was fully signed, or this draft was replaced


class AgreementVersion(db.Model):
    """One version of a placement's POK. Version 1 is generated from the accepted offer; an
    amendment (dates, hours, meester) is version n+1, which all parties sign again."""

    __tablename__ = "agreement_version"
    __table_args__ = (
        UniqueConstraint("internship_id", "number", name="uq_agreement_version_number"),
        CheckConstraint(check_in("status", AgreementStatus), name="status_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default=AgreementStatus.PENDING, index=True)
    # Why this version exists: "" for the first, the amendment's reason for later ones.
    reason: Mapped[str] = mapped_column(Text, default="")
    # Every field of the agreement as it reads in this version (see services/agreements.py).
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the canonical content
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime | None]  # when the last party signed (the POK date for BRON)
    # When this version first went into a BRON export (services/bron.py): BRON wants it within
    # 7 days of signed_at. Empty: not reported yet.
    bron_reported_at: Mapped[datetime | None]

    internship: Mapped[Internship] = relationship(back_populates="agreement_versions")  # noqa: F821
    created_by: Mapped[User | None] = relationship()  # noqa: F821
    signatures: Mapped[list[AgreementSignature]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="AgreementSignature.id"
    )


class AgreementSignature(db.Model):
    """A party's signature on one version: the typed name, the confirmation, when, which account
    (none for a guardian, who signs through a mailed link) and the hash of the content signed."""

    __tablename__ = "agreement_signature"
    __table_args__ = (
        UniqueConstraint("version_id", "party", name="uq_agreement_signature_party"),
        CheckConstraint(check_in("party", SignatureParty), name="party_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_version.id", ondelete="CASCADE"), index=True
    )
    party: Mapped[str] = mapped_column(String(10))
    typed_name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(254))  # the guardian's address
    content_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[AgreementVersion] = relationship(back_populates="signatures")
    user: Mapped[User | None] = relationship()  # noqa: F821


class HoursStatus(StrEnum):
    SUBMITTED = "submitted"  # logged, waiting for the meester
    APPROVED = "approved"  # the meester approved the hours as logged
    CORRECTED = "corrected"  # the meester approved a different number (approved_hours), with a note


class HoursEntry(db.Model):
    """The hours of one week (Monday `week_start`) of a placement, logged by the student or the
    company, approved or corrected by the meester."""

    __tablename__ = "hours_entry"
    __table_args__ = (
        UniqueConstraint("internship_id", "week_start", name="uq_hours_week"),
        CheckConstraint(check_in("status", HoursStatus), name="status_values"),
        CheckConstraint("hours >= 0 AND hours <= 80", name="hours_range"),
        CheckConstraint(
            "approved_hours IS NULL OR (approved_hours >= 0 AND approved_hours <= 80)",
            name="approved_hours_range",
        ),
        Index("ix_hours_entry_status_week", "status", "week_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    week_start: Mapped[date]
    hours: Mapped[float]
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    entered_role: Mapped[str] = mapped_column(String(12))  # 'student' or 'company'
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=HoursStatus.SUBMITTED)
    approved_hours: Mapped[float | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    correction_note: Mapped[str] = mapped_column(Text, default="")

    internship: Mapped[Internship] = relationship(back_populates="hours_entries")  # noqa: F821


class MeetingKind(StrEnum):
    START = "start"
    MIDWAY = "midway"
    FINAL = "final"


class Meeting(db.Model):
    """One of the (at least) three meetings of student, school and company: planned with a date
    and who attends; notes afterwards. Planned and not held after its date: missed (flagged)."""

    __table_args__ = (
        UniqueConstraint("internship_id", "kind", name="uq_meeting_kind"),
        CheckConstraint(check_in("kind", MeetingKind), name="kind_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    planned_on: Mapped[date | None] = mapped_column(index=True)
    attendees: Mapped[str] = mapped_column(Text, default="")  # names and roles, as planned
    planned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    held_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    internship: Mapped[Internship] = relationship(back_populates="meetings")  # noqa: F821


class WorkProcess(db.Model):
    """A work process (werkproces) of a qualification dossier, e.g. B1-K1-W2 "Voert
    onderhoud uit"; loaded by `flask load-reference` from the shipped list."""

    __tablename__ = "work_process"
    __table_args__ = (UniqueConstraint("dossier_crebo", "code", name="uq_work_process_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_crebo: Mapped[str] = mapped_column(String(5), index=True)
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class AssessmentDecision(StrEnum):
    PASSED = "passed"  # "voldaan"
    NOT_PASSED = "not_passed"  # "niet voldaan"


class Assessment(db.Model):
    """The meester's final judgement (a score per work process and a remark) and the school's
    decision, recorded by a coordinator."""

    __table_args__ = (
        CheckConstraint(
            "school_decision IS NULL OR " + check_in("school_decision", AssessmentDecision),
            name="decision_values",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), unique=True
    )
    remark: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    school_decision: Mapped[str | None] = mapped_column(String(12))
    school_remark: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    internship: Mapped[Internship] = relationship(back_populates="assessment")  # noqa: F821
    scores: Mapped[list[AssessmentScore]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )


class AssessmentScore(db.Model):
    __tablename__ = "assessment_score"
    __table_args__ = (
        UniqueConstraint("assessment_id", "work_process_id", name="uq_assessment_score"),
        CheckConstraint("score BETWEEN 1 AND 4", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    work_process_id: Mapped[int] = mapped_column(ForeignKey("work_process.id"))
    # 1 onvoldoende, 2 voldoende, 3 goed, 4 uitstekend
    score: Mapped[int]

    assessment: Mapped[Assessment] = relationship(back_populates="scores")
    work_process: Mapped[WorkProcess] = relationship()


class EndRequestStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"  # the coordinator ended the placement
    REJECTED = "rejected"  # the placement goes on
    WITHDRAWN = "withdrawn"


class EndRequest(db.Model):
    """A party asks to end a placement early; a coordinator of the school decides with a reason
    from a fixed list (services/early_ending.py)."""

    __tablename__ = "end_request"
    __table_args__ = (
        CheckConstraint(check_in("status", EndRequestStatus), name="status_values"),
        # At most one open request per placement.
        Index(
            "uq_end_request_open",
            "internship_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    requested_role: Mapped[str] = mapped_column(String(12))  # student | company | coordinator
    explanation: Mapped[str] = mapped_column(Text, default="")
    wanted_end: Mapped[date | None]  # the last day the requester proposes
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(10), default=EndRequestStatus.OPEN, index=True)
    reason_code: Mapped[str | None] = mapped_column(String(30))  # the coordinator's reason
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    internship: Mapped[Internship] = relationship(back_populates="end_requests")  # noqa: F821
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])  # noqa: F821
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])  # noqa: F821


class SchoolContact(db.Model):
    """A school's contact person for companies, per sector or qualification (issue 18): "wie
    moet ik waarvoor hebben". Empty sector and no qualification: the general contact."""

    __tablename__ = "school_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    function: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(30), default="")
    sector: Mapped[str] = mapped_column(String(60), default="", index=True)
    qualification_id: Mapped[int | None] = mapped_column(
        ForeignKey("qualification.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[School] = relationship()  # noqa: F821
    qualification: Mapped[Qualification | None] = relationship()  # noqa: F821

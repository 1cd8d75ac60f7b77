"""Human oversight of the ranking (issue 19): objections to a suggestion and their answers, and
the check of a place's texts for discriminatory wording before it is published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.timeutil import utcnow


class Objection(db.Model):
    """Someone objects to a suggestion: a student to a place suggested to them, or a company to
    a student suggested for its place. It lands with a named coordinator of the student's school
    (`assigned_to`), who answers; the objector reads the answer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a learner without a school yet (issue 18): an administrator handles it.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    raised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(String(12))  # 'student' or 'company'
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("student_profile.id", ondelete="SET NULL"), index=True
    )
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL"), index=True
    )
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id", ondelete="SET NULL")
    )
    # The explanation as the objector saw it (factors, rules, version, accuracy): kept as it was.
    explanation: Mapped[dict | None] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text, default="")
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])  # noqa: F821
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])  # noqa: F821
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])  # noqa: F821
    student: Mapped[StudentProfile | None] = relationship()  # noqa: F821
    placement: Mapped[Placement | None] = relationship()  # noqa: F821


class AdCheck(db.Model):
    """A place's texts checked for discriminatory wording when the company publishes it.
    `outcome` 'blocked': a clear hit, publishing refused with an explanation; 'review': a hit that
    may be innocent, the place waits (status 'open' review) until a coordinator decides
    ('approved': published; 'rejected': stays a draft, with the note). Counted per company."""

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    # [{"term", "category", "field", "excerpt", "severity"}]
    hits: Mapped[list] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(8))  # 'blocked' | 'review'
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    placement: Mapped[Placement | None] = relationship()  # noqa: F821
    company: Mapped[Company] = relationship()  # noqa: F821
    decided_by: Mapped[User | None] = relationship()  # noqa: F821

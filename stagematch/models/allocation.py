"""Allocation rounds: a coordinator puts a set of the school's students and a set of open places in
one round; students rank places, meesters (or their companies) rank the students who chose their
places, and the student-optimal stable allocation (stagematch.matching.allocation) decides. On
publishing, every assignment becomes an offer (an application with status "offered") that the
student accepts or declines."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.models.enums import check_in
from stagematch.timeutil import utcnow


class RoundStatus(StrEnum):
    OPEN = "open"  # students and meesters rank
    COMPUTED = "computed"  # the allocation is computed; the coordinator reviews it
    PUBLISHED = "published"  # assignments became offers


class AllocationRound(db.Model):
    __table_args__ = (
        CheckConstraint(check_in("status", RoundStatus), name="status_values"),
        CheckConstraint("max_choices BETWEEN 1 AND 20", name="max_choices_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default=RoundStatus.OPEN, index=True)
    max_choices: Mapped[int] = mapped_column(default=5)
    closes_on: Mapped[date]  # the last day students and meesters can rank
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    computed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]

    school: Mapped[School] = relationship()  # noqa: F821
    students: Mapped[list[RoundStudent]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )
    places: Mapped[list[RoundPlace]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )


class RoundStudent(db.Model):
    """A student in a round, and (once computed) what the allocation gave them."""

    __table_args__ = (UniqueConstraint("round_id", "student_id", name="uq_round_student"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_round.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), index=True
    )
    choices_saved_at: Mapped[datetime | None]  # None: the model's order stands in
    assigned_placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL")
    )
    result_note: Mapped[str] = mapped_column(Text, default="")  # why unassigned, in plain Dutch

    round: Mapped[AllocationRound] = relationship(back_populates="students")
    student: Mapped[StudentProfile] = relationship()  # noqa: F821
    assigned_placement: Mapped[Placement | None] = relationship()  # noqa: F821


class RoundPlace(db.Model):
    __table_args__ = (UniqueConstraint("round_id", "placement_id", name="uq_round_place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_round.id", ondelete="CASCADE"), index=True
    )
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )

    round: Mapped[AllocationRound] = relationship(back_populates="places")
    placement: Mapped[Placement] = relationship()  # noqa: F821


class RoundChoice(db.Model):
    """A student's ranking of places in a round: rank 1 is the favourite."""

    __table_args__ = (
        UniqueConstraint("round_id", "student_id", "placement_id", name="uq_round_choice_place"),
        UniqueConstraint("round_id", "student_id", "rank", name="uq_round_choice_rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_round.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), index=True
    )
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"))
    rank: Mapped[int]


class MeesterRanking(db.Model):
    """A meester's (or his company's) ranking of the students who chose his places in a round."""

    __table_args__ = (
        UniqueConstraint("round_id", "mentor_id", "student_id", name="uq_meester_ranking_student"),
        UniqueConstraint("round_id", "mentor_id", "rank", name="uq_meester_ranking_rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_round.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student_profile.id", ondelete="CASCADE"))
    rank: Mapped[int]
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

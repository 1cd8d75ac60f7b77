"""Mid-term and final evaluations of an internship, by the student and by the meester,
and the coordinator's visit notes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.models.enums import EvaluationAuthor, EvaluationMoment, check_in
from stagematch.timeutil import utcnow

STUDENT_RATINGS = ("supervision_time", "feedback", "learning_tasks", "safety", "overall")
MEESTER_RATINGS = ("progress", "attitude")


def _rating_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR {column} BETWEEN 1 AND 5", name=f"{column}_1_5")


class Evaluation(db.Model):
    """Ratings are 1–5. A student rates the supervision; a meester rates the learner's progress."""

    __table_args__ = (
        UniqueConstraint("internship_id", "author_role", "moment", name="uq_evaluation_moment"),
        CheckConstraint(check_in("author_role", EvaluationAuthor), name="author_values"),
        CheckConstraint(check_in("moment", EvaluationMoment), name="moment_values"),
        *(_rating_check(c) for c in STUDENT_RATINGS + MEESTER_RATINGS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    author_role: Mapped[str] = mapped_column(String(8))
    moment: Mapped[str] = mapped_column(String(8))
    due_date: Mapped[date] = mapped_column(index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]
    # By the student, about the supervision:
    supervision_time: Mapped[int | None]
    feedback: Mapped[int | None]
    learning_tasks: Mapped[int | None]  # 5 = real learning tasks, 1 = only routine work
    safety: Mapped[int | None]
    overall: Mapped[int | None]
    mostly_routine: Mapped[bool | None]  # "I mostly do routine work (sweeping, stacking)"
    # By the meester, about the learner:
    progress: Mapped[int | None]
    attitude: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")

    internship: Mapped[Internship] = relationship(back_populates="evaluations")  # noqa: F821

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class VisitNote(db.Model):
    """A coordinator's bezoekverslag: a visit or call to the student at the workplace."""

    id: Mapped[int] = mapped_column(primary_key=True)
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    visited_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    internship: Mapped[Internship] = relationship()  # noqa: F821
    author: Mapped[User | None] = relationship()  # noqa: F821

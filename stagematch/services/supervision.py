"""What students said about a meester's supervision, shown only as averages over enough students."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Evaluation, Internship
from stagematch.models.enums import EvaluationAuthor, InternshipOutcome, InternshipStatus

MIN_STUDENTS_FOR_AVERAGES = 3


@dataclass(frozen=True)
class RatingAverages:
    students: int  # distinct students who rated
    evaluations: int
    supervision_time: float | None
    feedback: float | None
    learning_tasks: float | None
    safety: float | None
    overall: float | None
    routine_share: float | None
    finished: int  # earlier internships under this meester that ended
    completed_ok: int

    @property
    def shown(self) -> bool:
        """Averages are shown only from 3 students up, so no one's answers can be singled out."""
        return self.students >= MIN_STUDENTS_FOR_AVERAGES


def rating_averages(meester_ids: list[int]) -> dict[int, RatingAverages]:
    if not meester_ids:
        return {}
    e, i = Evaluation, Internship
    rows = db.session.execute(
        select(
            i.meester_id,
            func.count(func.distinct(i.student_id)),
            func.count(e.id),
            func.avg(e.supervision_time),
            func.avg(e.feedback),
            func.avg(e.learning_tasks),
            func.avg(e.safety),
            func.avg(e.overall),
            func.avg(func.cast(e.mostly_routine, db.Integer)),
        )
        .join(i, i.id == e.internship_id)
        .where(
            i.meester_id.in_(meester_ids),
            e.author_role == EvaluationAuthor.STUDENT,
            e.submitted_at.is_not(None),
        )
        .group_by(i.meester_id)
    ).all()
    outcomes = db.session.execute(
        select(
            i.meester_id,
            func.count(i.id),
            func.sum(func.cast(i.outcome == InternshipOutcome.SUCCESS, db.Integer)),
        )
        .where(i.meester_id.in_(meester_ids), i.status != InternshipStatus.ACTIVE)
        .group_by(i.meester_id)
    ).all()
    finished = {m: (n, int(ok or 0)) for m, n, ok in outcomes}
    result = {
        m: RatingAverages(0, 0, None, None, None, None, None, None, *finished.get(m, (0, 0)))
        for m in meester_ids
    }
    for m, students, n, st, fb, lt, sf, ov, routine in rows:
        result[m] = RatingAverages(
            students, n, *(float(v) if v is not None else None for v in (st, fb, lt, sf, ov, routine)),
            *finished.get(m, (0, 0)),
        )  # fmt: skip
    return result

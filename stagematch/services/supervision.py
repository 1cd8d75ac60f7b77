"""What students said about a meester's supervision, shown only as averages over enough students."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

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
    # One statement: each internship of these meesters with its evaluations (outer join), the
    # students' submitted ratings averaged, the finished internships counted once each.
    rated = and_(e.author_role == EvaluationAuthor.STUDENT, e.submitted_at.is_not(None))
    finished = i.status != InternshipStatus.ACTIVE

    def when(condition, value):
        return case((condition, value))

    rows = db.session.execute(
        select(
            i.meester_id,
            func.count(func.distinct(when(rated, i.student_id))),
            func.count(when(rated, e.id)),
            *(func.avg(when(rated, column)) for column in (
                e.supervision_time, e.feedback, e.learning_tasks, e.safety, e.overall,
                func.cast(e.mostly_routine, db.Integer),
            )),
            func.count(func.distinct(when(finished, i.id))),
            func.count(func.distinct(
                when(and_(finished, i.outcome == InternshipOutcome.SUCCESS), i.id)
            )),
        )
        .outerjoin(e, e.internship_id == i.id)
        .where(i.meester_id.in_(meester_ids))
        .group_by(i.meester_id)
    ).all()  # fmt: skip
    result = {
        m: RatingAverages(0, 0, None, None, None, None, None, None, 0, 0) for m in meester_ids
    }
    for m, students, n, st, fb, lt, sf, ov, routine, done, ok in rows:
        result[m] = RatingAverages(
            students, n, *(float(v) if v is not None else None for v in (st, fb, lt, sf, ov, routine)),
            done, ok,
        )  # fmt: skip
    return result

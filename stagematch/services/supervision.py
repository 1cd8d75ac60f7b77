"""What students said about a meester's supervision, shown only as averages over enough students."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Text, and_, case, cast, func, select

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


RATED = ("supervision_time", "feedback", "learning_tasks", "safety", "overall", "mostly_routine")


def _aggregates(e, i) -> list:
    """SQL aggregates over a meester's internships outer-joined with their evaluations: distinct
    students who rated, evaluations, per rating its sum and count (the average is the one over the
    other: integers, so the same in both databases), the finished internships and those completed
    well, each counted once."""
    rated = and_(e.author_role == EvaluationAuthor.STUDENT, e.submitted_at.is_not(None))
    finished = i.status != InternshipStatus.ACTIVE

    def when(condition, value):
        return case((condition, value))

    columns = [
        func.count(func.distinct(when(rated, i.student_id))),
        func.count(when(rated, e.id)),
    ]
    for name in RATED:
        value = getattr(e, name)
        value = func.cast(value, db.Integer) if name == "mostly_routine" else value
        columns += [func.sum(when(rated, value)), func.count(when(rated, value))]
    columns += [
        func.count(func.distinct(when(finished, i.id))),
        func.count(func.distinct(
            when(and_(finished, i.outcome == InternshipOutcome.SUCCESS), i.id)
        )),
    ]  # fmt: skip
    return columns


def _averages(values) -> RatingAverages:
    students, n, *rest = values
    sums = rest[: 2 * len(RATED)]
    done, ok = rest[2 * len(RATED) :]
    means = [
        (int(total) / count) if count else None
        for total, count in zip(sums[::2], sums[1::2], strict=True)
    ]
    return RatingAverages(students or 0, n or 0, *means, done or 0, ok or 0)


NONE_YET = RatingAverages(0, 0, None, None, None, None, None, None, 0, 0)


def rating_averages(meester_ids: list[int]) -> dict[int, RatingAverages]:
    if not meester_ids:
        return {}
    e, i = Evaluation, Internship
    # One statement: each internship of these meesters with its evaluations (outer join), the
    # students' submitted ratings averaged, the finished internships counted once each.
    rows = db.session.execute(
        select(i.meester_id, *_aggregates(e, i))
        .outerjoin(e, e.internship_id == i.id)
        .where(i.meester_id.in_(meester_ids))
        .group_by(i.meester_id)
    ).all()
    result = dict.fromkeys(meester_ids, NONE_YET)
    for m, *values in rows:
        result[m] = _averages(values)
    return result


def rating_averages_sql(meester_id):
    """SQL: `rating_averages` of the meester `meester_id` (a correlated column, e.g. of the place
    being read) as one JSON array, for one SELECT of a place instead of a query of its own; read
    with `averages_of`."""
    from sqlalchemy.orm import aliased

    e, i = aliased(Evaluation), aliased(Internship)
    if db.engine.dialect.name == "postgresql":  # as text: a row with it stays hashable (unique())
        array = cast(func.json_build_array(*_aggregates(e, i)), Text)
    else:
        array = func.json_array(*_aggregates(e, i))
    return (
        select(array)
        .select_from(i)
        .outerjoin(e, e.internship_id == i.id)
        .where(i.meester_id == meester_id)
        .scalar_subquery()
    )


def averages_of(value) -> RatingAverages:
    """The `RatingAverages` in a `rating_averages_sql` column (a JSON array as text)."""
    if value is None:
        return NONE_YET
    return _averages(json.loads(value))

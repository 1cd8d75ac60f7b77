"""The review before a model version is activated (issue 19, part 6): what would change, and for
whom, if `candidate` replaced the active version (or the rule, when none is active).

Both rank the same sample of students (every open place the hard rules allow them, as the batch
ranker does); per group of students (level, leerweg, age band, school) the review shows how much of
the top 10 stays, how often the first suggestion changes, and how the top 10's mean distance and
mean supervision quality (SQI) move. No special-category data is used: the groups are what the
school already registers. An administrator reads it and records a decision (services.oversight
`decide_activation`)."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.matching.features import sqi_numbers
from stagematch.models import ModelVersion, StudentProfile
from stagematch.ranking.data import places_by_id, students_by_id
from stagematch.ranking.rankers import rank_students
from stagematch.ranking.registry import active_model, load_version
from stagematch.timeutil import today

SAMPLE = 600  # students compared (a seeded sample: the same version gives the same review)
TOP = 10
MIN_GROUP = 10  # smaller groups are counted but their figures not shown (too noisy to judge)


@dataclass
class GroupChange:
    group: str  # "level", "leerweg", "age", "school", "all"
    value: str
    n: int
    overlap: float | None  # mean share of the old top 10 still in the new top 10
    first_changed: float | None  # share of students whose first suggestion changes
    distance_old: float | None  # mean km of the top 10
    distance_new: float | None
    sqi_old: float | None  # mean SQI of the top 10
    sqi_new: float | None

    @property
    def shown(self) -> bool:
        return self.n >= MIN_GROUP


@dataclass
class Review:
    candidate_id: int
    active_id: int | None  # None: the rule ranks now
    students: int
    groups: list[GroupChange] = field(default_factory=list)

    def summary(self) -> dict:
        """What the audit log keeps with the decision."""
        overall = self.groups[0] if self.groups else None
        return {
            "candidate": self.candidate_id, "active": self.active_id, "students": self.students,
            "overlap": overall.overlap if overall else None,
            "first_changed": overall.first_changed if overall else None,
            "groups": [
                [g.group, g.value, g.n, _round(g.overlap), _round(g.distance_new - g.distance_old)
                 if g.distance_new is not None and g.distance_old is not None else None]
                for g in self.groups if g.shown
            ],
        }  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def age_band(birth: date | None, on: date) -> str:
    if birth is None:
        return "onbekend"
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return "tot 18" if age < 18 else "18–20" if age <= 20 else "21 en ouder"


def _sample(size: int, seed: int) -> list[StudentProfile]:
    ids = db.session.scalars(
        select(StudentProfile.id)
        .where(StudentProfile.lat.is_not(None), StudentProfile.lon.is_not(None))
        .order_by(StudentProfile.id)
    ).all()
    chosen = sorted(random.Random(seed).sample(list(ids), min(size, len(ids))))
    return list(db.session.scalars(select(StudentProfile).where(StudentProfile.id.in_(chosen))))


def review(candidate: ModelVersion, *, sample: int = SAMPLE) -> Review:
    """Compare `candidate` with what ranks now, on a seeded sample of students."""
    current = active_model()
    new = load_version(candidate)
    profiles = _sample(sample, seed=candidate.id)
    on = today()
    ids = [p.id for p in profiles]
    old_lists = rank_students(ids, top=TOP, model=current)
    new_lists = rank_students(ids, top=TOP, model=new)
    place_ids = {
        pid for lists in (old_lists, new_lists) for row in lists.values() for pid, _ in row
    }
    places = places_by_id(place_ids)
    sqi = {pid: sqi_numbers(p)[0] for pid, p in places.items()}
    students = {s.id: s for s in students_by_id(ids, views=True)}

    def mean_km(student, row) -> float | None:
        km = [geo.distance_km(student.lat, student.lon, places[pid].lat, places[pid].lon)
              for pid, _ in row if pid in places]  # fmt: skip
        return statistics.fmean(km) if km else None

    per: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for profile in profiles:
        student = students.get(profile.id)
        old, new_row = old_lists.get(profile.id, []), new_lists.get(profile.id, [])
        if student is None or not old and not new_row:
            continue
        old_ids, new_ids = [pid for pid, _ in old], [pid for pid, _ in new_row]
        facts = (
            len(set(old_ids) & set(new_ids)) / len(old_ids) if old_ids else None,
            (old_ids[:1] != new_ids[:1]),
            mean_km(student, old), mean_km(student, new_row),
            statistics.fmean(sqi[p] for p in old_ids) if old_ids else None,
            statistics.fmean(sqi[p] for p in new_ids) if new_ids else None,
        )  # fmt: skip
        keys = [("all", "alle studenten"), ("level", f"niveau {student.level}"),
                ("leerweg", student.leerweg), ("age", age_band(profile.birth_date, on)),
                ("school", profile.school.name if profile.school else "–")]  # fmt: skip
        for key in keys:
            per[key].append(facts)
    order = {"all": 0, "level": 1, "leerweg": 2, "age": 3, "school": 4}
    result = Review(
        candidate.id, getattr(current, "version_id", None), len(per[("all", "alle studenten")])
    )
    for (group, value), rows in sorted(per.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):

        def mean(i, rows=rows):
            values = [r[i] for r in rows if r[i] is not None]
            return statistics.fmean(values) if values else None

        result.groups.append(GroupChange(group, value, len(rows), mean(0), mean(1), mean(2),
                                         mean(3), mean(4), mean(5)))  # fmt: skip
    return result

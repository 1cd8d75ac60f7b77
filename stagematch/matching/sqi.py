"""Supervision Quality Index (SQI): how well a meester (and the place's leerling–gezel–meester
chain) can supervise a learner, 0–100, from documented parts.

Why these parts (DOMAIN.md §2): a learner learns when someone has time for them, knows how to teach,
and gives real learning tasks instead of routine work; SBB's BPV-monitor and the students' own
evaluations show that the first things to fail are time and attention, mostly at overloaded meesters.

    structure  (0–100)  what the company declares, before any student has said anything:
        30  trained as praktijkopleider
        20  experience, with diminishing returns:      1 − exp(−years / 6)
        30  time per learner, counting the new one:    min(1, hours / (active + 1) / 2)
                (two hours a week per learner is "enough time")
        20  a gezel in the chain (someone beside the learner every day)
        +5  Meestertitel (bonus; the part stays ≤ 100)

    outcome    (0–100)  what happened under this meester, shrunk toward a prior so that one or two
                        answers cannot swing it (Bayesian average):
        75  student ratings (time, feedback, learning tasks, safety; 1–5):
                (n · mean + K · 3.5) / (n + K), K = 5, scaled 1..5 → 0..1;
                counted only from 3 ratings up, so no single student's answer can be read back
                from a public score (below 3 the prior stands)
        25  completion of earlier internships: (ok + K′ · 0.7) / (finished + K′), K′ = 4

    score = 0.5 · structure + 0.5 · outcome, then the load rule:
        an overloaded meester (more learners than capacity) scores at most 25, whatever else is
        true; a meester with no free capacity left scores at most 50 for a new learner.

Every part is returned with the score, so pages can show what it is made of.

Leerbedrijf networks (issue 18): the facts are those of the place's own chain, whichever firm its
members belong to. A one-person firm's place supervised by a partner firm's meester gets that
meester's facts, and the gezel part where the place names a gezel (its own or the partner's, who
works with the learner); never a gezel the place does not name. The loaders
(`ranking/data.py`) already read the place's meester and gezel by id, so nothing here differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from stagematch.matching.text import N_, Phrase, ngettext

PRIOR_RATING = 3.5
RATING_WEIGHT = 5.0  # K: ratings needed before they count as much as the prior
PRIOR_COMPLETION = 0.7
COMPLETION_WEIGHT = 4.0
OVERLOADED_CAP = 25.0
FULL_CAP = 50.0
HOURS_PER_LEARNER_ENOUGH = 2.0


@dataclass(frozen=True)
class MeesterFacts:
    trained: bool
    years_experience: int
    hours_per_week: float
    capacity: int
    active_learners: int
    has_gezel: bool
    meestertitel: bool = False
    ratings_n: int = 0  # number of submitted student evaluations
    rating_mean: float | None = None  # mean of time, feedback, learning tasks, safety (1–5)
    finished: int = 0
    completed_ok: int = 0


@dataclass(frozen=True)
class SQI:
    score: float
    components: dict[str, float] = field(default_factory=dict)
    parts: list[tuple[str, str]] = field(default_factory=list)
    evidence: int = 0  # ratings behind the outcome part

    def as_dict(self) -> dict:
        return {"score": round(self.score, 1), "components": {k: round(v, 1) for k, v in self.components.items()},
                "evidence": self.evidence}  # fmt: skip


def experience_part(years: int) -> float:
    return 1 - math.exp(-max(0, years) / 6)


def time_part(hours_per_week: float, active_learners: int) -> float:
    per_learner = max(0.0, hours_per_week) / (max(0, active_learners) + 1)
    return min(1.0, per_learner / HOURS_PER_LEARNER_ENOUGH)


def structure(f: MeesterFacts) -> float:
    value = 100 * (0.30 * f.trained + 0.20 * experience_part(f.years_experience)
                   + 0.30 * time_part(f.hours_per_week, f.active_learners) + 0.20 * f.has_gezel)  # fmt: skip
    return min(100.0, value + (5.0 if f.meestertitel else 0.0))


MIN_RATINGS = 3


def shrunk_rating(n: int, mean: float | None) -> float:
    if n < MIN_RATINGS or mean is None:
        return PRIOR_RATING
    return (n * mean + RATING_WEIGHT * PRIOR_RATING) / (n + RATING_WEIGHT)


def shrunk_completion(finished: int, ok: int) -> float:
    return (ok + COMPLETION_WEIGHT * PRIOR_COMPLETION) / (max(0, finished) + COMPLETION_WEIGHT)


def outcome(f: MeesterFacts) -> float:
    rating = (shrunk_rating(f.ratings_n, f.rating_mean) - 1) / 4
    return 100 * (0.75 * rating + 0.25 * shrunk_completion(f.finished, f.completed_ok))


def load(f: MeesterFacts) -> float:
    """100 = empty, 0 = full; negative values are clipped (overload is handled as a cap)."""
    if f.capacity <= 0:
        return 0.0
    return max(0.0, 100 * (1 - f.active_learners / f.capacity))


def compute(f: MeesterFacts) -> SQI:
    s, o, l_ = structure(f), outcome(f), load(f)
    score = 0.5 * s + 0.5 * o
    if f.active_learners > f.capacity:
        score = min(score, OVERLOADED_CAP)
    elif f.active_learners >= f.capacity:
        score = min(score, FULL_CAP)
    yes, no = Phrase(N_("ja")), Phrase(N_("nee"))
    parts = [
        (Phrase(N_("Opgeleid als praktijkopleider")), yes if f.trained else no),
        (Phrase(N_("Ervaring")), ngettext("%(num)s jaar", "%(num)s jaar", f.years_experience)),
        (Phrase(N_("Tijd per leerling")),
         ngettext("%(num)s uur per week", "%(num)s uur per week", round(f.hours_per_week / (f.active_learners + 1), 1))),
        (Phrase(N_("Gezel in de begeleiding")), yes if f.has_gezel else no),
        (Phrase(N_("Bezetting")),
         Phrase(N_("%(active)s van %(capacity)s leerlingen"), active=f.active_learners, capacity=f.capacity)),
        (Phrase(N_("Oordeel van studenten")),
         Phrase(N_("%(rating)s van 5 (%(n)s beoordelingen)"),
                rating=round(float(shrunk_rating(f.ratings_n, f.rating_mean)), 1), n=f.ratings_n)
         if f.ratings_n >= MIN_RATINGS else Phrase(N_("nog te weinig beoordelingen"))),
        (Phrase(N_("Goed afgeronde stages")),
         Phrase(N_("%(ok)s van %(finished)s"), ok=f.completed_ok, finished=f.finished)
         if f.finished else Phrase(N_("nog geen"))),
    ]  # fmt: skip
    evidence = f.ratings_n if f.ratings_n >= MIN_RATINGS else 0
    return SQI(score, {"structure": s, "outcome": o, "load": l_}, parts, evidence)

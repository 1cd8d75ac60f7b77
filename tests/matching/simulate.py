"""Synthetic students, places and finished internships with the demo's ground truth
(stagematch.demo: structure_score, success_probability); `reverse` flips the effects of
supervision, distance and fit so a test can check the model learns whatever the data says."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from stagematch.demo import structure_score
from stagematch.matching.data import PlaceData, StudentData
from stagematch.matching.model import TrainingExample
from stagematch.matching.sqi import MeesterFacts

SKILLS = [
    "koken",
    "kassa",
    "lassen",
    "excel",
    "zorg",
    "plannen",
    "hygiëne",
    "klantcontact",
    "solderen",
    "verkoop",
]
HOME = (52.22, 6.89)  # Enschede


def meester(rng: random.Random, **over) -> MeesterFacts:
    facts = dict(trained=rng.random() < 0.6, years_experience=rng.randint(0, 25), hours_per_week=rng.choice([1, 2, 4, 6, 8]),
                 capacity=rng.randint(2, 5), active_learners=rng.randint(0, 1), has_gezel=rng.random() < 0.5,
                 meestertitel=rng.random() < 0.1, ratings_n=rng.randint(0, 12), rating_mean=None, finished=0, completed_ok=0)  # fmt: skip
    facts.update(over)
    if facts["rating_mean"] is None and facts["ratings_n"]:
        facts["rating_mean"] = max(1.0, min(5.0, rng.gauss(3.5, 0.6)))
    return MeesterFacts(**facts)


def place(rng: random.Random, i: int, **over) -> PlaceData:
    skills = tuple(rng.sample(SKILLS, 3))
    dlat, dlon = rng.uniform(-0.25, 0.25), rng.uniform(-0.35, 0.35)
    data = dict(id=i, company_id=i % 50, leerweg="BOL", level=2, crebos=frozenset({"25180"}), dossiers=frozenset({"23085"}),
                lat=HOME[0] + dlat, lon=HOME[1] + dlon, start_date=date(2024, 1, 1) + timedelta(days=rng.randint(0, 700)),
                duration_weeks=20, days_per_week=None, pay_per_month=rng.choice([0, 150, 250, 350, 500]), sector="Horeca",
                published_at=datetime(2023, 6, 1) + timedelta(days=rng.randint(0, 900)), text="Je leert " + " ".join(skills),
                skills=skills, seats_free=1, meester=meester(rng), gezel=rng.random() < 0.4)  # fmt: skip
    data.update(over)
    return PlaceData(**data)


def student(rng: random.Random, i: int, **over) -> StudentData:
    data = dict(id=i, leerweg="BOL", level=2, crebo="25180", dossier="23085", lat=HOME[0], lon=HOME[1],
                max_travel_km=rng.choice([15, 25, 40]), available_from=None, skills=tuple(rng.sample(SKILLS, 3)),
                interests=(), name=f"Student {i}")  # fmt: skip
    data.update(over)
    return StudentData(**data)


def truth(s: StudentData, p: PlaceData, reverse: bool = False) -> float:
    """Ground-truth success probability (the demo simulation's formula)."""
    from stagematch.geo import distance_km

    m = p.meester
    structure = structure_score(trained=m.trained, years=m.years_experience,
                                hours_per_learner=m.hours_per_week / max(1, m.active_learners + 1),
                                has_gezel=p.gezel, meestertitel=m.meestertitel)  # fmt: skip
    hidden = ((m.rating_mean or 3.5) - 3.5) / 4
    ratio = distance_km(s.lat, s.lon, p.lat, p.lon) / s.max_travel_km
    req = set(p.skills)
    overlap = len(req & set(s.skills)) / len(req)
    sign = -1 if reverse else 1
    logit = 0.4 + sign * (
        2.5 * (structure - 0.5) + 3.0 * hidden - 1.6 * ratio + 2.0 * (overlap - 0.3)
    )
    return 1 / (1 + math.exp(-logit))


def examples(n: int = 2500, seed: int = 1, reverse: bool = False) -> list[TrainingExample]:
    rng = random.Random(seed)
    result = []
    for i in range(n):
        s, p = student(rng, i), place(rng, i)
        result.append(TrainingExample(s, p, p.start_date, rng.random() < truth(s, p, reverse)))
    return result

"""Features of a (student, place) pair, vectorised over many pairs.

Never used: name, gender, age, nationality, origin, accessibility needs, photo — StudentData
carries them only so a test can prove they change nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from stagematch.matching import sqi as sqi_module
from stagematch.matching.data import PlaceData, StudentData

FEATURES = [
    "distance_km",  # town centre to town centre
    "distance_ratio",  # distance / the student's travel radius
    "same_crebo",  # 1: the student's own crebo; 0: another crebo of the same dossier
    "text_fit",  # TF-IDF cosine: student's skills and interests vs the place's tasks and skills
    "skill_overlap",  # share of the place's required skills the student lists
    "pay_ratio",  # allowance or wage relative to the median for the sector and leerweg
    "bbl_days_gap",  # |days the student wants − days offered| (BBL; 0 otherwise)
    "sqi",
    "sqi_structure",
    "sqi_outcome",
    "sqi_load",
    "meester_load_ratio",  # active learners / capacity
    "company_completion",  # earlier internships at the company that ended well (shrunk)
    "has_gezel",
]
# Groups of features that a reason talks about together.
GROUPS = {
    "distance": ["distance_km", "distance_ratio"],
    "fit": ["same_crebo", "text_fit", "skill_overlap"],
    "supervision": [
        "sqi",
        "sqi_structure",
        "sqi_outcome",
        "sqi_load",
        "meester_load_ratio",
        "has_gezel",
    ],
    "pay": ["pay_ratio"],
    "bbl_days": ["bbl_days_gap"],
    "company": ["company_completion"],
}


def _norm(tags: Sequence[str]) -> set[str]:
    return {t.strip().lower() for t in tags if t.strip()}


@dataclass
class FeatureContext:
    vectorizer: TfidfVectorizer
    pay_median: dict[tuple[str, str], float]

    def median(self, sector: str, leerweg: str) -> float:
        return self.pay_median.get((sector, leerweg)) or self.pay_median.get(("*", leerweg)) or 1.0


def fit_context(places: Sequence[PlaceData]) -> FeatureContext:
    texts = [f"{p.text} {' '.join(p.skills)}" for p in places] or ["stage"]
    vectorizer = TfidfVectorizer(lowercase=True, min_df=1, ngram_range=(1, 1), sublinear_tf=True)
    vectorizer.fit(texts)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for p in places:
        groups[(p.sector, p.leerweg)].append(p.pay_per_month)
        groups[("*", p.leerweg)].append(p.pay_per_month)
    return FeatureContext(vectorizer, {k: float(np.median(v)) for k, v in groups.items()})


def place_sqi(place: PlaceData) -> sqi_module.SQI:
    facts = place.meester
    if place.gezel and not facts.has_gezel:
        facts = sqi_module.MeesterFacts(**{**facts.__dict__, "has_gezel": True})
    return sqi_module.compute(facts)


def build_features(
    pairs: Sequence[tuple[StudentData, PlaceData]], context: FeatureContext
) -> np.ndarray:
    from stagematch.geo import distance_km

    n = len(pairs)
    X = np.zeros((n, len(FEATURES)))
    if n == 0:
        return X
    student_texts = [" ".join((*s.skills, *s.interests)) or "-" for s, _ in pairs]
    place_texts = [f"{p.text} {' '.join(p.skills)}" for _, p in pairs]
    A = context.vectorizer.transform(student_texts)
    B = context.vectorizer.transform(place_texts)
    text_fit = np.asarray(A.multiply(B).sum(axis=1)).ravel()
    sqi_cache: dict[int, sqi_module.SQI] = {}
    for i, (s, p) in enumerate(pairs):
        d = distance_km(s.lat, s.lon, p.lat, p.lon) if s.lat is not None else s.max_travel_km / 2
        required = _norm(p.skills)
        overlap = (
            len(required & _norm((*s.skills, *s.interests))) / len(required) if required else 0.0
        )
        gap = (
            abs((s.bbl_days or p.days_per_week or 0) - (p.days_per_week or 0))
            if p.leerweg == "BBL"
            else 0
        )
        q = sqi_cache.get(p.id)
        if q is None:
            q = sqi_cache[p.id] = place_sqi(p)
        completion = sqi_module.shrunk_completion(p.company_finished, p.company_ok)
        X[i] = (
            d, d / max(1, s.max_travel_km), float(s.crebo in p.crebos), text_fit[i], overlap,
            p.pay_per_month / context.median(p.sector, p.leerweg), gap, q.score, q.components["structure"],
            q.components["outcome"], q.components["load"],
            p.meester.active_learners / max(1, p.meester.capacity), completion, float(p.gezel),
        )  # fmt: skip
    return X

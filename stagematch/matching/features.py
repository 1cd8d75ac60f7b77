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
    "meester_load_ratio",  # learners over the place's period / capacity
    "company_completion",  # earlier internships at the company that ended well (shrunk)
    "has_gezel",
    "time_per_learner",  # the meester's supervision hours / (learners + the new one), ≤ 8
    "meester_trained",  # trained as praktijkopleider
    "rating",  # students' ratings of the meester, shrunk toward the prior (1–5)
    "meester_completion",  # earlier internships under the meester that ended well (shrunk)
    "low_level",  # (4 − level) / 3: 1 for Entree, 0 for level 4
    "low_level_x_time",  # low_level · time_per_learner: time matters more at levels 1–2
    "low_level_x_gezel",  # low_level · has_gezel: so does a gezel beside the learner
    "interest_overlap",  # share of the student's interests among the place's required skills
    "low_level_x_distance",  # low_level · distance_ratio: lower levels are bound to their region
    "bbl_x_pay",  # pay_ratio on BBL places (a wage is income), 0 on stage places
    "answer_rate",  # share of the company's applications answered in time (shrunk)
    "competition",  # log(1 + open applications per free seat of the place)
    "viewed",  # 1: the student opened this place's page in the days before (interaction log)
    "revisits",  # the days more than one on which they opened it (0..MAX_REVISITS): came back
    "saved",  # 1: the student kept this place among their bewaarde plekken
]
MAX_HOURS_PER_LEARNER = 8.0

# The structure every model must respect, by construction (issue 16): +1 the score never goes
# down when the feature goes up, −1 never up, 0 free. Every feature moves the same way when a
# place gets nearer, its meester gets more time per learner, better ratings or completions, a
# training or a gezel, or when the place is for the student's own crebo rather than a sibling
# of the dossier (tests/test_ranking_metamorphic.py). The level alone is free; its interactions
# with time and the gezel are not.
MONOTONE = {
    "distance_km": -1, "distance_ratio": -1, "same_crebo": 1, "text_fit": 1, "skill_overlap": 1,
    "pay_ratio": 1, "bbl_days_gap": -1, "sqi": 1, "sqi_structure": 1, "sqi_outcome": 1,
    "sqi_load": 1, "meester_load_ratio": -1, "company_completion": 1, "has_gezel": 1,
    "time_per_learner": 1, "meester_trained": 1, "rating": 1, "meester_completion": 1,
    "low_level": 0, "low_level_x_time": 1, "low_level_x_gezel": 1, "interest_overlap": 1,
    "low_level_x_distance": -1, "bbl_x_pay": 1, "answer_rate": 1, "competition": -1, "viewed": 1, "revisits": 1,
    "saved": 1,
}  # fmt: skip
SIGNS = [MONOTONE[f] for f in FEATURES]

# Groups of features that a reason talks about together.
GROUPS = {
    "distance": ["distance_km", "distance_ratio", "low_level_x_distance"],
    "fit": ["same_crebo", "text_fit", "skill_overlap", "interest_overlap"],
    "supervision": [
        "sqi",
        "sqi_structure",
        "sqi_outcome",
        "sqi_load",
        "meester_load_ratio",
        "has_gezel",
        "time_per_learner",
        "meester_trained",
        "rating",
        "meester_completion",
        "low_level_x_time",
        "low_level_x_gezel",
    ],
    "pay": ["pay_ratio", "bbl_x_pay"],
    "bbl_days": ["bbl_days_gap"],
    "company": ["company_completion"],
    "level": ["low_level"],
    "market": ["answer_rate", "competition"],
    "interest": ["viewed", "revisits", "saved"],
}

# Shrinking a company's answer rate toward what most companies do, so that one unanswered
# application of a company with no history does not make it "never answers".
ANSWER_PRIOR, ANSWER_PRIOR_WEIGHT = 0.7, 3.0


def answer_rate(asked: int, answered: int) -> float:
    return (answered + ANSWER_PRIOR_WEIGHT * ANSWER_PRIOR) / (asked + ANSWER_PRIOR_WEIGHT)


def applicants_per_seat(place: PlaceData) -> float:
    """Open applications per free seat (at least one seat: a full place is not on offer)."""
    return place.open_applications / max(1, place.seats_free)


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


def sqi_numbers(place: PlaceData) -> tuple[float, float, float, float]:
    """(score, structure, outcome, load) of `place_sqi(place)`, without building the parts and
    phrases that a page shows (those cost more than the numbers). Same formulas and caps as
    `sqi.compute`; a test keeps the two equal."""
    facts = place.meester
    if place.gezel and not facts.has_gezel:
        facts = sqi_module.MeesterFacts(**{**facts.__dict__, "has_gezel": True})
    s, o, l_ = sqi_module.structure(facts), sqi_module.outcome(facts), sqi_module.load(facts)
    score = 0.5 * s + 0.5 * o
    if facts.active_learners > facts.capacity:
        score = min(score, sqi_module.OVERLOADED_CAP)
    elif facts.active_learners >= facts.capacity:
        score = min(score, sqi_module.FULL_CAP)
    return score, s, o, l_


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """`geo.distance_km` over numpy arrays (broadcasting)."""
    from stagematch.geo import EARTH_RADIUS_KM

    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


def _student_text(s: StudentData) -> str:
    return " ".join((*s.skills, *s.interests)) or "-"


def _place_text(p: PlaceData) -> str:
    return f"{p.text} {' '.join(p.skills)}"


def _transform(context: FeatureContext, texts: list[str]):
    """TF-IDF rows of `texts`; each distinct text is transformed once (rows are independent)."""
    unique = list(dict.fromkeys(texts))
    rows = {t: i for i, t in enumerate(unique)}
    matrix = context.vectorizer.transform(unique).tocsr()
    return matrix, np.fromiter((rows[t] for t in texts), dtype=np.intp, count=len(texts))


@dataclass
class PlaceBlock:
    """The parts of the features that depend on the place alone, one row per place, computed once
    for every student that is scored against it."""

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    crebo_index: dict[str, int]  # crebo -> column of `crebos`
    crebos: np.ndarray  # bool (places x crebos)
    text: object  # sparse TF-IDF rows (places x vocabulary)
    skill_index: dict[str, int]  # normalised required skill -> column of `skills`
    skills: object  # sparse 0/1 (places x skills)
    n_required: np.ndarray
    pay_ratio: np.ndarray
    bbl: np.ndarray  # bool: leerweg BBL
    days: np.ndarray  # days per week (0 when unknown)
    sqi: np.ndarray  # (places x 4): score, structure, outcome, load
    load_ratio: np.ndarray
    completion: np.ndarray
    gezel: np.ndarray
    meester: np.ndarray  # (places x 4): time per learner, trained, rating, completion
    market: np.ndarray  # (places x 2): answer rate, competition


@dataclass
class StudentBlock:
    lat: np.ndarray  # nan without a location
    lon: np.ndarray
    max_travel: np.ndarray
    crebo: np.ndarray  # column in the place block's crebo matrix, -1 when no place has it
    bbl_days: np.ndarray  # 0 when not given
    low_level: np.ndarray  # (4 − level) / 3, within 0..1
    text: object  # sparse TF-IDF rows
    skills: object  # sparse 0/1 over the place block's skills
    interests: object  # sparse 0/1: the student's interests among the place block's skills
    n_interests: np.ndarray
    viewed: np.ndarray  # sorted keys row * VIEW_KEY + place id of the places each student viewed
    revisit_keys: np.ndarray  # the same for the places they came back to (sorted)
    revisits: np.ndarray  # how often they came back, per revisit key
    saved: np.ndarray  # the same for the places each student saved


def place_block(places: Sequence[PlaceData], context: FeatureContext, *, text=None) -> PlaceBlock:
    """Per-place parts. The SQI is computed once per distinct meester/gezel facts: training
    examples of one place each carry their own leave-one-out facts, so each gets its own SQI (an
    SQI per place id would give every example the first one's, which includes the others'
    outcomes)."""
    from scipy import sparse

    n = len(places)
    crebo_index: dict[str, int] = {}
    for p in places:
        for c in p.crebos:
            crebo_index.setdefault(c, len(crebo_index))
    crebos = np.zeros((n, max(1, len(crebo_index))), dtype=bool)
    skill_index: dict[str, int] = {}
    rows, cols = [], []
    n_required = np.zeros(n)
    sqi_by_facts: dict[tuple, tuple[float, float, float, float]] = {}
    sqi = np.zeros((n, 4))
    numbers = np.zeros((n, 8))  # lat, lon, pay ratio, bbl, days, load ratio, completion, gezel
    meester = np.zeros((n, 4))
    market = np.zeros((n, 2))
    for i, p in enumerate(places):
        for c in p.crebos:
            crebos[i, crebo_index[c]] = True
        required = _norm(p.skills)
        n_required[i] = len(required)
        for tag in required:
            rows.append(i)
            cols.append(skill_index.setdefault(tag, len(skill_index)))
        key = (p.meester, p.gezel)
        q = sqi_by_facts.get(key)
        if q is None:
            q = sqi_by_facts[key] = sqi_numbers(p)
        sqi[i] = q
        numbers[i] = (
            p.lat, p.lon, p.pay_per_month / context.median(p.sector, p.leerweg), p.leerweg == "BBL",
            p.days_per_week or 0, p.meester.active_learners / max(1, p.meester.capacity),
            sqi_module.shrunk_completion(p.company_finished, p.company_ok), float(p.gezel),
        )  # fmt: skip
        m = p.meester
        meester[i] = (
            min(MAX_HOURS_PER_LEARNER, max(0.0, m.hours_per_week) / (max(0, m.active_learners) + 1)),
            float(m.trained), sqi_module.shrunk_rating(m.ratings_n, m.rating_mean),
            sqi_module.shrunk_completion(m.finished, m.completed_ok),
        )  # fmt: skip
        market[i] = (
            answer_rate(p.company_asked, p.company_answered),
            np.log1p(applicants_per_seat(p)),
        )
    skills = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(n, max(1, len(skill_index)))
    )
    if text is None:
        text, index = _transform(context, [_place_text(p) for p in places])
        text = text[index]
    return PlaceBlock(
        ids=np.array([p.id for p in places], dtype=np.int64), lat=numbers[:, 0], lon=numbers[:, 1],
        crebo_index=crebo_index, crebos=crebos, text=text, skill_index=skill_index,
        skills=skills, n_required=n_required, pay_ratio=numbers[:, 2], bbl=numbers[:, 3].astype(bool),
        days=numbers[:, 4], sqi=sqi, load_ratio=numbers[:, 5], completion=numbers[:, 6],
        gezel=numbers[:, 7], meester=meester, market=market,
    )  # fmt: skip


def student_block(
    students: Sequence[StudentData], places: PlaceBlock, context: FeatureContext, *, text=None
) -> StudentBlock:
    from scipy import sparse

    n = len(students)

    def known(tags_of) -> object:
        """Sparse 0/1 (students x the place block's skills) of the tags each student lists."""
        rows, cols = [], []
        for i, s in enumerate(students):
            for tag in _norm(tags_of(s)):
                j = places.skill_index.get(tag)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        return sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(n, places.skills.shape[1])
        )

    skills = known(lambda s: (*s.skills, *s.interests))
    interests = known(lambda s: s.interests)
    if text is None:
        text, index = _transform(context, [_student_text(s) for s in students])
        text = text[index]
    nan = float("nan")
    revisit_keys, revisits = _revisit_keys(students)
    return StudentBlock(
        lat=np.array([nan if s.lat is None else s.lat for s in students], dtype=float),
        lon=np.array([nan if s.lon is None else s.lon for s in students], dtype=float),
        max_travel=np.array([s.max_travel_km for s in students], dtype=float),
        crebo=np.array([places.crebo_index.get(s.crebo, -1) for s in students], dtype=np.intp),
        bbl_days=np.array([s.bbl_days or 0 for s in students], dtype=float),
        low_level=np.clip((4 - np.array([s.level for s in students], dtype=float)) / 3, 0, 1),
        text=text, skills=skills, interests=interests,
        n_interests=np.array([len(_norm(s.interests)) for s in students], dtype=float),
        viewed=_keys(students, lambda s: s.viewed),
        revisit_keys=revisit_keys, revisits=revisits,
        saved=_keys(students, lambda s: s.saved),
    )  # fmt: skip


VIEW_KEY = 1 << 32  # student row * VIEW_KEY + place id: one int64 per viewed pair


def _keys(students: Sequence[StudentData], ids_of) -> np.ndarray:
    return np.sort(
        np.array([i * VIEW_KEY + p for i, s in enumerate(students) for p in ids_of(s)], np.int64)
    )


MAX_REVISITS = 3  # coming back on more days adds nothing more


def _revisit_keys(students: Sequence[StudentData]) -> tuple[np.ndarray, np.ndarray]:
    pairs = sorted(
        (i * VIEW_KEY + p, min(n, MAX_REVISITS))
        for i, s in enumerate(students) for p, n in s.revisits
    )  # fmt: skip
    return np.array([k for k, _ in pairs], np.int64), np.array([n for _, n in pairs], float)


def _rowwise_dot(A, B) -> np.ndarray:
    return np.asarray(A.multiply(B).sum(axis=1)).ravel()


PAIR_CHUNK = 200_000  # pairs per step of pair_features (the sparse products hold memory)


def pair_features(
    students: StudentBlock, places: PlaceBlock, si: np.ndarray, pj: np.ndarray
) -> np.ndarray:
    """The feature matrix of the pairs (students row si[k], places row pj[k])."""
    n = len(si)
    X = np.zeros((n, len(FEATURES)))
    for start in range(0, n, PAIR_CHUNK):
        stop = min(n, start + PAIR_CHUNK)
        _pair_rows(X[start:stop], students, places, si[start:stop], pj[start:stop])
    return X


def _pair_rows(X, students: StudentBlock, places: PlaceBlock, si, pj) -> None:
    n = len(si)
    if n == 0:
        return
    lat, travel = students.lat[si], students.max_travel[si]
    d = np.where(
        np.isnan(lat),
        travel / 2,
        haversine_km(lat, students.lon[si], places.lat[pj], places.lon[pj]),
    )
    crebo = students.crebo[si]
    same = np.zeros(n)
    known = crebo >= 0
    same[known] = places.crebos[pj[known], crebo[known]]
    required = places.n_required[pj]
    overlap = _rowwise_dot(students.skills[si], places.skills[pj])
    overlap = np.divide(overlap, required, out=np.zeros(n), where=required > 0)
    bbl_days = students.bbl_days[si]
    gap = np.where(places.bbl[pj] & (bbl_days != 0), np.abs(bbl_days - places.days[pj]), 0.0)
    X[:, 0] = d
    X[:, 1] = d / np.maximum(1, travel)
    X[:, 2] = same
    X[:, 3] = _rowwise_dot(students.text[si], places.text[pj])
    X[:, 4] = overlap
    X[:, 5] = places.pay_ratio[pj]
    X[:, 6] = gap
    X[:, 7:11] = places.sqi[pj]
    X[:, 11] = places.load_ratio[pj]
    X[:, 12] = places.completion[pj]
    X[:, 13] = places.gezel[pj]
    X[:, 14:18] = places.meester[pj]
    low = students.low_level[si]
    X[:, 18] = low
    X[:, 19] = low * X[:, 14]
    X[:, 20] = low * X[:, 13]
    liked = _rowwise_dot(students.interests[si], places.skills[pj])
    wanted = students.n_interests[si]
    X[:, 21] = np.divide(liked, wanted, out=np.zeros(n), where=wanted > 0)
    X[:, 22] = low * X[:, 1]
    X[:, 23] = np.where(places.bbl[pj], X[:, 5], 0.0)
    X[:, 24:26] = places.market[pj]
    if len(students.viewed) or len(students.saved):
        keys = si.astype(np.int64) * VIEW_KEY + places.ids[pj]
        X[:, 26] = np.isin(keys, students.viewed)
        X[:, 28] = np.isin(keys, students.saved)
        if len(students.revisit_keys):
            at = np.minimum(
                np.searchsorted(students.revisit_keys, keys), len(students.revisit_keys) - 1
            )
            X[:, 27] = np.where(students.revisit_keys[at] == keys, students.revisits[at], 0.0)


def build_features(
    pairs: Sequence[tuple[StudentData, PlaceData]], context: FeatureContext
) -> np.ndarray:
    """Features of explicit (student, place) pairs; the same code as the batch path
    (`place_block`, `student_block`, `pair_features`)."""
    n = len(pairs)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    students: dict[int, int] = {}  # id(object) -> row
    places: dict[int, int] = {}
    student_list, place_list = [], []
    si = np.empty(n, dtype=np.intp)
    pj = np.empty(n, dtype=np.intp)
    for k, (s, p) in enumerate(pairs):
        i = students.get(id(s))
        if i is None:
            i = students[id(s)] = len(student_list)
            student_list.append(s)
        j = places.get(id(p))
        if j is None:
            j = places[id(p)] = len(place_list)
            place_list.append(p)
        si[k], pj[k] = i, j
    # One TF-IDF call for both sides (each call has a fixed cost; rows are independent).
    texts = [_student_text(s) for s in student_list] + [_place_text(p) for p in place_list]
    matrix, index = _transform(context, texts)
    m = len(student_list)
    block = place_block(place_list, context, text=matrix[index[m:]])
    students = student_block(student_list, block, context, text=matrix[index[:m]])
    return pair_features(students, block, si, pj)

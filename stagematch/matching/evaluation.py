"""Per-student evaluation of a ranking: the question a student's list answers.

For each held-out student (a `Session`): the places that were on offer then and that the
eligibility rules allowed, ranked by a scorer, graded by what happened — the place they completed
well (GOOD, gain 3) above the places they applied to, were shortlisted or offered at, or started
at without a good outcome (ENGAGED, gain 1), above the rest (gain 0). Per student:

- NDCG@10 with gains 2^grade − 1 (1.0: the list puts what happened first, in grade order);
- recall@10: the share of the student's graded places that are in the top 10;
- expected success of the top pick: the chance that the first place leads to a good completion,
  estimated from outcomes the model never saw (see `expected_success`), so a ranker cannot buy
  NDCG with places where internships go badly.

Ties in a score are broken at random (seeded), never by the order the places came in. Students
with no graded place, or with only one candidate, have nothing to rank and are left out.

Every figure comes with a 95 % bootstrap interval over students (resampled with replacement, the
same resamples for every ranker), and every baseline with the *paired* difference model − baseline
and its interval: the question is whether the model beats the baseline for the same students."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from stagematch.matching.data import ENGAGED, GOOD, NOTHING, Session
from stagematch.matching.text import N_

GAIN = np.array([0.0, 1.0, 3.0])  # 2^grade − 1 for NOTHING, ENGAGED, GOOD
K = 10
BOOTSTRAP = 1000
SHRINK = 4.0  # outcomes before a meester's own rate counts as much as the prior

DISTANCE = N_("afstand (Stagemarkt)")
NEWEST = N_("nieuwste eerst")
SQI_ONLY = N_("alleen SQI")
RULE = N_("de regel (zonder model)")
BASELINES = (DISTANCE, NEWEST, SQI_ONLY, RULE)


@dataclass(frozen=True)
class Flat:
    """Sessions as flat rows (one per candidate), in session order."""

    sessions: tuple[Session, ...]
    group: np.ndarray  # session index of each row
    grade: np.ndarray
    start: np.ndarray  # first row of each session
    size: np.ndarray  # rows of each session

    @property
    def pairs(self) -> list:
        return [(s.student, p) for s in self.sessions for p in s.places]


def flatten(sessions: Sequence[Session]) -> Flat:
    size = np.array([len(s.places) for s in sessions], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    group = np.repeat(np.arange(len(sessions)), size)
    grade = np.fromiter(
        (g for s in sessions for g in s.grades), dtype=np.int64, count=int(size.sum())
    )
    return Flat(tuple(sessions), group, grade, start, size)


def rankable(sessions: Sequence[Session]) -> list[Session]:
    """The sessions a ranking can be judged on: two candidates or more, one of them graded."""
    return [s for s in sessions if len(s.places) >= 2 and max(s.grades, default=0) > NOTHING]


SETTLE_DAYS = 60


def settled(sessions: Sequence[Session], *, as_of: date | None = None) -> list[Session]:
    """The sessions whose grades are final on `as_of` (default: the last session's day): the
    internship among the candidates has ended, or none started there and SETTLE_DAYS have passed.
    A running internship may still end well, so its session cannot be judged yet."""
    if not sessions:
        return []
    as_of = as_of or max(s.on for s in sessions)
    return [
        s
        for s in sessions
        if s.success is not None or (s.started is None and (as_of - s.on).days >= SETTLE_DAYS)
    ]


def running(sessions: Sequence[Session]) -> list[Session]:
    """The sessions whose student started an internship among the candidates that has not ended:
    where they went is known (ENGAGED), how it ends is not. Not to judge a ranking on; to learn
    where students go from — without them a leerweg whose internships run for years (BBL) would
    be missing from all but the newest part."""
    return [s for s in sessions if s.started is not None and s.success is None]


def order(flat: Flat, scores: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Row indices, each session's rows best first (ties at random, seeded)."""
    noise = np.random.default_rng(seed).random(len(scores))
    return np.lexsort((noise, -np.asarray(scores, dtype=float), flat.group))


def per_student(
    flat: Flat, scores: np.ndarray, *, expected: np.ndarray | None = None, k: int = K, seed: int = 0
) -> dict[str, np.ndarray]:
    """Per session: `ndcg`, `recall` and (with `expected`, per row) `top_success`."""
    n = len(flat.sessions)
    ranked = order(flat, scores, seed=seed)
    position = np.empty(len(ranked), dtype=np.int64)
    position[ranked] = np.arange(len(ranked)) - flat.start[flat.group[ranked]]
    gain = GAIN[flat.grade]
    top = position < k
    discount = 1.0 / np.log2(position + 2.0)
    dcg = np.bincount(flat.group, weights=np.where(top, gain * discount, 0.0), minlength=n)
    # The ideal list: each session's gains sorted, best first.
    ideal_rows = np.lexsort((-gain, flat.group))
    ideal_position = np.arange(len(ideal_rows)) - flat.start[flat.group[ideal_rows]]
    ideal_gain = gain[ideal_rows] * (ideal_position < k) / np.log2(ideal_position + 2.0)
    idcg = np.bincount(flat.group[ideal_rows], weights=ideal_gain, minlength=n)
    relevant = flat.grade > NOTHING
    hits = np.bincount(flat.group, weights=(relevant & top).astype(float), minlength=n)
    total = np.bincount(flat.group, weights=relevant.astype(float), minlength=n)
    result = {
        "ndcg": np.divide(dcg, idcg, out=np.zeros(n), where=idcg > 0),
        "recall": np.divide(hits, total, out=np.zeros(n), where=total > 0),
    }
    if expected is not None:
        first = ranked[flat.start]  # the top row of each session (sessions are never empty)
        result["top_success"] = np.asarray(expected, dtype=float)[first]
    return result


def expected_success(
    sessions: Sequence[Session], flat: Flat, *, since: date | None = None
) -> np.ndarray:
    """Per row of `flat`: the chance that the place leads to a good completion, estimated from the
    outcomes of internships that ended on or after `since` (outcomes no model trained before
    `since` saw) under the same meester (the company when the meester is unknown), the row's own
    student's internship left out, shrunk toward the mean of those outcomes (K = 4)."""
    tally: dict[object, list[int]] = {}
    own: dict[int, tuple[object, int]] = {}  # session index in `flat` -> (key, success)
    index = {id(s): i for i, s in enumerate(flat.sessions)}
    for s in sessions:
        if s.started is None or s.success is None:
            continue
        if since is not None and (s.ended_on is None or s.ended_on < since):
            continue
        key = _who(s.places[s.started])
        counts = tally.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += int(s.success)
        if id(s) in index:
            own[index[id(s)]] = (key, int(s.success))
    n_all = sum(c[0] for c in tally.values())
    prior = sum(c[1] for c in tally.values()) / n_all if n_all else 0.5
    result = np.empty(len(flat.group))
    for i, s in enumerate(flat.sessions):
        mine = own.get(i)
        for j, place in enumerate(s.places):
            key = _who(place)
            n, ok = tally.get(key, (0, 0))
            if mine is not None and mine[0] == key:
                n, ok = n - 1, ok - mine[1]
            result[flat.start[i] + j] = (ok + SHRINK * prior) / (n + SHRINK)
    return result


def _who(place) -> object:
    return place.meester_id if place.meester_id is not None else ("company", place.company_id)


def baseline_scores(flat: Flat, X: np.ndarray, features: Sequence[str]) -> dict[str, np.ndarray]:
    """The simple orders the model must beat: distance only (as Stagemarkt sorts), newest first
    (as the British service sorts), the supervision quality alone, and the transparent rule the
    site uses without a model."""
    from stagematch.matching.model import rule_score

    col = {f: i for i, f in enumerate(features)}
    newest = np.array(
        [
            p.published_at.timestamp() if p.published_at is not None else 0.0
            for s in flat.sessions
            for p in s.places
        ]
    )
    return {
        DISTANCE: -X[:, col["distance_km"]],
        NEWEST: newest,
        SQI_ONLY: X[:, col["sqi"]],
        RULE: rule_score(X),
    }


def _interval(samples: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return float(lo), float(hi)


def evaluate(
    flat: Flat,
    rankers: Mapping[str, np.ndarray],
    *,
    reference: str,
    expected: np.ndarray | None = None,
    k: int = K,
    n_boot: int = BOOTSTRAP,
    seed: int = 0,
) -> list[dict]:
    """One row per ranker (`reference` first): mean NDCG@k, recall@k and expected success of the
    top pick over the sessions of `flat`, each with its 95 % bootstrap interval; for every other
    ranker also the paired difference reference − ranker in NDCG@k with its interval."""
    n = len(flat.sessions)
    if n == 0:
        return []
    metrics = {
        name: per_student(flat, scores, expected=expected, k=k, seed=seed)
        for name, scores in rankers.items()
    }
    resample = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))

    def summary(values: np.ndarray) -> tuple[float, float, float]:
        return (float(values.mean()), *_interval(values[resample].mean(axis=1)))

    rows = []
    for name in [reference, *(r for r in rankers if r != reference)]:
        row: dict = {"name": name, "kind": "model" if name == reference else "baseline", "n": n}
        for key, label in (
            ("ndcg", "ndcg10"),
            ("recall", "recall10"),
            ("top_success", "top_success"),
        ):
            if key in metrics[name]:
                row[label], row[f"{label}_lo"], row[f"{label}_hi"] = (
                    round(v, 4) for v in summary(metrics[name][key])
                )
        if name != reference:
            diff = metrics[reference]["ndcg"] - metrics[name]["ndcg"]
            row["diff"], row["diff_lo"], row["diff_hi"] = (round(v, 4) for v in summary(diff))
        rows.append(row)
    return rows


CROWDED = 3.0  # applications per free seat from which a place counts as crowded


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of non-negative counts (0: all equal, → 1: all on one)."""
    x = np.sort(np.asarray(counts, dtype=float))
    n, total = len(x), float(x.sum())
    if n == 0 or total == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * total))


def exposure(flat: Flat, scores: np.ndarray, *, k: int = K, seed: int = 0) -> dict[str, float]:
    """How a ranking spreads students over the places: `gini` of the number of top-k lists each
    place on offer appears in (every place that was a candidate for anyone counts, also with
    none), and `uncrowded`: the share of students whose top k holds at least one place with
    fewer than CROWDED open applications per free seat (on their day)."""
    from stagematch.matching.features import applicants_per_seat

    ranked = order(flat, scores, seed=seed)
    position = np.empty(len(ranked), dtype=np.int64)
    position[ranked] = np.arange(len(ranked)) - flat.start[flat.group[ranked]]
    top = position < k
    places = [p for s in flat.sessions for p in s.places]
    ids = np.array([p.id for p in places])
    crowded = np.array([applicants_per_seat(p) >= CROWDED for p in places])
    _, index = np.unique(ids, return_inverse=True)
    shown = np.bincount(index, weights=top.astype(float))
    room = np.bincount(flat.group, weights=(top & ~crowded).astype(float),
                       minlength=len(flat.sessions))  # fmt: skip
    return {"gini": gini(shown), "uncrowded": float(np.mean(room > 0))}


def exposure_rows(
    flat: Flat, rankers: Mapping[str, np.ndarray], *, k: int = K, seed: int = 0
) -> list[dict]:
    """One row (kind "exposure") per ranker: mean NDCG@k, Gini and the uncrowded share."""
    rows = []
    for name, scores in rankers.items():
        spread = exposure(flat, scores, k=k, seed=seed)
        rows.append({
            "name": name, "kind": "exposure", "n": len(flat.sessions),
            "ndcg10": round(mean_ndcg(flat, scores, k=k, seed=seed), 4),
            "gini": round(spread["gini"], 4), "uncrowded": round(spread["uncrowded"], 4),
        })  # fmt: skip
    return rows


def mean_ndcg(flat: Flat, scores: np.ndarray, *, k: int = K, seed: int = 0) -> float:
    """Mean per-student NDCG@k (what model selection maximises)."""
    if not len(flat.sessions):
        return float("nan")
    return float(per_student(flat, scores, k=k, seed=seed)["ndcg"].mean())


# --- time ---------------------------------------------------------------------------------------


def split_by_time(
    sessions: Sequence[Session], fractions: Sequence[float] = (0.60, 0.15)
) -> tuple[list[Session], ...]:
    """Sessions by `on` (then student id), cut into consecutive parts: the given fractions and the
    rest (default: oldest 60 % to fit, next 15 % to choose, newest 25 % to report)."""
    ordered = sorted(sessions, key=lambda s: (s.on, s.student.id))
    cuts = [0]
    total = 0.0
    for fraction in fractions:
        total += fraction
        cuts.append(int(round(len(ordered) * total)))
    cuts.append(len(ordered))
    return tuple(ordered[a:b] for a, b in zip(cuts, cuts[1:], strict=False))


def censor(sessions: Sequence[Session], known_by: date) -> list[Session]:
    """The sessions as they were known on `known_by`: an outcome that came later is unknown (a
    GOOD place is ENGAGED then). A model fitted on them can be judged on sessions from
    `known_by` on without having seen a single later outcome."""
    from dataclasses import replace

    result = []
    for s in sessions:
        if s.success is not None and (s.ended_on is None or s.ended_on >= known_by):
            grades = tuple(ENGAGED if g == GOOD else g for g in s.grades)
            s = replace(s, grades=grades, success=None, ended_on=None)
        result.append(s)
    return result

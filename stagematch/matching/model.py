"""The match model: the probability that an internship succeeds (completed with a positive final
evaluation), learned from finished internships; plus the transparent rule used when there is no
model, the comparison with baselines, and explanations a 16-year-old can read.

Training (time split, no peeking at the future):
    oldest 60 % of internships (by start)  -> fit a regularised logistic regression and a
                                              gradient-boosted tree model
    next 15 %                              -> choose the family with the lower log loss, then
                                              calibrate its probabilities (sigmoid, prefit model)
    newest 25 %                            -> report AUC, Brier and NDCG@10 next to the baselines
The calibrated model is the one used; nothing is refitted on the held-out part, so the reported
numbers are what the site gets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from stagematch.matching.data import PlaceData, StudentData
from stagematch.matching.features import (
    FEATURES,
    GROUPS,
    FeatureContext,
    build_features,
    fit_context,
    place_sqi,
)
from stagematch.matching.text import N_, Phrase


@dataclass(frozen=True)
class TrainingExample:
    student: StudentData
    place: PlaceData
    started_on: date
    success: bool


@dataclass
class TrainedModel:
    estimator: object  # calibrated classifier over the feature matrix
    family: str
    context: FeatureContext
    features: list[str]
    reference: np.ndarray  # median feature values of the training data (for explanations)
    metrics: list[dict]
    importances: dict[str, float]
    n_examples: int
    date_range: tuple[str, str]
    trained_at: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))

    def predict(self, X: np.ndarray) -> np.ndarray:
        if not len(X):
            return np.zeros(0)
        fast = _calibrated_positive(self.estimator, X)
        return fast if fast is not None else self.estimator.predict_proba(X)[:, 1]


def _decision(estimator, X: np.ndarray) -> np.ndarray:
    """The decision function of a fitted (pipeline of a) classifier: plain numpy for a standard
    scaler + logistic regression (the same operations sklearn runs, without its input checks,
    which cost more than the arithmetic for one student's candidates), else sklearn's own."""
    steps = [step for _, step in estimator.steps] if isinstance(estimator, Pipeline) else []
    if (
        len(steps) == 2
        and type(steps[0]) is StandardScaler
        and type(steps[1]) is LogisticRegression
        and steps[1].coef_.shape[0] == 1
    ):
        scaler, linear = steps
        Z = np.array(X, dtype=np.float64)  # noqa: N806
        if scaler.with_mean:
            Z -= scaler.mean_
        if scaler.with_std:
            Z /= scaler.scale_
        return (Z @ linear.coef_.T + linear.intercept_).reshape(-1)
    return estimator.decision_function(X)


def _calibrated_positive(estimator, X: np.ndarray) -> np.ndarray | None:
    """P(class 1) of a binary CalibratedClassifierCV with sigmoid calibration, computed as its
    predict_proba does (decision function, sigmoid, mean over the calibrated classifiers);
    None for anything else (the caller then asks sklearn)."""
    from scipy.special import expit
    from sklearn.calibration import _SigmoidCalibration

    if not isinstance(estimator, CalibratedClassifierCV):
        return None
    total = np.zeros(len(X))
    for calibrated in estimator.calibrated_classifiers_:
        inner = calibrated.estimator
        if isinstance(inner, FrozenEstimator):
            inner = inner.estimator
        if (
            calibrated.method != "sigmoid"
            or list(calibrated.classes) != [0, 1]
            or list(getattr(inner, "classes_", [])) != [0, 1]
            or len(calibrated.calibrators) != 1
            or type(calibrated.calibrators[0]) is not _SigmoidCalibration
            or not hasattr(inner, "decision_function")
        ):
            return None
        sigmoid = calibrated.calibrators[0]
        total += expit(-(sigmoid.a_ * _decision(inner, X) + sigmoid.b_))
    return total / len(estimator.calibrated_classifiers_)


FAMILIES: dict[str, Callable[[int], Pipeline]] = {
    "logistic regression": lambda seed: Pipeline([
        ("scale", StandardScaler()), ("model", LogisticRegression(C=0.5, max_iter=2000, random_state=seed))]),
    "gradient boosting": lambda seed: Pipeline([
        ("model", HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                                 l2_regularization=1.0, random_state=seed))]),
}  # fmt: skip


# --- ranking quality -------------------------------------------------------------------------


def ndcg_at_k(groups: dict, scores: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k over groups of comparable pairs (relevance = success)."""
    values = []
    for idx in groups.values():
        idx = np.asarray(idx)
        rel = labels[idx]
        if len(idx) < 2 or rel.sum() == 0:
            continue
        order = idx[np.argsort(-scores[idx], kind="stable")][:k]
        dcg = sum(labels[j] / math.log2(r + 2) for r, j in enumerate(order))
        ideal = sum(1 / math.log2(r + 2) for r in range(min(k, int(rel.sum()))))
        values.append(dcg / ideal)
    return float(np.mean(values)) if values else float("nan")


def _groups(examples: Sequence[TrainingExample]) -> dict:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[(e.student.dossier, e.started_on.year, e.started_on.month > 6)].append(i)
    return groups


def _metrics(
    name: str, scores: np.ndarray, y: np.ndarray, groups: dict, probabilities: bool
) -> dict:
    ranked = (scores - scores.min()) / (scores.max() - scores.min() or 1)
    return {
        "name": name,
        "ndcg10": round(ndcg_at_k(groups, scores, y), 4),
        "auc": round(float(roc_auc_score(y, scores)), 4) if len(set(y)) > 1 else float("nan"),
        "brier": round(float(brier_score_loss(y, scores if probabilities else ranked)), 4),
    }


def baseline_scores(examples: Sequence[TrainingExample], X: np.ndarray) -> dict[str, np.ndarray]:
    col = {f: i for i, f in enumerate(FEATURES)}
    newest = np.array(
        [(e.place.published_at or datetime(2000, 1, 1)).timestamp() for e in examples]
    )
    return {
        N_("afstand (Stagemarkt)"): -X[:, col["distance_km"]],
        N_("nieuwste eerst"): newest,
        N_("alleen SQI"): X[:, col["sqi"]],
    }


# --- training --------------------------------------------------------------------------------


def train(examples: Sequence[TrainingExample], *, random_state: int = 0,
          progress: Callable[[str], None] | None = None) -> TrainedModel:  # fmt: skip
    say = progress or (lambda message: None)
    examples = sorted(examples, key=lambda e: (e.started_on, e.place.id, e.student.id))
    y = np.array([int(e.success) for e in examples])
    if len(examples) < 50 or len(set(y)) < 2:
        raise ValueError("need at least 50 finished internships with both outcomes to train")
    say(f"Kenmerken berekenen voor {len(examples)} afgeronde stages …")
    context = fit_context(list({e.place.id: e.place for e in examples}.values()))
    X = build_features([(e.student, e.place) for e in examples], context)
    n = len(examples)
    a, b = int(n * 0.60), int(n * 0.75)
    fit_idx, cal_idx, test_idx = np.arange(a), np.arange(a, b), np.arange(b, n)
    best_name, best_model, best_loss = None, None, math.inf
    for name, make in FAMILIES.items():
        say(f"Model trainen: {name} …")
        model = make(random_state).fit(X[fit_idx], y[fit_idx])
        loss = log_loss(y[cal_idx], model.predict_proba(X[cal_idx])[:, 1], labels=[0, 1])
        if loss < best_loss:
            best_name, best_model, best_loss = name, model, loss
    say(f"Gekozen: {best_name}; kansen kalibreren …")
    calibrated = CalibratedClassifierCV(FrozenEstimator(best_model), method="sigmoid").fit(
        X[cal_idx], y[cal_idx]
    )
    test_examples = [examples[i] for i in test_idx]
    groups = _groups(test_examples)
    p_test = calibrated.predict_proba(X[test_idx])[:, 1]
    metrics = [
        _metrics(
            Phrase(N_("model (%(family)s)"), family=best_name), p_test, y[test_idx], groups, True
        )
    ]
    for name, scores in baseline_scores(test_examples, X[test_idx]).items():
        metrics.append(_metrics(name, scores, y[test_idx], groups, False))
    say("Belang van kenmerken bepalen …")
    importances = _permutation_importance(calibrated, X[test_idx], y[test_idx], random_state)
    return TrainedModel(
        estimator=calibrated, family=best_name, context=context, features=list(FEATURES),
        reference=np.median(X[fit_idx], axis=0), metrics=metrics, importances=importances,
        n_examples=n, date_range=(examples[0].started_on.isoformat(), examples[-1].started_on.isoformat()),
    )  # fmt: skip


def _permutation_importance(model, X: np.ndarray, y: np.ndarray, seed: int) -> dict[str, float]:
    """Drop in AUC when one feature's column is shuffled (held-out data)."""
    if len(set(y)) < 2:
        return dict.fromkeys(FEATURES, 0.0)
    rng = np.random.default_rng(seed)
    base = roc_auc_score(y, model.predict_proba(X)[:, 1])
    result = {}
    for j, name in enumerate(FEATURES):
        shuffled = X.copy()
        shuffled[:, j] = rng.permutation(shuffled[:, j])
        result[name] = round(float(base - roc_auc_score(y, model.predict_proba(shuffled)[:, 1])), 4)
    return result


# --- scoring without a model, and explanations -----------------------------------------------

RULE_WEIGHTS = {
    "distance_ratio": -0.35,
    "text_fit": 0.20,
    "skill_overlap": 0.10,
    "sqi": 0.30,
    "pay_ratio": 0.05,
}
"""The transparent rule when no model is trained: 0.35 for closeness, 0.30 for supervision (SQI),
0.30 for fit (words and skills), 0.05 for pay; each term scaled to 0..1."""


def rule_terms(X: np.ndarray) -> dict[str, np.ndarray]:
    col = {f: i for i, f in enumerate(FEATURES)}
    return {
        "distance": 0.35 * (1 - np.clip(X[:, col["distance_ratio"]], 0, 1)),
        "supervision": 0.30 * X[:, col["sqi"]] / 100,
        "fit": 0.20 * np.clip(X[:, col["text_fit"]], 0, 1) + 0.10 * X[:, col["skill_overlap"]],
        "pay": 0.05 * np.clip(X[:, col["pay_ratio"]], 0, 2) / 2,
    }


def rule_score(X: np.ndarray) -> np.ndarray:
    if len(X) == 0:
        return np.zeros(0)
    return sum(rule_terms(X).values())


def contributions(model: TrainedModel | None, X: np.ndarray) -> list[dict[str, float]]:
    """Per pair, how much each group of features adds to its score: with a model, the drop in
    predicted probability when the group is set to the training median (occlusion); without one,
    the rule's own terms (the score is their sum)."""
    if len(X) == 0:
        return []
    col = {f: i for i, f in enumerate(FEATURES)}
    if model is None:
        terms = rule_terms(X)
        return [{g: float(terms[g][i]) for g in terms} for i in range(len(X))]
    # One batched prediction for the pairs and every occluded variant (a call has fixed overhead).
    variants = [X]
    for names in GROUPS.values():
        changed = X.copy()
        for name in names:
            changed[:, col[name]] = model.reference[col[name]]
        variants.append(changed)
    predicted = model.predict(np.vstack(variants)).reshape(len(variants), len(X))
    base = predicted[0]
    result = [dict() for _ in range(len(X))]
    for g, group in enumerate(GROUPS, start=1):
        delta = base - predicted[g]
        for i in range(len(X)):
            result[i][group] = float(delta[i])
    return result


LABELS = [
    (0.75, Phrase(N_("zeer goede match"))),
    (0.6, Phrase(N_("goede match"))),
    (0.45, Phrase(N_("redelijke match"))),
    (0.0, Phrase(N_("matige match"))),
]


def match_label(p: float, *, rule: bool = False) -> str:
    """Plain words for a probability of success (thresholds on the calibrated scale). The rule
    score is not a probability; it gets the same words on its own 0..1 scale."""
    for threshold, label in LABELS:
        if p >= threshold:
            return label
    return LABELS[-1][1]


MEESTER_WORDS = {
    (False, False): N_("een meester"),
    (True, False): N_("ervaren meester"),
    (False, True): N_("opgeleide meester"),
    (True, True): N_("ervaren, opgeleide meester"),
}


def reason_text(group: str, student: StudentData, place: PlaceData, x: np.ndarray) -> str | None:
    """A reason in plain Dutch, as a `Phrase` (a str that the site can translate)."""
    col = {f: i for i, f in enumerate(FEATURES)}
    if group == "distance":
        km = x[col["distance_km"]]
        if km < 1:
            return Phrase(N_("in je eigen woonplaats"))
        return Phrase(N_("%(km)s km van huis"), km=f"{km:.0f}")
    if group == "supervision":
        m = place.meester
        parts = [Phrase(MEESTER_WORDS[m.years_experience >= 5, bool(m.trained)])]
        if m.hours_per_week / (m.active_learners + 1) >= 1.5:
            parts.append(Phrase(N_("met tijd voor je")))
        if place.gezel:
            parts.append(Phrase(N_("met een gezel naast je")))
        if m.ratings_n >= 3 and (m.rating_mean or 0) >= 3.8:
            parts.append(Phrase(N_("die studenten goed beoordelen")))
        return Phrase.join(" ", parts)
    if group == "fit":
        shared = sorted(
            {t.lower() for t in place.skills}
            & {t.lower() for t in (*student.skills, *student.interests)}
        )
        if shared:
            return Phrase(N_("past bij wat je kunt: %(skills)s"), skills=", ".join(shared[:3]))
        return Phrase(
            N_("past bij je opleiding")
            if student.crebo in place.crebos
            else N_("past bij je opleidingsrichting")
        )
    if group == "pay":
        if x[col["pay_ratio"]] > 1.05:
            return Phrase(N_("vergoeding boven het gemiddelde"))
        return None
    if group == "company":
        if x[col["company_completion"]] > 0.75:
            return Phrase(N_("eerdere stages hier gingen goed"))
        return None
    if group == "bbl_days":
        if place.leerweg == "BBL" and x[col["bbl_days_gap"]] == 0:
            return Phrase(N_("past bij de dagen die je wilt werken"))
        return None
    return None


def explain(model: TrainedModel | None, student: StudentData, place: PlaceData, x: np.ndarray,
            contribution: dict[str, float], top: int = 3) -> list[tuple[str, float, str]]:  # fmt: skip
    """The top positive contributions as (group, contribution, plain Dutch text), best first."""
    result = []
    for group, value in sorted(contribution.items(), key=lambda kv: -kv[1]):
        if value <= 0:
            break
        text = reason_text(group, student, place, x)
        if text:
            result.append((group, value, text))
        if len(result) == top:
            break
    return result


@dataclass
class Ranked:
    place: PlaceData
    score: float
    label: str
    sqi: float
    distance_km: float
    reasons: list[str]
    contributions: dict[str, float]


def rank(model: TrainedModel | None, student: StudentData, places: Sequence[PlaceData], *,
         context: FeatureContext | None = None, explain_top: int = 3) -> list[Ranked]:  # fmt: skip
    """Score and order places (already filtered by the hard rules) for one student."""
    if not places:
        return []
    context = model.context if model is not None else (context or fit_context(places))
    X = build_features([(student, p) for p in places], context)
    scores = model.predict(X) if model is not None else rule_score(X)
    contrib = contributions(model, X)
    col = {f: i for i, f in enumerate(FEATURES)}
    result = [
        Ranked(
            p,
            float(scores[i]),
            match_label(float(scores[i]), rule=model is None),
            float(X[i, col["sqi"]]),
            float(X[i, col["distance_km"]]),
            [text for _, _, text in explain(model, student, p, X[i], contrib[i], explain_top)],
            contrib[i],
        )  # fmt: skip
        for i, p in enumerate(places)
    ]
    result.sort(key=lambda r: (-r.score, r.distance_km, r.place.id))
    return result


__all__ = ["TrainingExample", "TrainedModel", "train", "rank", "rule_score", "contributions", "explain",
           "match_label", "ndcg_at_k", "place_sqi"]  # fmt: skip

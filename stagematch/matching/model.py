"""The match model: orders the places on offer for one student by the chance that the student
takes the place and that it goes well; learned from what students, companies and meesters did.
Also the transparent rule used when there is no model, and explanations a 16-year-old can read.

What it learns (the label; the model card says the same). For each student who applied (a
`Session`: the places on offer then that the eligibility rules allowed, features as they stood
that day), each place is graded by what happened: GOOD — the internship there was completed with
a positive final evaluation; ENGAGED — the student applied, was shortlisted or offered, or started
there without a good outcome; nothing else. Good completions are the signal that matters; they are
few, so applications, shortlists and offers carry the rest (gain 3 for GOOD, 1 for ENGAGED).

Structure by construction (`features.MONOTONE`): nearer is never worse, more supervision time per
learner, better ratings and completions, a trained meester and a gezel are never worse, the
student's own crebo never scores below a sibling of the dossier. Linear candidates are fitted
with those coefficient signs as bounds (L-BFGS-B); gradient boosting with `monotonic_cst`; the
calibration on top has a positive slope. So no data can reverse them.

Training (split by the day students applied; no peeking at the future):
    oldest 60 %  -> fit each candidate (family and settings), with the outcomes known by then
    next 15 %    -> choose the candidate with the best mean per-student NDCG@10 (not log loss)
    newest 25 %  -> report per student NDCG@10, recall@10 and expected success of the top pick,
                    with 95 % bootstrap intervals, next to the baselines and the rule, and the
                    paired difference model − baseline (`matching.evaluation`)
The chosen candidate is refitted on the oldest 75 % (outcomes known before the newest part),
its score calibrated to the chance of a good completion, and that refitted model is the one the
site uses: the reported figures are the site's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from stagematch.matching import evaluation
from stagematch.matching.data import ENGAGED, GOOD, NOTHING, PlaceData, Session, StudentData
from stagematch.matching.features import (
    FEATURES,
    GROUPS,
    SIGNS,
    FeatureContext,
    build_features,
    fit_context,
    place_sqi,
)
from stagematch.matching.text import N_, Phrase


@dataclass(frozen=True)
class TrainingExample:
    """A finished internship alone (no record of what else was on offer); `train` turns these
    into sessions with `sessions_from_examples`."""

    student: StudentData
    place: PlaceData
    started_on: date
    success: bool


@dataclass
class TrainedModel:
    estimator: object  # MatchScorer (or any classifier with predict_proba) over the features
    family: str
    context: FeatureContext
    features: list[str]
    reference: np.ndarray  # median feature values of the training data (for explanations)
    metrics: list[dict]  # evaluation rows (kind model/baseline), selection rows, a summary row
    importances: dict[str, float]
    n_examples: int  # students (sessions) the model was fitted on
    date_range: tuple[str, str]
    trained_at: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    summary: dict = field(default_factory=dict)

    def predict(self, X: np.ndarray) -> np.ndarray:
        if not len(X):
            return np.zeros(0)
        if isinstance(self.estimator, MatchScorer):
            return self.estimator.positive(X)
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


# --- sign-constrained linear models -------------------------------------------------------------


def _fit_linear(
    Z: np.ndarray, y: np.ndarray, weight: np.ndarray, *, C: float, signs: np.ndarray,  # noqa: N803
    intercept: bool, max_iter: int,
) -> tuple[np.ndarray, float]:  # fmt: skip
    """Weighted logistic loss + L2 (sklearn's scaling: C is the inverse strength per example),
    minimised by L-BFGS-B with each coefficient bounded to its sign (+: ≥ 0, −: ≤ 0, 0: free)."""
    n, d = Z.shape
    weight = weight / weight.mean()
    penalty = 1.0 / (C * n)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, b = theta[:d], (theta[d] if intercept else 0.0)
        z = Z @ coef + b
        loss = float(np.sum(weight * (np.logaddexp(0.0, z) - y * z)) / n)
        loss += 0.5 * penalty * float(coef @ coef)
        g = weight * (expit(z) - y) / n
        grad = Z.T @ g + penalty * coef
        if intercept:
            grad = np.append(grad, g.sum())
        return loss, grad

    bounds = _sign_bounds(signs)
    if intercept:
        bounds.append((None, None))
    start = np.zeros(d + int(intercept))
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": max_iter})  # fmt: skip
    theta = result.x
    return _to_signs(theta[:d], signs), (float(theta[d]) if intercept else 0.0)


def _sign_bounds(signs: np.ndarray) -> list[tuple]:
    """L-BFGS-B bounds of coefficients with these signs (+: ≥ 0, −: ≤ 0, 0: free)."""
    return [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in signs]


def _to_signs(coef: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """`coef` with each sign enforced exactly (the optimiser may stop a hair across a bound)."""
    return np.where(signs > 0, np.maximum(coef, 0), np.where(signs < 0, np.minimum(coef, 0), coef))


def _scale(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0  # constant up to rounding: dividing by it would blow up the noise
    return mean, scale


class SignConstrainedLogistic(ClassifierMixin, BaseEstimator):
    """Logistic regression on standardised features whose coefficients keep fixed signs
    (`signs`: +1, −1 or 0 per column). The decision function is linear in the raw features
    with the same signs, so it is monotone in every constrained feature."""

    def __init__(self, C: float = 1.0, signs=None, max_iter: int = 300):  # noqa: N803
        self.C = C
        self.signs = signs
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        X = np.asarray(X, dtype=np.float64)  # noqa: N806
        y = np.asarray(y, dtype=np.float64)
        signs = np.zeros(X.shape[1]) if self.signs is None else np.asarray(self.signs, float)
        mean, scale = _scale(X)
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        coef, b = _fit_linear((X - mean) / scale, y, weight, C=self.C, signs=signs,
                              intercept=True, max_iter=self.max_iter)  # fmt: skip
        self.coef_ = coef / scale
        self.intercept_ = b - float(self.coef_ @ mean)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)


class PairwiseLogistic(BaseEstimator):
    """A linear ranker fitted within each student: logistic loss on the feature differences of
    (better, worse) pairs of one session, weighted by their gain difference, coefficients bounded
    to their signs. The score has no scale of its own (the calibration gives it one)."""

    def __init__(self, C: float = 1.0, signs=None, per_graded: int = 10, seed: int = 0,  # noqa: N803
                 max_iter: int = 300):  # fmt: skip
        self.C = C
        self.signs = signs
        self.per_graded = per_graded
        self.seed = seed
        self.max_iter = max_iter

    def fit(self, X, flat: evaluation.Flat):
        X = np.asarray(X, dtype=np.float64)  # noqa: N806
        signs = np.zeros(X.shape[1]) if self.signs is None else np.asarray(self.signs, float)
        better, worse = _pairs(flat, np.random.default_rng(self.seed), self.per_graded)
        _, scale = _scale(X)
        if not len(better):
            self.coef_ = np.zeros(X.shape[1])
        else:
            D = (X[better] - X[worse]) / scale  # noqa: N806
            weight = evaluation.GAIN[flat.grade[better]] - evaluation.GAIN[flat.grade[worse]]
            coef, _ = _fit_linear(D, np.ones(len(D)), weight, C=self.C, signs=signs,
                                  intercept=False, max_iter=self.max_iter)  # fmt: skip
            self.coef_ = coef / scale
        self.intercept_ = 0.0
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.coef_


def _pairs(flat: evaluation.Flat, rng: np.random.Generator, per_graded: int):
    """(better, worse) row pairs within sessions: each graded row against up to `per_graded`
    rows of its session drawn at random, kept where the grade is lower."""
    graded = np.flatnonzero(flat.grade > NOTHING)
    if not len(graded):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    g = flat.group[graded]
    draws = (rng.random((len(graded), per_graded)) * flat.size[g][:, None]).astype(np.int64)
    worse = (flat.start[g][:, None] + draws).ravel()
    better = np.repeat(graded, per_graded)
    keep = flat.grade[worse] < flat.grade[better]
    return better[keep], worse[keep]


class ListwiseLogistic(ClassifierMixin, BaseEstimator):
    """A conditional logit (McFadden's choice model) within each student: every place the
    student engaged with is a choice among itself and the places of their session graded lower,
    softmax over that set, weighted by its gain (a good completion 3, an application 1). The
    demo's students, like a random-utility model, apply to the places they like best; the
    pairwise loss approximates that with independent pairs. Coefficients are bounded to their
    signs, so the score is monotone like the others; it has no scale of its own."""

    def __init__(self, C: float = 1.0, signs=None, max_iter: int = 500):  # noqa: N803
        self.C = C
        self.signs = signs
        self.max_iter = max_iter

    def fit(self, X, flat: evaluation.Flat):
        X = np.asarray(X, dtype=np.float64)  # noqa: N806
        d = X.shape[1]
        signs = np.zeros(d) if self.signs is None else np.asarray(self.signs, float)
        chosen, members, starts = _choice_sets(flat)
        self.intercept_, self.n_features_in_ = 0.0, d
        if not len(chosen):
            self.coef_ = np.zeros(d)
            return self
        _, scale = _scale(X)
        Z = X / scale  # noqa: N806
        weight = evaluation.GAIN[flat.grade[chosen]].astype(float)
        weight = weight / weight.mean()
        segment = np.repeat(np.arange(len(chosen)), np.diff(np.append(starts, len(members))))
        n, penalty = len(chosen), 1.0 / (self.C * len(chosen))

        def objective(coef: np.ndarray) -> tuple[float, np.ndarray]:
            s = Z @ coef
            inner = s[members]
            top = np.maximum.reduceat(inner, starts)
            e = np.exp(inner - top[segment])
            total = np.add.reduceat(e, starts)
            loss = float(weight @ (top + np.log(total) - s[chosen])) / n
            share = e / total[segment] * weight[segment]
            g = np.bincount(members, share, len(s)) - np.bincount(chosen, weight, len(s))
            return loss + 0.5 * penalty * float(coef @ coef), Z.T @ g / n + penalty * coef

        result = minimize(objective, np.zeros(d), jac=True, method="L-BFGS-B",
                          bounds=_sign_bounds(signs), options={"maxiter": self.max_iter})  # fmt: skip
        self.coef_ = _to_signs(result.x, signs) / scale
        return self

    def decision_function(self, X) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.coef_


def _choice_sets(flat: evaluation.Flat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per graded row of a session (the chosen one): its choice set, itself first and then the
    rows of its session with a lower grade, all sets concatenated in `members` from `starts`.
    Rows with nothing graded lower in their session choose nothing."""
    graded = np.flatnonzero(flat.grade > NOTHING)
    g = flat.group[graded]
    size = flat.size[g]
    # every row of the chosen one's session, in one long run per chosen row
    offset = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    other = np.repeat(flat.start[g], size) + offset
    owner = np.repeat(np.arange(len(graded)), size)
    lower = flat.grade[other] < flat.grade[graded][owner]
    count = np.bincount(owner[lower], minlength=len(graded))
    keep = count > 0
    if not keep.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    owner, other = owner[lower], other[lower]
    chosen = graded[keep]
    sizes = count[keep] + 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    members = np.empty(int(sizes.sum()), dtype=np.int64)
    members[starts] = chosen
    # the lower rows follow their chosen row, in order (owner is sorted)
    rest = np.ones(len(members), dtype=bool)
    rest[starts] = False
    members[rest] = other[keep[owner]]
    return chosen, members, starts


class Blend:
    """A ranker of where students go plus `weight` × the log-odds of a good completion there
    plus `offer_weight` × the log-odds that the company answers and takes the student:
    f = choice(x) + weight · success(x) + offer_weight · offer(x) — the chance of a good
    placement, not fit alone. With weights ≥ 0 and every part monotone the same way in every
    constrained feature, so is f; linear parts fold into one (`coef_`, `intercept_`)."""

    def __init__(self, choice, success, weight: float, offer=None, offer_weight: float = 0.0):
        self.choice, self.success, self.weight = choice, success, weight
        self.offer, self.offer_weight = offer, offer_weight
        parts = [
            (p, w) for p, w in ((success, weight), (offer, offer_weight)) if p is not None and w
        ]
        if _is_linear(choice) and all(_is_linear(p) for p, _ in parts):
            self.coef_ = np.asarray(choice.coef_, float) + sum(
                (w * np.asarray(p.coef_, float) for p, w in parts), np.zeros(len(choice.coef_))
            )
            self.intercept_ = float(choice.intercept_) + sum(
                w * float(p.intercept_) for p, w in parts
            )

    def decision_function(self, X) -> np.ndarray:
        if hasattr(self, "coef_"):
            return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_
        part = decision(self.choice, X)
        if self.weight and self.success is not None:
            part = part + self.weight * decision(self.success, X)
        offer = getattr(self, "offer", None)
        if offer is not None and self.offer_weight:
            part = part + self.offer_weight * decision(offer, X)
        return part


def decision(estimator, X) -> np.ndarray:
    """A ranker's decision function; gradient boosting's on one thread (its OpenMP pool spins
    while it waits: on a busy two-core machine a page of candidates took half a second instead
    of a millisecond)."""
    if isinstance(estimator, HistGradientBoostingClassifier):
        return estimator._raw_predict(np.asarray(X, dtype=np.float64), n_threads=1).ravel()
    return estimator.decision_function(X)


def _is_linear(estimator) -> bool:
    return isinstance(
        estimator, SignConstrainedLogistic | PairwiseLogistic | ListwiseLogistic | Blend
    ) and hasattr(estimator, "coef_")


SUCCESS_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
"""Weights of the success part tried on the validation slice (0: where students go alone)."""


OFFER_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
"""Weights of the offer part (does the company answer and take the student) tried on the
validation slice (0: fit and success alone, the "plain" model)."""
MARKET = ("answer_rate", "competition")  # what the plain model leaves out


def _offer_part(X: np.ndarray, flat: evaluation.Flat) -> SignConstrainedLogistic | None:
    """P(the student started there | applied there): the company answered, chose the student
    over the other applicants and had room — from every place students applied to; None with
    too few of either."""
    rows, started = [], []
    for i, s in enumerate(flat.sessions):
        for j, grade in enumerate(s.grades):
            if grade > NOTHING:
                rows.append(flat.start[i] + j)
                started.append(float(s.started == j))
    started = np.array(started)
    if len(rows) < 20 or min(started.sum(), len(started) - started.sum()) < 5:
        return None
    return SignConstrainedLogistic(C=1.0, signs=SIGNS).fit(X[np.array(rows)], started)


def _without_market(X: np.ndarray) -> np.ndarray:
    """X with the market features (the company's answers, the competition) held constant."""
    X = X.copy()  # noqa: N806
    for name in MARKET:
        X[:, FEATURES.index(name)] = 0.0
    return X


def _success_part(X: np.ndarray, flat: evaluation.Flat) -> SignConstrainedLogistic | None:
    """P(good completion | the student started there), from the started places with a known
    outcome; None when there are too few of either outcome."""
    rows, outcomes = _outcome_rows(flat)
    if len(rows) < 20 or min(outcomes.sum(), len(outcomes) - outcomes.sum()) < 5:
        return None
    return SignConstrainedLogistic(C=1.0, signs=SIGNS).fit(X[rows], outcomes)


def monotone_boosting(seed: int = 0, **settings) -> HistGradientBoostingClassifier:
    params = dict(max_iter=120, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40,
                  l2_regularization=1.0, early_stopping=False)  # fmt: skip
    params.update(settings)
    return HistGradientBoostingClassifier(monotonic_cst=SIGNS, random_state=seed, **params)


class MatchScorer:
    """The model the site uses: a ranker's decision function f, calibrated to the chance of a
    good completion, p = sigmoid(a·f + b) with a > 0 (so the order, and every constraint of f,
    is kept)."""

    classes_ = np.array([0, 1])

    def __init__(self, ranker, a: float, b: float):
        self.ranker, self.a, self.b = ranker, a, b
        # A linear ranker folds into one dot product (fast for a page of candidates).
        self._linear = None
        if _is_linear(ranker):
            self._linear = (a * np.asarray(ranker.coef_, float), a * float(ranker.intercept_) + b)

    def decision_function(self, X) -> np.ndarray:
        return decision(self.ranker, X)

    def positive(self, X) -> np.ndarray:
        if self._linear is not None:
            coef, b = self._linear
            return expit(np.asarray(X, dtype=np.float64) @ coef + b)
        return expit(self.a * decision(self.ranker, X) + self.b)

    def predict_proba(self, X) -> np.ndarray:
        p = self.positive(X)
        return np.column_stack([1 - p, p])


def calibrate(f: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling (a, b) of scores f to outcomes y, with a slope of at least a small positive
    amount (a flat calibration would tie every place)."""
    if len(f) == 0:
        return 1.0, 0.0
    spread = float(np.std(f)) or 1.0
    least = 0.05 / spread
    if len(y) < 10 or len(set(y.tolist())) < 2:
        return 1.0 / spread, float(-np.mean(f) / spread)

    def objective(theta):
        z = theta[0] * f + theta[1]
        loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
        g = (expit(z) - y) / len(y)
        return loss, np.array([g @ f, g.sum()])

    result = minimize(objective, np.array([1.0 / spread, 0.0]), jac=True, method="L-BFGS-B",
                      bounds=[(least, None), (None, None)])  # fmt: skip
    return float(max(least, result.x[0])), float(result.x[1])


# Pointwise families (fit(X, y, sample_weight)); `train` also tries the pairwise objective.
FAMILIES: dict[str, Callable[[int], object]] = {
    "logistic regression": lambda seed: SignConstrainedLogistic(C=1.0, signs=SIGNS),
    "gradient boosting": lambda seed: monotone_boosting(seed),
}


@dataclass(frozen=True)
class Candidate:
    """A family with its settings and objective, as `train` tries it."""

    name: str  # on the model card and in `flask train`
    # "pointwise" (engaged or not, weighted by gain) or "per student" (pairs, choice sets)
    objective: str
    make: Callable[[int], object]


CANDIDATES = (
    Candidate("logistic regression (C=0.1)", "pointwise",
              lambda seed: SignConstrainedLogistic(C=0.1, signs=SIGNS)),
    Candidate("logistic regression (C=1)", "pointwise",
              lambda seed: SignConstrainedLogistic(C=1.0, signs=SIGNS)),
    Candidate("pairwise logistic regression (C=1)", "per student",
              lambda seed: PairwiseLogistic(C=1.0, signs=SIGNS, seed=seed)),
    Candidate("conditional logit per student (C=1)", "per student",
              lambda seed: ListwiseLogistic(C=1.0, signs=SIGNS)),
    Candidate("gradient boosting (monotone)", "pointwise", lambda seed: monotone_boosting(seed)),
)  # fmt: skip
MAX_NEGATIVES = 20  # places with nothing graded kept per student for fitting (all for judging)
MAX_BOOSTING_ROWS = 250_000
MIN_SESSIONS = 50


def _name(candidate: Candidate, weight: float, offer_weight: float = 0.0) -> str:
    name = f"{candidate.name} + {weight:g} × success" if weight else candidate.name
    return f"{name} + {offer_weight:g} × offer" if offer_weight else name


def _fit(candidate: Candidate, X: np.ndarray, flat: evaluation.Flat, seed: int):
    estimator = candidate.make(seed)
    if candidate.objective == "per student":
        return estimator.fit(X, flat)
    y = (flat.grade > NOTHING).astype(int)
    weight = np.where(flat.grade == GOOD, evaluation.GAIN[GOOD], 1.0)
    rows = np.arange(len(y))
    if isinstance(estimator, HistGradientBoostingClassifier) and len(rows) > MAX_BOOSTING_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_BOOSTING_ROWS, replace=False))
    if len(set(y[rows].tolist())) < 2:
        raise ValueError("need students who applied and places nobody applied to")
    return estimator.fit(X[rows], y[rows], sample_weight=weight[rows])


# --- sessions -----------------------------------------------------------------------------------


def sessions_from_examples(
    examples: Sequence[TrainingExample], *, per_session: int = 40, seed: int = 0
) -> list[Session]:
    """Sessions from finished internships alone: for each, the places other students started in
    the same month and leerweg stand in for what was on offer (at most `per_session`, its own
    among them); its own place is GOOD after a success, else ENGAGED."""
    import random

    rng = random.Random(seed)
    months: dict[tuple, list[TrainingExample]] = {}
    for e in examples:
        months.setdefault((e.started_on.year, e.started_on.month, e.place.leerweg), []).append(e)
    result = []
    for e in examples:
        others = [o.place for o in months[(e.started_on.year, e.started_on.month, e.place.leerweg)]
                  if o is not e]  # fmt: skip
        others = rng.sample(others, min(len(others), per_session - 1))
        places = (e.place, *others)
        grades = (GOOD if e.success else ENGAGED, *([NOTHING] * len(others)))
        result.append(Session(e.student, e.started_on, places, grades, started=0,
                              success=e.success, ended_on=e.started_on))  # fmt: skip
    return result


def _simplest_near_best(tried):
    """The setting to keep: of those whose mean per-student NDCG on the choose part is within
    one standard error of the best (the error of the paired difference per student), the one
    with the fewest added parts (success, offer), then the best mean. A blend that wins by less
    than the noise of a few hundred students adds parts without evidence that they help."""
    means = [float(ndcg.mean()) for *_, ndcg in tried]
    top = tried[int(np.argmax(means))][3]
    near = []
    for (candidate, weight, offer_weight, ndcg), mean in zip(tried, means, strict=True):
        diff = top - ndcg
        error = float(diff.std(ddof=1) / math.sqrt(len(diff))) if len(diff) > 1 else 0.0
        if mean >= max(means) - error - 1e-12:
            near.append(
                ((bool(weight) + bool(offer_weight), -mean), candidate, weight, offer_weight)
            )
    _, candidate, weight, offer_weight = min(near, key=lambda t: t[0])
    return candidate, weight, offer_weight


def _by_day(sessions: Sequence[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.on, s.student.id))


def _trim(sessions: Sequence[Session], rng: np.random.Generator) -> list[Session]:
    """Every graded place of each session and at most MAX_NEGATIVES others (fitting needs the
    contrast, not every place nobody chose)."""
    result = []
    for s in sessions:
        if len(s.places) <= MAX_NEGATIVES + sum(g > NOTHING for g in s.grades):
            result.append(s)
            continue
        graded = [i for i, g in enumerate(s.grades) if g > NOTHING]
        rest = [i for i, g in enumerate(s.grades) if g == NOTHING]
        keep = sorted(graded + rng.choice(rest, MAX_NEGATIVES, replace=False).tolist())
        started = keep.index(s.started) if s.started in keep else None
        result.append(replace(
            s, places=tuple(s.places[i] for i in keep), grades=tuple(s.grades[i] for i in keep),
            started=started, success=s.success if started is not None else None,
        ))  # fmt: skip
    return result


def _outcome_rows(flat: evaluation.Flat) -> tuple[np.ndarray, np.ndarray]:
    """Rows of started places with a known outcome, and the outcomes."""
    rows, outcomes = [], []
    for i, s in enumerate(flat.sessions):
        if s.started is not None and s.success is not None:
            rows.append(flat.start[i] + s.started)
            outcomes.append(float(s.success))
    return np.array(rows, dtype=np.int64), np.array(outcomes)


# --- training ---------------------------------------------------------------------------------


TRAINING_THREADS = 1
"""Threads for numpy and scikit-learn while training. One: OpenMP and BLAS pools spin while they
wait, and on a small machine shared with the site (or other jobs) a second thread made
gradient boosting 20–30 times slower instead of twice as fast."""


def train(*args, **kwargs) -> TrainedModel:
    """`_train` (below) with TRAINING_THREADS threads for numpy and scikit-learn."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=TRAINING_THREADS):
        return _train(*args, **kwargs)


def _train(
    data: Sequence[Session] | Sequence[TrainingExample], *, random_state: int = 0,
    progress: Callable[[str], None] | None = None, candidates: Sequence[Candidate] = CANDIDATES,
    n_boot: int = evaluation.BOOTSTRAP,
) -> TrainedModel:  # fmt: skip
    say = progress or (lambda message: None)
    sessions = list(data)
    if sessions and isinstance(sessions[0], TrainingExample):
        sessions = sessions_from_examples(sessions, seed=random_state)
    rankable = evaluation.rankable(sessions)
    sessions = evaluation.settled(rankable)
    if len(sessions) < MIN_SESSIONS:
        raise ValueError(
            f"need at least {MIN_SESSIONS} students who applied, among other places on offer"
        )
    fit_part, choose_part, report_part = evaluation.split_by_time(sessions)
    choose_from, report_from = choose_part[0].on, report_part[0].on
    # Where students went whose internship still runs is learnt from too (graded ENGAGED, as
    # `censor` leaves a later outcome), in the part of its day; judged are settled sessions only.
    running = evaluation.running(rankable)
    fit_part = _by_day([*fit_part, *(s for s in running if s.on < choose_from)])
    choose_part = _by_day(
        [*choose_part, *(s for s in running if choose_from <= s.on < report_from)]
    )
    rng = np.random.default_rng(random_state)
    say(f"Kenmerken berekenen voor {len(sessions)} studenten …")
    fit_trimmed = _trim(fit_part, rng)
    choose_trimmed = _trim(choose_part, rng)
    context = fit_context(
        list({id(p): p for s in (*fit_trimmed, *choose_trimmed) for p in s.places}.values())
    )
    flat_fit = evaluation.flatten(evaluation.censor(fit_trimmed, choose_from))
    flat_choose = evaluation.flatten(choose_part)
    flat_report = evaluation.flatten(report_part)
    X_fit = build_features(flat_fit.pairs, context)  # noqa: N806
    X_choose = build_features(flat_choose.pairs, context)  # noqa: N806
    X_report = build_features(flat_report.pairs, context)  # noqa: N806

    success = _success_part(X_fit, flat_fit)
    success_choose = success.decision_function(X_choose) if success is not None else None
    offer = _offer_part(X_fit, flat_fit)
    offer_choose = offer.decision_function(X_choose) if offer is not None else None
    X_choose_plain = _without_market(X_choose)  # noqa: N806
    success_plain = success.decision_function(X_choose_plain) if success is not None else None
    selection = []
    tried = []  # (candidate, success weight, offer weight, per-student NDCG on the choose part)
    plain, plain_score = None, -math.inf  # the best without the market (for the exposure report)
    for candidate in candidates:
        say(f"Proberen: {candidate.name} …")
        try:
            estimator = _fit(candidate, X_fit, flat_fit, random_state)
        except ValueError:
            continue
        choice = decision(estimator, X_choose)
        for weight in SUCCESS_WEIGHTS if success is not None else (0.0,):
            for offer_weight in OFFER_WEIGHTS if offer is not None else (0.0,):
                scores = choice + weight * success_choose if weight else choice
                if offer_weight:
                    scores = scores + offer_weight * offer_choose
                ndcg = evaluation.per_student(flat_choose, scores, seed=random_state)["ndcg"]
                name = _name(candidate, weight, offer_weight)
                selection.append({"name": name, "kind": "selection",
                                  "ndcg10": round(float(ndcg.mean()), 4)})  # fmt: skip
                tried.append((candidate, weight, offer_weight, ndcg))
        # The plain version of this candidate: the market held constant, no offer part.
        base = decision(estimator, X_choose_plain)
        for weight in SUCCESS_WEIGHTS if success is not None else (0.0,):
            scores = base + weight * success_plain if weight else base
            score = evaluation.mean_ndcg(flat_choose, scores, seed=random_state)
            if score > plain_score + 1e-9:
                plain, plain_score = (candidate, weight), score
    if not tried:
        raise ValueError(
            "no candidate could be fitted: need students who applied and places nobody applied to"
        )
    best, best_weight, best_offer = _simplest_near_best(tried)
    family = _name(best, best_weight, best_offer)
    for row in selection:
        row["chosen"] = row["name"] == family

    say(f"Gekozen: {family}; opnieuw trainen op de oudste 75 % …")
    final_sessions = evaluation.censor([*fit_trimmed, *choose_trimmed], report_from)
    flat_final = evaluation.flatten(final_sessions)
    X_final = np.vstack([X_fit, build_features(evaluation.flatten(choose_trimmed).pairs, context)])  # noqa: N806
    scorer = _final(best, best_weight, best_offer, X_final, flat_final, random_state)

    say("Per student meten tegen de baselines …")
    expected = evaluation.expected_success(sessions, flat_report, since=report_from)
    model_scores = scorer.positive(X_report)
    rankers = {"model": model_scores}
    rankers.update(evaluation.baseline_scores(flat_report, X_report, FEATURES))
    metrics = evaluation.evaluate(flat_report, rankers, reference="model", expected=expected,
                                  n_boot=n_boot, seed=random_state)  # fmt: skip
    model_name = Phrase(N_("model (%(family)s)"), family=family)
    for row in metrics:
        if row["name"] == "model":
            row["name"] = model_name
    # Exposure: how concentrated the top 10s are over the places, next to NDCG, for the model,
    # the plain model (the same training without the market) and the rule.
    say("Spreiding over de plekken meten …")
    exposure_rankers = {model_name: model_scores}
    if plain is not None:
        plain_scorer = _final(plain[0], plain[1], 0.0, _without_market(X_final), flat_final,
                              random_state)  # fmt: skip
        exposure_rankers[
            Phrase(N_("model zonder reacties en drukte (%(family)s)"),
                   family=_name(plain[0], plain[1]))
        ] = plain_scorer.positive(_without_market(X_report))  # fmt: skip
    exposure_rankers[evaluation.RULE] = rankers[evaluation.RULE]
    metrics += evaluation.exposure_rows(flat_report, exposure_rankers, seed=random_state)
    importances = _permutation_importance(scorer, X_report, flat_report, random_state)
    summary = {
        "name": "", "kind": "summary", "students": len(sessions), "fit": len(fit_part),
        "choose": len(choose_part), "report": len(report_part),
        "choose_from": choose_from.isoformat(), "report_from": report_from.isoformat(),
        "good": int(sum(GOOD in s.grades for s in sessions)),
        "candidates": round(float(np.mean([len(s.places) for s in report_part])), 1),
        "calibration": [round(scorer.a, 4), round(scorer.b, 4)],
    }  # fmt: skip
    fitted_on = [*fit_part, *choose_part]  # in time order
    return TrainedModel(
        estimator=scorer, family=family, context=context, features=list(FEATURES),
        reference=np.median(X_fit, axis=0), metrics=[*metrics, *selection, summary],
        importances=importances, n_examples=len(fit_part) + len(choose_part),
        date_range=(fitted_on[0].on.isoformat(), fitted_on[-1].on.isoformat()), summary=summary,
    )  # fmt: skip


def _final(candidate, weight, offer_weight, X, flat, seed) -> MatchScorer:  # noqa: N803
    """The candidate refitted (with its success and offer parts) on X, calibrated to the chance
    of a good completion."""
    ranker = _fit(candidate, X, flat, seed)
    success = _success_part(X, flat) if weight else None
    offer = _offer_part(X, flat) if offer_weight else None
    if success is not None or offer is not None:
        ranker = Blend(ranker, success, weight if success is not None else 0.0, offer,
                       offer_weight if offer is not None else 0.0)  # fmt: skip
    f = decision(ranker, X)
    rows, outcomes = _outcome_rows(flat)
    if len(rows) < 10 or len(set(outcomes.tolist())) < 2:
        # Too few outcomes to calibrate on: the chance that a student applies there instead.
        rows = np.arange(len(flat.grade))
        outcomes = (flat.grade > NOTHING).astype(float)
    a, b = calibrate(f[rows], outcomes)
    return MatchScorer(ranker, a, b)


IMPORTANCE_SESSIONS = 3000


def _permutation_importance(
    scorer: MatchScorer, X: np.ndarray, flat: evaluation.Flat, seed: int
) -> dict[str, float]:
    """Drop in mean per-student NDCG@10 (held-out students) when one feature's column is
    shuffled (over at most IMPORTANCE_SESSIONS students)."""
    rng = np.random.default_rng(seed)
    if len(flat.sessions) > IMPORTANCE_SESSIONS:
        keep = np.sort(rng.choice(len(flat.sessions), IMPORTANCE_SESSIONS, replace=False))
        rows = np.concatenate(
            [np.arange(flat.start[i], flat.start[i] + flat.size[i]) for i in keep]
        )
        flat = evaluation.flatten([flat.sessions[i] for i in keep])
        X = X[rows]  # noqa: N806
    base = evaluation.mean_ndcg(flat, scorer.positive(X), seed=seed)
    result = {}
    for j, name in enumerate(FEATURES):
        shuffled = X.copy()
        shuffled[:, j] = rng.permutation(shuffled[:, j])
        result[name] = round(
            base - evaluation.mean_ndcg(flat, scorer.positive(shuffled), seed=seed), 4
        )
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
    if group == "market":
        from stagematch.matching.features import answer_rate

        if place.company_asked >= 5 and place.company_answered / place.company_asked >= 0.8:
            return Phrase(N_("dit bedrijf reageert bijna altijd op sollicitaties"))
        if answer_rate(place.company_asked, place.company_answered) >= 0.5 and (
            place.open_applications < place.seats_free
        ):
            return Phrase(N_("weinig andere sollicitanten"))
        return None
    if group == "interest":
        if x[col["saved"]] > 0:
            return Phrase(N_("je hebt deze plek bewaard"))
        if x[col["viewed"]] > 0:
            return Phrase(N_("je hebt deze plek eerder bekeken"))
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
           "match_label", "place_sqi", "sessions_from_examples", "MatchScorer", "FAMILIES", "CANDIDATES"]  # fmt: skip

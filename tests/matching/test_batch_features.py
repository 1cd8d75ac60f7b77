"""The fast paths give what the plain ones give: SQI numbers without the page parts, the model's
predict without sklearn's input checks, and the candidate pairs of the vectorised hard rules."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from stagematch.matching import sqi as sqi_module
from stagematch.matching.eligibility import candidate_pairs, failed_rules
from stagematch.matching.features import build_features, place_sqi, sqi_numbers
from stagematch.matching.model import FAMILIES, TrainedModel, train
from tests.matching.simulate import examples, place, student


def test_sqi_numbers_equal_compute():
    rng = random.Random(3)
    for i in range(500):
        p = place(rng, i)
        facts = dataclasses.replace(
            p.meester,
            active_learners=rng.randint(0, 6), capacity=rng.randint(0, 4),
            ratings_n=rng.randint(0, 8), rating_mean=rng.choice([None, 1.0, 2.75, 4.5]),
            finished=rng.randint(0, 9), completed_ok=rng.randint(0, 3),
            has_gezel=rng.random() < 0.5, meestertitel=rng.random() < 0.3,
        )  # fmt: skip
        p = dataclasses.replace(p, meester=facts, gezel=rng.random() < 0.5)
        q = place_sqi(p)
        assert sqi_numbers(p) == (
            q.score, q.components["structure"], q.components["outcome"], q.components["load"]
        )  # fmt: skip
    assert sqi_module.OVERLOADED_CAP < sqi_module.FULL_CAP


@pytest.mark.parametrize("family", list(FAMILIES))
def test_fast_predict_equals_sklearn(family):
    data = examples(800, seed=4)
    model = train(data, random_state=0)
    X = build_features([(e.student, e.place) for e in data], model.context)
    # The same calibration over each family (train keeps only the better one).
    y = np.array([int(e.success) for e in data])
    base = FAMILIES[family](0).fit(X[:500], y[:500])
    calibrated = CalibratedClassifierCV(FrozenEstimator(base), method="sigmoid").fit(
        X[500:], y[500:]
    )
    other = dataclasses.replace(model, estimator=calibrated, family=family)
    assert isinstance(other, TrainedModel)
    assert np.allclose(other.predict(X), calibrated.predict_proba(X)[:, 1], rtol=0, atol=1e-12)
    assert np.array_equal(model.predict(X), model.estimator.predict_proba(X)[:, 1])
    assert other.predict(X[:0]).shape == (0,)


def test_candidate_pairs_are_exactly_what_the_eligibility_rules_allow():
    rng = random.Random(8)
    on = date(2025, 12, 1)
    students = [
        student(
            rng, i, leerweg=rng.choice(["BOL", "BOL", "BBL"]), level=rng.choice([2, 3]),
            crebo=rng.choice(["25180", "25181"]), dossier=rng.choice(["23085", "23085", "23099"]),
            available_from=rng.choice([None, date(2025, 3, 1), date(2025, 12, 1)]),
            birth_date=rng.choice([None, date(2008, 2, 29), date(2009, 6, 15), date(2007, 1, 1), date(1990, 5, 5)]),
        )
        for i in range(80)
    ]  # fmt: skip
    students.append(dataclasses.replace(students[0], id=999, lat=None, lon=None))
    places = [
        place(
            rng, 1000 + i, leerweg=rng.choice(["BOL", "BOL", "BBL"]), level=rng.choice([2, 3]),
            crebos=frozenset(rng.sample(["25180", "25181"], rng.randint(1, 2))),
            seats_free=rng.choice([0, 1, 2]),
            accredited_crebos=rng.choice([None, frozenset(), frozenset({"25180"}), frozenset({"25181"})]),
            accredited_dossiers=rng.choice([None, frozenset(), frozenset({"23085"})]),
            meester_room=rng.choice([-1, 0, 0, 2]), gezel_room=rng.choice([None, None, -1, 0]),
            hours_per_week=rng.choice([24.0, 32.0, 38.0, 40.0, 46.0, 60.0]),
            days_per_week=rng.choice([None, 3, 4, 5]), wage_age=rng.choice([None, 16, 18, 21]),
            pay_per_month=rng.choice([0, 900, 1400, 1900, 2600]),
            start_date=rng.choice([date(2026, 1, 5), date(2026, 8, 3), date(2027, 3, 1)]),
        )
        for i in range(200)
    ]  # fmt: skip
    si, pj = candidate_pairs(students, places, on=on)
    got = set(zip(si.tolist(), pj.tolist(), strict=True))
    expected = {
        (i, j)
        for i, s in enumerate(students)
        for j, p in enumerate(places)
        if not failed_rules(s, p, on=on)
    }
    assert got == expected and expected
    # The random places break every rule somewhere, so each one is exercised.
    seen = {r.code for s in students for p in places for r in failed_rules(s, p, on=on)}
    assert {
        "wage",
        "working_time",
        "school_day",
        "accreditation",
        "meester_capacity",
        "gezel_capacity",
        "seat",
    } <= seen


def test_each_training_example_keeps_its_own_leave_one_out_sqi():
    """Two finished internships at one place carry different leave-one-out facts (each without its
    own outcome); each pair's SQI features come from its own facts, never from the other's (that
    would let an example read its own outcome through the other one's counts)."""
    from stagematch.matching.features import FEATURES, fit_context

    rng = random.Random(5)
    base, s = place(rng, 1), student(rng, 1)
    good = dataclasses.replace(
        base, meester=dataclasses.replace(base.meester, finished=4, completed_ok=4)
    )
    bad = dataclasses.replace(
        base, meester=dataclasses.replace(base.meester, finished=4, completed_ok=0)
    )
    assert good.id == bad.id
    X = build_features([(s, good), (s, bad)], fit_context([good, bad]))
    col = FEATURES.index("sqi")
    assert X[0, col] == place_sqi(good).score and X[1, col] == place_sqi(bad).score
    assert X[0, col] > X[1, col]

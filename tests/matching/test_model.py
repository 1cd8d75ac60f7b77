"""The match model learns from outcomes, ranks better than the baselines, never uses protected
attributes, and explains itself faithfully."""

from __future__ import annotations

import dataclasses
import io
import random
from datetime import date

import joblib
import numpy as np
import pytest
from scipy.stats import spearmanr

from stagematch.matching.features import FEATURES, build_features
from stagematch.matching.model import contributions, match_label, rank, rule_score, train
from tests.matching.simulate import examples, place, student


@pytest.fixture(scope="module")
def model():
    return train(examples(2500, seed=1), random_state=0)


@pytest.fixture(scope="module")
def reversed_model():
    return train(examples(2500, seed=2, reverse=True), random_state=0)


def _probe_places(rng=None):
    rng = rng or random.Random(9)
    return [place(rng, 10_000 + i) for i in range(40)]


def _predict(model, s, places):
    return model.predict(build_features([(s, p) for p in places], model.context))


def test_model_recovers_the_directions_of_the_simulation(model):
    rng = random.Random(5)
    s = student(rng, 1, skills=("koken", "kassa", "plannen"), max_travel_km=25)
    base = place(rng, 1, skills=("koken", "kassa", "plannen"), lat=52.25, lon=6.90)
    good = dataclasses.replace(
        base.meester,
        trained=True,
        years_experience=15,
        hours_per_week=8,
        ratings_n=10,
        rating_mean=4.6,
    )
    bad = dataclasses.replace(
        base.meester,
        trained=False,
        years_experience=1,
        hours_per_week=1,
        ratings_n=10,
        rating_mean=2.2,
    )
    # Mid-range pairs (far-ish, no shared skills), where the probability is not saturated.
    mid = dataclasses.replace(
        base, lat=52.36, skills=("lassen", "zorg", "excel"), text="Je leert lassen zorg excel"
    )
    p_good, p_bad = _predict(model, s, [dataclasses.replace(mid, meester=good, gezel=True),
                                         dataclasses.replace(mid, meester=bad, gezel=False)])  # fmt: skip
    assert p_good > p_bad + 0.04, (p_good, p_bad)  # supervision quality helps
    near, far = _predict(
        model, s, [dataclasses.replace(base, lat=52.23), dataclasses.replace(base, lat=52.40)]
    )
    assert near > far  # distance hurts
    fit, misfit = _predict(model, s, [base, dataclasses.replace(base, skills=("lassen", "solderen", "zorg"),
                                                                  text="Je leert lassen solderen zorg")])  # fmt: skip
    assert fit > misfit  # skill fit helps


def test_model_learns_whatever_the_data_says(model, reversed_model):
    s = student(random.Random(3), 1)
    places = _probe_places()
    correlation = spearmanr(
        _predict(model, s, places), _predict(reversed_model, s, places)
    ).statistic
    assert correlation < 0


def test_model_beats_the_three_baselines_on_held_out_ndcg(model):
    rows = {m["name"]: m for m in model.metrics}
    ours = next(v for k, v in rows.items() if k.startswith("model"))
    for name in ("afstand (Stagemarkt)", "nieuwste eerst", "alleen SQI"):
        assert ours["ndcg10"] > rows[name]["ndcg10"], (name, rows)
    assert 0.6 < ours["auc"] <= 1 and 0 < ours["brier"] < 0.25


@pytest.mark.parametrize(
    "change",
    [{"name": "Mohammed El Amrani"}, {"gender": "v"}, {"birth_date": date(1990, 1, 1)}, {"nationality": "Syrisch"},
     {"accessibility_needs": "rolstoel"}, {"photo": "foto.jpg"}],
)  # fmt: skip
def test_protected_attributes_change_no_score(model, change):
    s = student(random.Random(4), 1)
    other = dataclasses.replace(s, **change)
    places = _probe_places()
    assert np.array_equal(_predict(model, s, places), _predict(model, other, places))
    X, Y = (build_features([(x, p) for p in places], model.context) for x in (s, other))
    assert np.array_equal(rule_score(X), rule_score(Y))


def test_reasons_are_the_models_own_top_contributions(model):
    s = student(random.Random(6), 1, skills=("koken", "kassa"))
    ranked = rank(model, s, _probe_places())
    col = {f: i for i, f in enumerate(FEATURES)}
    for r in ranked[:10]:
        positives = sorted((v for v in r.contributions.values() if v > 0), reverse=True)
        assert len(r.reasons) <= 3
        if r.reasons:
            # The first reason belongs to the largest positive contribution that has words.
            assert max(r.contributions.values()) == positives[0]
    # Neutralising the group behind the top reason lowers the score (faithfulness).
    top = ranked[0]
    group = max(top.contributions, key=top.contributions.get)
    x = build_features([(s, top.place)], model.context)
    from stagematch.matching.features import GROUPS

    neutral = x.copy()
    for name in GROUPS[group]:
        neutral[0, col[name]] = model.reference[col[name]]
    assert model.predict(neutral)[0] < model.predict(x)[0]
    assert contributions(model, x)[0][group] == pytest.approx(
        model.predict(x)[0] - model.predict(neutral)[0]
    )


def test_labels_have_documented_thresholds():
    assert [match_label(p) for p in (0.9, 0.75, 0.6, 0.5, 0.1)] == [
        "zeer goede match", "zeer goede match", "goede match", "redelijke match", "matige match"]  # fmt: skip


def test_model_round_trips_through_joblib(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    s = student(random.Random(7), 1)
    places = _probe_places()
    assert np.array_equal(_predict(model, s, places), _predict(loaded, s, places))


def test_training_needs_enough_varied_data():
    with pytest.raises(ValueError):
        train(examples(30))

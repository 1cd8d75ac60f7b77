"""The match model learns from what students did, is chosen by the per-student metric, keeps the
structure it must respect whatever the data says, never uses protected attributes, and explains
itself faithfully."""

from __future__ import annotations

import dataclasses
import io
import random
from datetime import date

import joblib
import numpy as np
import pytest

from stagematch.matching import evaluation as ev
from stagematch.matching.data import ENGAGED, NOTHING
from stagematch.matching.features import FEATURES, MONOTONE, SIGNS, build_features
from stagematch.matching.model import (
    CANDIDATES,
    PairwiseLogistic,
    SignConstrainedLogistic,
    contributions,
    match_label,
    rank,
    rule_score,
    train,
)
from tests.matching.market import market
from tests.matching.simulate import examples, place, student


@pytest.fixture(scope="module")
def sessions():
    return market(3000, seed=1)


@pytest.fixture(scope="module")
def model(sessions):
    return train(sessions, random_state=0, n_boot=300)


def _probe_places(rng=None):
    rng = rng or random.Random(9)
    return [place(rng, 10_000 + i) for i in range(40)]


def _predict(model, s, places):
    return model.predict(build_features([(s, p) for p in places], model.context))


def test_model_beats_distance_newest_and_sqi_per_student_and_is_no_worse_than_the_rule(model):
    rows = {m["name"]: m for m in model.metrics if m.get("kind") in ("model", "baseline")}
    assert len(rows) == 5 and all(r["n"] > 400 for r in rows.values())
    for name in ("afstand (Stagemarkt)", "nieuwste eerst", "alleen SQI"):
        assert rows[name]["diff_lo"] > 0, (name, rows[name])
    rule = rows["de regel (zonder model)"]
    assert rule["diff"] > 0 and rule["diff_hi"] > 0, rule


def test_family_and_settings_are_chosen_by_the_per_student_metric(model):
    selection = [m for m in model.metrics if m.get("kind") == "selection"]
    assert {c.name for c in CANDIDATES} <= {m["name"] for m in selection}
    best = max(selection, key=lambda m: m["ndcg10"])
    [chosen] = [m for m in selection if m["chosen"]]
    assert chosen["ndcg10"] == best["ndcg10"] and model.family == chosen["name"]


def _better_places(s, base):
    """(better, worse) versions of each place, as the metamorphic tests make them."""
    pairs = []
    for p in base:
        m = p.meester
        pairs += [
            (dataclasses.replace(p, lat=(p.lat + s.lat) / 2, lon=(p.lon + s.lon) / 2), p),
            (dataclasses.replace(p, meester=dataclasses.replace(m, hours_per_week=m.hours_per_week + 3)), p),
            (p, dataclasses.replace(p, meester=dataclasses.replace(m, active_learners=m.active_learners + 2))),
            (dataclasses.replace(p, meester=dataclasses.replace(m, trained=True)),
             dataclasses.replace(p, meester=dataclasses.replace(m, trained=False))),
            (dataclasses.replace(p, gezel=True, meester=dataclasses.replace(m, has_gezel=True)),
             dataclasses.replace(p, gezel=False, meester=dataclasses.replace(m, has_gezel=False))),
            (dataclasses.replace(p, meester=dataclasses.replace(m, ratings_n=8, rating_mean=4.5)),
             dataclasses.replace(p, meester=dataclasses.replace(m, ratings_n=8, rating_mean=2.5))),
            (dataclasses.replace(p, crebos=frozenset({s.crebo})),
             dataclasses.replace(p, crebos=frozenset({"99999"}))),
        ]  # fmt: skip
    return pairs


@pytest.mark.parametrize("candidate", [c.name for c in CANDIDATES])
def test_every_candidate_keeps_the_structure_even_when_the_data_says_the_opposite(candidate):
    """A world where students took the farthest place with the busiest, untrained meester:
    the constrained model learns nothing against the structure (it cannot reverse it)."""
    sessions = market(1200, seed=3)
    col = {f: i for i, f in enumerate(FEATURES)}
    flat = ev.flatten(sessions)
    X = build_features(flat.pairs, _context(sessions))
    badness = X[:, col["distance_ratio"]] - X[:, col["sqi"]] / 50
    reversed_sessions = []
    for i, s in enumerate(sessions):
        worst = int(np.argmax(badness[flat.start[i] : flat.start[i] + flat.size[i]]))
        grades = tuple(ENGAGED if j == worst else NOTHING for j in range(len(s.places)))
        reversed_sessions.append(dataclasses.replace(s, grades=grades, started=None, success=None))
    chosen = [c for c in CANDIDATES if c.name == candidate]
    model = train(reversed_sessions, random_state=0, candidates=chosen, n_boot=50)
    assert model.family.startswith(candidate)
    rng = random.Random(4)
    s = student(rng, 1, level=2)
    pairs = _better_places(s, _probe_places(rng))
    better = _predict(model, s, [b for b, _ in pairs])
    worse = _predict(model, s, [w for _, w in pairs])
    assert int(np.sum(better < worse)) == 0


def _context(sessions):
    from stagematch.matching.features import fit_context

    return fit_context(list({id(p): p for s in sessions[:200] for p in s.places}.values()))


def test_linear_coefficients_keep_their_signs():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, len(FEATURES)))
    y = (X @ -np.array(SIGNS, dtype=float) + rng.normal(size=2000) > 0).astype(int)  # all reversed
    fitted = SignConstrainedLogistic(C=1.0, signs=SIGNS).fit(X, y)
    signs = np.array(SIGNS)
    assert np.all(fitted.coef_[signs > 0] >= 0) and np.all(fitted.coef_[signs < 0] <= 0)
    free = [i for i, f in enumerate(FEATURES) if MONOTONE[f] == 0]
    assert free and all(abs(fitted.coef_[i]) < 0.2 for i in free)  # free ones fit the data


def test_the_pairwise_objective_ranks_within_each_student():
    """Across students the chosen places differ wildly in level; within a student the chosen one
    is always the one with more of feature 0: only a within-student objective finds that."""
    rng = np.random.default_rng(3)
    rows, grades, groups = [], [], []
    for g in range(300):
        base = rng.normal(scale=5, size=len(FEATURES))
        for _ in range(6):
            x = base + rng.normal(size=len(FEATURES))
            rows.append(x)
            groups.append(g)
        best = int(np.argmax([r[0] for r in rows[-6:]]))
        grades += [ENGAGED if j == best else NOTHING for j in range(6)]
    X = np.array(rows)
    sizes = np.full(300, 6)
    flat = ev.Flat((), np.array(groups), np.array(grades), np.arange(300) * 6, sizes)
    ranker = PairwiseLogistic(C=1.0, signs=[0] * len(FEATURES)).fit(X, flat)
    assert ranker.coef_[0] > 0 and np.argmax(np.abs(ranker.coef_)) == 0


def test_supervision_matters_more_for_low_levels_through_the_interactions():
    from stagematch.matching.model import _success_part

    sessions = market(3000, seed=5)
    flat = ev.flatten(sessions)
    X = build_features(flat.pairs, _context(sessions))
    success = _success_part(X, flat)
    col = {f: i for i, f in enumerate(FEATURES)}
    assert success.coef_[col["low_level_x_gezel"]] > 0 or success.coef_[col["low_level_x_time"]] > 0


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


def test_scores_are_probabilities_of_a_good_completion(model, sessions):
    fit, choose, report = ev.split_by_time(ev.settled(ev.rankable(sessions)))
    flat = ev.flatten(report)
    p = model.predict(build_features(flat.pairs, model.context))
    assert np.all((p > 0) & (p < 1))
    started = [
        (flat.start[i] + s.started, s.success)
        for i, s in enumerate(report)
        if s.success is not None
    ]
    rows = np.array([r for r, _ in started])
    outcome = np.array([float(o) for _, o in started])
    assert abs(p[rows].mean() - outcome.mean()) < 0.08  # calibrated on good completions


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


def test_finished_internships_alone_still_train():
    model = train(examples(800, seed=4), random_state=0, n_boot=50)
    assert model.predict(
        build_features([(e.student, e.place) for e in examples(20)], model.context)
    ).shape == (20,)


def test_training_needs_enough_varied_data():
    with pytest.raises(ValueError):
        train(examples(30))


def test_choice_sets_put_each_engaged_place_against_the_lower_graded_of_its_student():
    """The conditional logit's sets: a good completion against the applications and the rest of
    its student's places, an application against the places nothing happened at; a place with
    nothing lower in its session (every place applied to) chooses nothing."""
    from stagematch.matching.data import GOOD
    from stagematch.matching.model import _choice_sets

    sessions = [
        ev.Session(None, date(2026, 1, 1), (None,) * 4, (ENGAGED, GOOD, NOTHING, NOTHING)),
        ev.Session(None, date(2026, 1, 2), (None,) * 2, (ENGAGED, ENGAGED)),
        ev.Session(None, date(2026, 1, 3), (None,) * 3, (NOTHING, ENGAGED, NOTHING)),
    ]
    chosen, members, starts = _choice_sets(ev.flatten(sessions))
    sets = np.split(members, starts[1:])
    assert chosen.tolist() == [0, 1, 7]
    assert [s.tolist() for s in sets] == [[0, 2, 3], [1, 0, 2, 3], [7, 6, 8]]


def test_selection_keeps_the_simplest_setting_within_the_noise_of_the_best():
    """A blend that wins on the choose part by less than one standard error of the per-student
    difference adds parts without evidence (the demo's blend with success and offer parts won
    by 0.0003 and lost 0.011 on the held-out students); one that wins clearly is kept."""
    from stagematch.matching.model import _simplest_near_best

    rng = np.random.default_rng(0)
    plain = rng.random(200)
    noisy_blend = plain + rng.normal(0.001, 0.05, 200)
    assert (
        _simplest_near_best([("blend", 1.0, 0.5, noisy_blend), ("plain", 0.0, 0.0, plain)])[0]
        == "plain"
    )
    clear_blend = plain + 0.05 + rng.normal(0, 0.01, 200)
    assert _simplest_near_best([("blend", 1.0, 0.5, clear_blend), ("plain", 0.0, 0.0, plain)]) == (
        "blend", 1.0, 0.5
    )  # fmt: skip


def test_where_students_went_is_learnt_also_while_their_internship_runs():
    """A running internship's session is fitted on (ENGAGED) but never judged: without it a
    leerweg whose internships run for years (BBL) is missing from every part but the newest."""
    from dataclasses import replace

    sessions = sorted(ev.rankable(market(600, seed=3)), key=lambda s: s.on)
    old = sessions[: len(sessions) // 2]
    still = {id(s) for s in old[::3] if s.started is not None}
    with_running = [
        replace(s, success=None, ended_on=None,
                grades=tuple(ENGAGED if g > ENGAGED else g for g in s.grades))
        if id(s) in still else s
        for s in sessions
    ]  # fmt: skip
    running = ev.running(with_running)
    assert len(running) == len(still) > 0
    assert not {id(s) for s in running} & {id(s) for s in ev.settled(with_running)}
    without = [s for s in with_running if not (s.started is not None and s.success is None)]
    alone = train(without, random_state=0, n_boot=50).summary
    both = train(with_running, random_state=0, n_boot=50).summary
    assert both["report"] == alone["report"]  # judged: settled sessions only
    assert both["fit"] + both["choose"] == alone["fit"] + alone["choose"] + len(running)

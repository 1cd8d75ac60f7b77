"""The supervision quality index, component by component."""

from __future__ import annotations

import dataclasses

import pytest

from stagematch.matching import sqi

BASE = sqi.MeesterFacts(
    trained=False,
    years_experience=5,
    hours_per_week=2,
    capacity=3,
    active_learners=0,
    has_gezel=False,
)


def _score(**change) -> float:
    return sqi.compute(dataclasses.replace(BASE, **change)).score


@pytest.mark.parametrize(
    ("better", "worse"),
    [({"trained": True}, {}), ({"years_experience": 15}, {"years_experience": 1}), ({"hours_per_week": 6}, {"hours_per_week": 1}),
     ({"has_gezel": True}, {}), ({"meestertitel": True}, {}), ({"ratings_n": 10, "rating_mean": 4.5}, {"ratings_n": 10, "rating_mean": 2.5}),
     ({"finished": 10, "completed_ok": 10}, {"finished": 10, "completed_ok": 2})],
)  # fmt: skip
def test_each_component_moves_the_score_the_documented_way(better, worse):
    assert _score(**better) > _score(**worse)


def test_experience_has_diminishing_returns():
    gains = [sqi.experience_part(y + 5) - sqi.experience_part(y) for y in (0, 5, 10, 20)]
    assert gains == sorted(gains, reverse=True) and all(g > 0 for g in gains)


def test_time_per_learner_counts_the_new_learner():
    assert sqi.time_part(4, 0) == 1.0 and sqi.time_part(4, 1) == 1.0 and sqi.time_part(4, 3) == 0.5


def test_overloaded_meester_scores_low_whatever_else():
    perfect = dict(trained=True, years_experience=30, hours_per_week=40, has_gezel=True, meestertitel=True,
                   ratings_n=50, rating_mean=5.0, finished=20, completed_ok=20)  # fmt: skip
    assert _score(**perfect) > 80
    assert _score(**perfect, capacity=2, active_learners=3) <= sqi.OVERLOADED_CAP
    assert _score(**perfect, capacity=2, active_learners=2) <= sqi.FULL_CAP


def test_shrinkage_three_ratings_move_less_than_twenty():
    three = _score(ratings_n=3, rating_mean=5.0)
    twenty = _score(ratings_n=20, rating_mean=5.0)
    none = _score()
    assert none < three < twenty
    assert sqi.shrunk_rating(0, None) == sqi.PRIOR_RATING


def test_fewer_than_three_ratings_cannot_be_read_back():
    # One or two answers leave the score at the prior: nobody can infer a single student's rating.
    assert _score(ratings_n=1, rating_mean=1.0) == _score(ratings_n=2, rating_mean=5.0) == _score()
    assert dict(sqi.compute(dataclasses.replace(BASE, ratings_n=2, rating_mean=4.0)).parts)[
        "Oordeel van studenten"
    ] == ("nog te weinig beoordelingen")


def test_bounds_and_parts():
    low = sqi.compute(dataclasses.replace(BASE, years_experience=0, hours_per_week=0, ratings_n=50, rating_mean=1.0,
                                          finished=50, completed_ok=0))  # fmt: skip
    high = sqi.compute(sqi.MeesterFacts(True, 40, 40, 5, 0, True, True, 100, 5.0, 100, 100))
    assert 0 <= low.score < 20 and 90 < high.score <= 100
    assert {label for label, _ in high.parts} >= {
        "Opgeleid als praktijkopleider",
        "Bezetting",
        "Oordeel van studenten",
    }
    assert dict(sqi.compute(BASE).parts)["Oordeel van studenten"] == "nog te weinig beoordelingen"

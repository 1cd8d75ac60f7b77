"""Per-student evaluation (issue 16, part 3): each student's own candidates, graded by what
happened; ties at random; intervals over students; paired differences; time and outcomes."""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import date, timedelta

import numpy as np
import pytest

from stagematch.matching import evaluation as ev
from stagematch.matching.data import ENGAGED, GOOD, NOTHING, Session
from tests.matching.simulate import place, student


def _session(i: int, grades, *, on=date(2025, 1, 1), **extra) -> Session:
    rng = random.Random(i)
    places = tuple(place(rng, 100 * i + j, meester_id=j % 3) for j in range(len(grades)))
    return Session(student(rng, i), on, places, tuple(grades), **extra)


def _dcg(gains) -> float:
    return sum(g / math.log2(r + 2) for r, g in enumerate(gains))


def test_ndcg_and_recall_are_each_students_own():
    first = _session(1, [NOTHING, GOOD, ENGAGED])
    second = _session(2, [ENGAGED, NOTHING])
    flat = ev.flatten([first, second])
    scores = np.array([3.0, 2.0, 1.0, 0.0, 5.0])  # first: [0, 3, 1] in that order; second: reversed
    result = ev.per_student(flat, scores)
    expected_first = _dcg([0, 3, 1]) / _dcg([3, 1, 0])
    expected_second = _dcg([0, 1]) / _dcg([1, 0])
    assert result["ndcg"] == pytest.approx([expected_first, expected_second])
    assert result["recall"] == pytest.approx([1.0, 1.0])
    # With k = 1 the first student's good place is outside the list.
    top1 = ev.per_student(flat, scores, k=1)
    assert top1["recall"] == pytest.approx([0.0, 0.0]) and top1["ndcg"] == pytest.approx([0, 0])


def test_students_are_not_ranked_against_each_other():
    """Issue 16: the old NDCG ranked different students' internships within a dossier and
    half-year. Here a scorer that orders every student's own list perfectly gets 1.0, however
    its scores compare across students."""
    sessions = [_session(i, [NOTHING] * 4 + [GOOD]) for i in range(20)]
    flat = ev.flatten(sessions)
    scores = np.concatenate([np.array([0, 1, 2, 3, 4.0]) - 10 * i for i in range(20)])
    assert ev.mean_ndcg(flat, scores) == pytest.approx(1.0)


def test_ties_are_broken_at_random_not_by_list_order():
    sessions = [_session(i, [GOOD] + [NOTHING] * 9) for i in range(400)]
    flat = ev.flatten(sessions)
    constant = ev.mean_ndcg(flat, np.zeros(len(flat.grade)))
    expected = np.mean([1 / math.log2(r + 2) for r in range(10)])  # the good place anywhere
    assert constant == pytest.approx(expected, abs=0.03)
    assert constant < 0.6


def test_intervals_and_paired_differences():
    rng = np.random.default_rng(1)
    sessions = [_session(i, [GOOD] + [NOTHING] * 5) for i in range(200)]
    flat = ev.flatten(sessions)
    perfect = np.where(flat.grade > 0, 1.0, 0.0) + rng.random(len(flat.grade)) * 0.1
    noisy = perfect + rng.normal(0, 0.6, len(flat.grade))
    expected = np.full(len(flat.grade), 0.5)
    rows = ev.evaluate(flat, {"model": perfect, "noisy": noisy, "same": perfect.copy()},
                       reference="model", expected=expected, n_boot=300)  # fmt: skip
    by_name = {r["name"]: r for r in rows}
    assert [r["name"] for r in rows] == ["model", "noisy", "same"]
    model = by_name["model"]
    assert (
        model["ndcg10"] == pytest.approx(1.0)
        and model["ndcg10_lo"] <= 1 <= model["ndcg10_hi"] + 1e-9
    )
    assert (
        by_name["noisy"]["diff_lo"] > 0
        and by_name["noisy"]["ndcg10_lo"] < by_name["noisy"]["ndcg10_hi"]
    )
    assert by_name["same"]["diff"] == by_name["same"]["diff_lo"] == by_name["same"]["diff_hi"] == 0
    assert model["top_success"] == pytest.approx(0.5) and "diff" not in model


def test_expected_success_leaves_the_students_own_outcome_out_and_shrinks():
    later = date(2025, 6, 1)
    # Meester 0 had three good outcomes after `later` (each the started place 0 of a session).
    done = [_session(i, [GOOD, NOTHING], started=0, success=True, ended_on=later + timedelta(days=i))
            for i in range(3)]  # fmt: skip
    early = _session(9, [GOOD, NOTHING], started=0, success=True, ended_on=date(2024, 1, 1))
    flat = ev.flatten(done)
    expected = ev.expected_success([*done, early], flat, since=later)
    prior = 1.0  # every outcome since `later` was good
    # Place 0 (meester 0) of each session: the two other good outcomes, not its own.
    assert expected[flat.start] == pytest.approx((2 + ev.SHRINK * prior) / (2 + ev.SHRINK))
    # Place 1 (meester 1): no outcomes of its own, the prior.
    assert expected[flat.start + 1] == pytest.approx(prior)


def test_censoring_hides_outcomes_that_came_later():
    s = _session(1, [GOOD, ENGAGED], started=0, success=True, ended_on=date(2025, 3, 1))
    [known] = ev.censor([s], date(2025, 3, 2))
    [unknown] = ev.censor([s], date(2025, 3, 1))
    assert known == s
    assert unknown.grades == (ENGAGED, ENGAGED) and unknown.success is None


def test_split_by_time_and_settled_sessions():
    sessions = [_session(i, [ENGAGED, NOTHING], on=date(2025, 1, 1) + timedelta(days=i))
                for i in range(100)]  # fmt: skip
    fit, choose, report = ev.split_by_time(list(reversed(sessions)))
    assert (len(fit), len(choose), len(report)) == (60, 15, 25)
    assert (
        max(s.on for s in fit)
        < min(s.on for s in choose)
        <= max(s.on for s in choose)
        < min(s.on for s in report)
    )
    running = dataclasses.replace(sessions[0], started=0, success=None)
    recent = sessions[-1]
    settled = ev.settled([running, recent, sessions[1]])
    assert settled == [sessions[1]]  # running: may still end well; recent: still choosing


def test_only_sessions_with_something_to_rank_count():
    assert ev.rankable([_session(1, [NOTHING, NOTHING]), _session(2, [GOOD]),
                        _session(3, [NOTHING, ENGAGED])]) == [_session(3, [NOTHING, ENGAGED])]  # fmt: skip


def test_gini_of_exposure():
    assert ev.gini(np.array([5, 5, 5, 5])) == pytest.approx(0.0)
    assert ev.gini(np.array([0, 0, 0, 8])) == pytest.approx(0.75)  # (n − 1) / n: all on one
    assert ev.gini(np.array([0, 0])) == 0.0


def test_exposure_counts_every_candidate_and_crowded_top_lists():
    """Two students share places 0 and 1 (one crowded: 3 open applications per free seat); a
    ranking that puts the crowded place first for both, with k = 1, shows it twice and the
    others never: Gini over the three places 2/3; no student's top 1 holds an uncrowded place."""
    rng = random.Random(0)
    quiet = place(rng, 1, meester_id=1)
    crowded = dataclasses.replace(place(rng, 2, meester_id=2), open_applications=3, seats_free=1)
    other = place(rng, 3, meester_id=3)
    sessions = [
        Session(student(rng, 1), date(2025, 1, 1), (quiet, crowded), (ENGAGED, NOTHING)),
        Session(student(rng, 2), date(2025, 1, 1), (crowded, other), (NOTHING, ENGAGED)),
    ]
    flat = ev.flatten(sessions)
    crowded_first = np.array([0.0, 1.0, 1.0, 0.0])
    spread = ev.exposure(flat, crowded_first, k=1)
    assert spread["gini"] == pytest.approx(2 / 3)
    assert spread["uncrowded"] == 0.0
    quiet_first = np.array([1.0, 0.0, 0.0, 1.0])
    spread = ev.exposure(flat, quiet_first, k=1)
    assert spread["gini"] == pytest.approx(1 / 3)  # counts 1, 0, 1
    assert spread["uncrowded"] == 1.0

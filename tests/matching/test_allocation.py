"""The allocation: stable (no blocking pair), within seats and capacities, student-optimal, and
strict about bad input."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stagematch.matching.allocation import allocate, blocking_pairs, summarise


def instances(max_students=8, max_places=5, max_meesters=3):
    @st.composite
    def build(draw):
        n_s = draw(st.integers(1, max_students))
        n_m = draw(st.integers(1, max_meesters))
        n_p = draw(st.integers(1, max_places))
        students = [f"s{i}" for i in range(n_s)]
        meesters = [f"m{i}" for i in range(n_m)]
        places = [f"p{i}" for i in range(n_p)]
        place_meester = {p: draw(st.sampled_from(meesters)) for p in places}
        used = set(place_meester.values())
        meester_capacity = {m: draw(st.integers(1, 3)) for m in used}
        place_seats = {p: draw(st.integers(1, 2)) for p in places}
        student_prefs = {
            s: draw(st.permutations(places).map(lambda ps: ps[: draw(st.integers(0, len(ps)))]))
            for s in students
        }
        meester_prefs = {}
        for m in used:
            applicants = [
                s for s in students if any(place_meester[p] == m for p in student_prefs[s])
            ]
            order = draw(st.permutations(applicants))
            drop = draw(st.sets(st.sampled_from(applicants), max_size=1)) if applicants else set()
            meester_prefs[m] = [
                s for s in order if s not in drop
            ]  # sometimes a student is not acceptable
        return student_prefs, meester_prefs, place_meester, place_seats, meester_capacity

    return build()


def _feasible(alloc, instance) -> bool:
    student_prefs, meester_prefs, place_meester, place_seats, meester_capacity = instance
    summary = summarise(alloc, place_meester)
    if any(n > place_seats[p] for p, n in summary.seats_used.items()):
        return False
    if any(n > meester_capacity[m] for m, n in summary.meester_load.items()):
        return False
    for s, p in alloc.items():
        if p is not None and (
            p not in student_prefs[s] or s not in meester_prefs.get(place_meester[p], [])
        ):
            return False
    return True


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(instances())
def test_allocation_is_stable_and_within_capacity(instance):
    alloc = allocate(*instance)
    assert set(alloc) == set(instance[0])
    assert _feasible(alloc, instance)
    assert blocking_pairs(alloc, *instance) == []


def _all_stable(instance):
    student_prefs = instance[0]
    students = list(student_prefs)
    options = [[None, *student_prefs[s]] for s in students]
    for combo in itertools.product(*options):
        alloc = dict(zip(students, combo, strict=True))
        if _feasible(alloc, instance) and not blocking_pairs(alloc, *instance):
            yield alloc


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(instances(max_students=5, max_places=4, max_meesters=2))
def test_student_optimal_by_brute_force(instance):
    result = allocate(*instance)
    stable = list(_all_stable(instance))
    assert result in stable
    student_prefs = instance[0]

    def position(s, p):
        return len(student_prefs[s]) if p is None else student_prefs[s].index(p)

    for other in stable:
        for s in student_prefs:
            assert position(s, result[s]) <= position(s, other[s])


def test_known_example():
    # Two places of one meester with capacity 2; the meester prefers s2 > s1 > s3.
    student_prefs = {"s1": ["p1", "p2"], "s2": ["p1"], "s3": ["p2", "p1"]}
    meester_prefs = {"m": ["s2", "s1", "s3"]}
    result = allocate(
        student_prefs, meester_prefs, {"p1": "m", "p2": "m"}, {"p1": 1, "p2": 1}, {"m": 2}
    )
    assert result == {"s1": "p2", "s2": "p1", "s3": None}


def test_blocking_pairs_finds_each_case():
    prefs = {"s1": ["p1"], "s2": ["p1"]}
    # (a) place and meester have room, s1 unassigned
    assert blocking_pairs({"s1": None, "s2": None}, prefs, {"m": ["s1", "s2"]}, {"p1": "m"}, {"p1": 2}, {"m": 2}) == [
        ("s1", "p1"), ("s2", "p1")]  # fmt: skip
    # (c) place full with s2 while the meester prefers s1
    assert blocking_pairs(
        {"s1": None, "s2": "p1"}, prefs, {"m": ["s1", "s2"]}, {"p1": "m"}, {"p1": 1}, {"m": 1}
    ) == [("s1", "p1")]
    # (b) place p2 has room, meester full with s2 (on p1), prefers s1
    prefs_b = {"s1": ["p2"], "s2": ["p1"]}
    assert blocking_pairs({"s1": None, "s2": "p1"}, prefs_b, {"m": ["s1", "s2"]}, {"p1": "m", "p2": "m"}, {"p1": 1, "p2": 1},
                          {"m": 1}) == [("s1", "p2")]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [(lambda a: a[0].update(s1=["nope"]), "unknown place"), (lambda a: a[0].update(s1=["p1", "p1"]), "twice"),
     (lambda a: a[1].update(m=["s1", "ghost"]), "unknown student"), (lambda a: a[3].update(p1=0), "positive"),
     (lambda a: a[4].update(m=-1), "positive"), (lambda a: a[3].update(p1=True), "positive"),
     (lambda a: a[2].update(p1="x"), "without a capacity"), (lambda a: a[1].update(x=[]), "unknown meester"),
     (lambda a: a[3].update(p9=1), "no meester")],
)  # fmt: skip
def test_bad_input_raises_a_clear_value_error(change, message):
    args = [{"s1": ["p1"]}, {"m": ["s1"]}, {"p1": "m"}, {"p1": 1}, {"m": 1}]
    change(args)
    with pytest.raises(ValueError, match=message):
        allocate(*args)


def test_large_random_instance_is_stable():
    rng = random.Random(3)
    places = [f"p{i}" for i in range(400)]
    place_meester = {p: f"m{i // 2}" for i, p in enumerate(places)}
    students = {f"s{i}": rng.sample(places, 10) for i in range(1200)}
    meester_prefs = {}
    for m in set(place_meester.values()):
        applicants = [s for s, ps in students.items() if any(place_meester[p] == m for p in ps)]
        rng.shuffle(applicants)
        meester_prefs[m] = applicants
    args = (students, meester_prefs, place_meester, {p: rng.randint(1, 2) for p in places},
            {m: rng.randint(1, 3) for m in meester_prefs})  # fmt: skip
    alloc = allocate(*args)
    assert blocking_pairs(alloc, *args) == []

"""Benchmark: an allocation round with N students, M places and K choices each, against the
`matching` package's StudentAllocation (SPA-S, student-optimal) on an instance it can handle.

    .venv/bin/python bench/allocation_bench.py [--students 60000 --places 20000 --choices 10]
                                               [--compare-students 2000]

Prints the times, the ratio, and whether both assignments are identical (they must be: the
student-optimal stable allocation is unique). Nothing is asserted; figures are printed."""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stagematch.matching.allocation import allocate, blocking_pairs, summarise  # noqa: E402


def instance(students: int, places: int, choices: int, seed: int):
    rng = random.Random(seed)
    place_ids = [f"p{i}" for i in range(places)]
    place_meester, meester_capacity, i = {}, {}, 0
    while i < places:  # meesters supervise 1-4 places and take 1-4 learners
        m = f"m{len(meester_capacity)}"
        meester_capacity[m] = rng.randint(1, 4)
        count = rng.randint(1, 4)
        for p in place_ids[i : i + count]:
            place_meester[p] = m
        i += count
    place_ids = list(place_meester)
    popularity = [rng.paretovariate(1.5) for _ in place_ids]  # some places are wanted by many
    # `choices(weights=...)` sums the weights again on every call (O(places) per pick: minutes
    # at 60,000 x 10); the cumulative weights once give the same picks from the same seed.
    cum_weights = list(accumulate(popularity))
    student_prefs = {}
    for s in range(students):
        picks: list[str] = []
        while len(picks) < min(choices, len(place_ids)):
            p = rng.choices(place_ids, cum_weights=cum_weights, k=1)[0]
            if p not in picks:
                picks.append(p)
        student_prefs[f"s{s}"] = picks
    applicants: dict[str, list[str]] = {m: [] for m in meester_capacity}
    for s, picks in student_prefs.items():
        for m in {place_meester[p] for p in picks}:
            applicants[m].append(s)
    meester_prefs = {m: rng.sample(a, len(a)) for m, a in applicants.items()}
    place_seats = {p: rng.randint(1, 3) for p in place_ids}
    return student_prefs, meester_prefs, place_meester, place_seats, meester_capacity


def with_matching(args) -> tuple[dict, float]:
    from matching.games import StudentAllocation

    sys.setrecursionlimit(200_000)  # the package deep-copies its players recursively

    student_prefs, meester_prefs, place_meester, place_seats, meester_capacity = args
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = StudentAllocation.create_from_dictionaries(
            {s: list(p) for s, p in student_prefs.items()},
            meester_prefs,
            place_meester,
            place_seats,
            meester_capacity,
        )
        solution = game.solve(optimal="student")
    elapsed = time.perf_counter() - start
    result = dict.fromkeys(student_prefs)
    for project, students in solution.items():
        for student in students:
            result[student.name] = project.name
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=60_000)
    parser.add_argument("--places", type=int, default=20_000)
    parser.add_argument("--choices", type=int, default=10)
    parser.add_argument("--compare-students", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    start = time.perf_counter()
    big = instance(args.students, args.places, args.choices, args.seed)
    print(f"instance built in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    result = allocate(*big)
    elapsed = time.perf_counter() - start
    summary = summarise(result, big[2])
    print(
        f"StageMatch allocate: {args.students} students, {len(big[2])} places, {len(big[4])} meesters, "
        f"{args.choices} choices: {elapsed:.2f} s; assigned {summary.assigned}, unassigned {summary.unassigned}"
    )
    start = time.perf_counter()
    pairs = blocking_pairs(result, *big)
    print(f"stability check: {len(pairs)} blocking pairs ({time.perf_counter() - start:.1f} s)")

    n = args.compare_students
    small = instance(n, max(10, n // 3), args.choices, args.seed + 1)
    start = time.perf_counter()
    ours = allocate(*small)
    ours_time = time.perf_counter() - start
    theirs, theirs_time = with_matching(small)
    print(f"comparison on {n} students, {len(small[2])} places:")
    print(f"  {'implementation':<34}{'seconds':>10}")
    print(f"  {'StageMatch allocate':<34}{ours_time:>10.3f}")
    print(f"  {'matching.StudentAllocation':<34}{theirs_time:>10.3f}")
    print(
        f"  ratio matching/StageMatch: {theirs_time / ours_time:.1f}x; identical assignments: {ours == theirs}"
    )


if __name__ == "__main__":
    main()

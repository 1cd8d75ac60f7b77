"""Allocation rounds: the student-optimal stable allocation of students to places when places have
seats and meesters have a capacity over all their places — the Student-Project Allocation problem
with lecturer preferences over students (SPA-S), solved by the SPA-student algorithm of Abraham,
Irving & Manlove (2007, Journal of Discrete Algorithms 5(1)). Places are projects, meesters are
lecturers.

The algorithm, in short: free students propose to the next place on their list; a place or meester
with one learner too many drops the learner the meester likes least; once a place (or a meester)
is full, every student the meester likes less than the worst one he has is crossed off that place
(or all his places). The deletions are kept as rank cut-offs per place and per meester, so a
proposal is checked in O(1) and the worst learner comes from a heap.

A student who lists a place whose meester did not rank them is unacceptable to that meester: the
pair is ignored (the meester ranks exactly the students he would take)."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def _check_int(value, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{what} must be a positive whole number, got {value!r}")


def _validate(student_prefs, meester_prefs, place_meester, place_seats, meester_capacity) -> None:
    for place, meester in place_meester.items():
        if meester not in meester_capacity:
            raise ValueError(f"place {place!r} has meester {meester!r} without a capacity")
        if place not in place_seats:
            raise ValueError(f"place {place!r} has no number of seats")
    for place, seats in place_seats.items():
        if place not in place_meester:
            raise ValueError(f"place {place!r} has seats but no meester")
        _check_int(seats, f"seats of place {place!r}")
    for meester, capacity in meester_capacity.items():
        _check_int(capacity, f"capacity of meester {meester!r}")
    for student, prefs in student_prefs.items():
        if len(set(prefs)) != len(prefs):
            raise ValueError(f"student {student!r} lists a place twice")
        for place in prefs:
            if place not in place_meester:
                raise ValueError(f"student {student!r} lists unknown place {place!r}")
    for meester, prefs in meester_prefs.items():
        if meester not in meester_capacity:
            raise ValueError(f"unknown meester {meester!r} in meester_prefs")
        if len(set(prefs)) != len(prefs):
            raise ValueError(f"meester {meester!r} ranks a student twice")
        for student in prefs:
            if student not in student_prefs:
                raise ValueError(f"meester {meester!r} ranks unknown student {student!r}")


def allocate(
    student_prefs: Mapping[str, Sequence[str]],  # student -> place ids, best first
    meester_prefs: Mapping[str, Sequence[str]],  # meester -> student ids, best first
    place_meester: Mapping[str, str],  # place -> its meester
    place_seats: Mapping[str, int],
    meester_capacity: Mapping[str, int],
) -> dict[str, str | None]:  # student -> place, or None when unassigned
    _validate(student_prefs, meester_prefs, place_meester, place_seats, meester_capacity)
    rank = {m: {s: r for r, s in enumerate(prefs)} for m, prefs in meester_prefs.items()}
    infinity = float("inf")
    place_cut = dict.fromkeys(
        place_seats, infinity
    )  # students ranked worse are crossed off the place
    meester_cut = dict.fromkeys(meester_capacity, infinity)
    place_count = dict.fromkeys(place_seats, 0)
    meester_count = dict.fromkeys(meester_capacity, 0)
    place_heap: dict[str, list] = {p: [] for p in place_seats}  # (-rank, student), lazy deletion
    meester_heap: dict[str, list] = {m: [] for m in meester_capacity}
    assigned: dict[str, str | None] = dict.fromkeys(student_prefs)
    pointer = dict.fromkeys(student_prefs, 0)
    free = list(reversed(list(student_prefs)))

    def worst(heap: list, check) -> tuple[int, str]:
        while heap:
            r, s = heap[0]
            if check(s):
                return -r, s
            heapq.heappop(heap)
        raise RuntimeError("no assigned student")  # pragma: no cover - counts guarantee one

    def unassign(student: str) -> None:
        place = assigned[student]
        meester = place_meester[place]
        assigned[student] = None
        place_count[place] -= 1
        meester_count[meester] -= 1
        free.append(student)

    while free:
        student = free.pop()
        prefs = student_prefs[student]
        while pointer[student] < len(prefs):
            place = prefs[pointer[student]]
            meester = place_meester[place]
            r = rank.get(meester, {}).get(student)
            if r is None or r > place_cut[place] or r > meester_cut[meester]:
                pointer[student] += 1  # unacceptable, or crossed off
                continue
            break
        else:
            continue  # list exhausted: stays unassigned
        # Provisionally assign.
        assigned[student] = place
        place_count[place] += 1
        meester_count[meester] += 1
        heapq.heappush(place_heap[place], (-r, student))
        heapq.heappush(meester_heap[meester], (-r, student))
        if place_count[place] > place_seats[place]:
            _, dropped = worst(place_heap[place], lambda s, p=place: assigned[s] == p)
            unassign(dropped)
        elif meester_count[meester] > meester_capacity[meester]:
            _, dropped = worst(
                meester_heap[meester],
                lambda s, m=meester: assigned[s] is not None and place_meester[assigned[s]] == m,
            )
            unassign(dropped)
        if place_count[place] == place_seats[place]:
            cut, _ = worst(place_heap[place], lambda s, p=place: assigned[s] == p)
            place_cut[place] = min(place_cut[place], cut)
        if meester_count[meester] == meester_capacity[meester]:
            cut, _ = worst(
                meester_heap[meester],
                lambda s, m=meester: assigned[s] is not None and place_meester[assigned[s]] == m,
            )
            meester_cut[meester] = min(meester_cut[meester], cut)
    return assigned


def blocking_pairs(
    allocation: Mapping[str, str | None],
    student_prefs: Mapping[str, Sequence[str]],
    meester_prefs: Mapping[str, Sequence[str]],
    place_meester: Mapping[str, str],
    place_seats: Mapping[str, int],
    meester_capacity: Mapping[str, int],
) -> list[tuple[str, str]]:
    """Pairs (student, place) that would both rather be together (SPA-S stability, AIM 2007):
    the student is unassigned or prefers the place to their own, the meester ranks the student, and
    (a) place and meester have room; or (b) the place has room, the meester is full, and the student
    is already his or he prefers the student to his worst; or (c) the place is full and the meester
    prefers the student to the place's worst."""
    rank = {m: {s: r for r, s in enumerate(prefs)} for m, prefs in meester_prefs.items()}
    in_place: dict[str, list[str]] = {p: [] for p in place_seats}
    in_meester: dict[str, list[str]] = {m: [] for m in meester_capacity}
    for student, place in allocation.items():
        if place is not None:
            in_place[place].append(student)
            in_meester[place_meester[place]].append(student)
    result = []
    for student, prefs in student_prefs.items():
        own = allocation.get(student)
        for place in prefs:
            if place == own:
                break  # only places the student prefers to their own
            meester = place_meester[place]
            r = rank.get(meester, {}).get(student)
            if r is None:
                continue
            place_room = len(in_place[place]) < place_seats[place]
            meester_room = len(in_meester[meester]) < meester_capacity[meester]
            if place_room and meester_room:
                result.append((student, place))
            elif place_room:
                worst_of_meester = max(rank[meester][s] for s in in_meester[meester])
                if (own is not None and place_meester[own] == meester) or r < worst_of_meester:
                    result.append((student, place))
            else:
                worst_of_place = max(rank[meester][s] for s in in_place[place])
                if r < worst_of_place:
                    result.append((student, place))
    return result


@dataclass
class AllocationSummary:
    assigned: int
    unassigned: int
    seats_used: dict[str, int]
    meester_load: dict[str, int]


def summarise(
    allocation: Mapping[str, str | None], place_meester: Mapping[str, str]
) -> AllocationSummary:
    seats: dict[str, int] = {}
    load: dict[str, int] = {}
    for place in allocation.values():
        if place is not None:
            seats[place] = seats.get(place, 0) + 1
            load[place_meester[place]] = load.get(place_meester[place], 0) + 1
    done = sum(1 for p in allocation.values() if p is not None)
    return AllocationSummary(done, len(allocation) - done, seats, load)

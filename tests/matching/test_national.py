"""Landelijke places (issue 18, item 3): the learner may come from anywhere in the country, so the
travel radius never excludes them, in the scalar rules and in their vectorised path alike."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

from stagematch.matching import eligibility as rules
from tests.matching.simulate import place, student

ON = date(2026, 11, 22)
MAASTRICHT = (50.85, 5.69)  # about 200 km from the students in Enschede


def _far(national: bool, **over):
    rng = random.Random(3)
    return place(rng, 1, lat=MAASTRICHT[0], lon=MAASTRICHT[1], start_date=date(2027, 3, 1),
                 national=national, **over)  # fmt: skip


def test_a_far_place_is_out_of_reach_unless_it_is_national():
    s = student(random.Random(1), 1, max_travel_km=25, birth_date=date(2000, 1, 1))
    assert [r.code for r in rules.reasons(s, _far(False), on=ON)] == ["distance"]
    assert rules.reasons(s, _far(True), on=ON) == []


def test_national_does_not_lift_any_other_rule():
    s = student(random.Random(1), 1, max_travel_km=25, birth_date=date(2000, 1, 1))
    codes = {r.code for r in rules.reasons(s, _far(True, seats_free=0, level=3,
                                                    crebos=frozenset({"25181"})), on=ON)}  # fmt: skip
    assert codes == {"seat", "level"}
    other = dataclasses.replace(s, leerweg="BBL")
    assert "leerweg" in {r.code for r in rules.reasons(other, _far(True), on=ON)}


def test_within_reach_is_the_one_building_block():
    s = student(random.Random(1), 1, max_travel_km=25)
    assert not rules.within_reach(s, _far(False))
    assert rules.within_reach(s, _far(True))
    assert rules.within_reach(dataclasses.replace(s, lat=None, lon=None), _far(False))


def test_the_vectorised_pairs_agree_for_national_places():
    rng = random.Random(7)
    students = [student(rng, i, max_travel_km=rng.choice([10, 25, 40]), birth_date=date(2001, 5, 5))
                for i in range(30)]  # fmt: skip
    places = []
    for j in range(40):
        far = j % 2 == 0
        over = dict(lat=MAASTRICHT[0], lon=MAASTRICHT[1]) if far else {}
        places.append(place(rng, j, start_date=date(2027, 2, 1), national=j % 4 == 0, **over))
    si, pj = rules.candidate_pairs(students, places, on=ON)
    got = set(zip(si.tolist(), pj.tolist(), strict=True))
    expected = {
        (i, j)
        for i, s in enumerate(students)
        for j, p in enumerate(places)
        if rules.is_allowed(s, p, on=ON)
    }
    assert got == expected
    assert any(places[j].national for _, j in got)  # national places far away are in
    assert not any(places[j].lat == MAASTRICHT[0] and not places[j].national for _, j in got)

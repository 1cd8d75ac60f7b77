"""Adults in BBL (issue 18): a 35-year-old career switcher gets the adult minimum wage and the
adult working-time limits, in the scalar rules and in the vectorised candidate pairs alike."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from stagematch.matching import eligibility as rules
from stagematch.wages import ADULT, minimum_wage
from tests.matching.simulate import place, student

ON = date(2026, 11, 22)
START = date(2027, 3, 1)
HOURS = 38.0  # 4 days of 9.5 hours: fine for an adult, too long a day for a minor


def _floor(age: int) -> float:
    return minimum_wage(age, START).monthly(HOURS)


def _bbl_place(pay: int, **over):
    rng = random.Random(7)
    data = dict(leerweg="BBL", days_per_week=4, hours_per_week=HOURS, pay_per_month=pay,
                lat=52.25, lon=6.9, start_date=START, wage_age=None)  # fmt: skip
    data.update(over)
    return place(rng, 1, **data)


def _learner(birth: date | None):
    return student(random.Random(7), 1, leerweg="BBL", max_travel_km=40, birth_date=birth)


SWITCHER = date(1991, 6, 1)  # 35 on the start date
MINOR = date(2010, 6, 1)  # 16 on the start date


def _codes(s, p) -> set[str]:
    return {r.code for r in rules.reasons(s, p, on=ON)}


def test_the_switcher_is_35_on_the_start_date():
    p = _bbl_place(math.ceil(_floor(ADULT)))
    assert rules.learner_age(_learner(SWITCHER), p) == 35


def test_a_wage_at_the_adult_minimum_is_allowed_for_the_switcher():
    p = _bbl_place(math.ceil(_floor(ADULT)))
    assert _codes(_learner(SWITCHER), p) == set()


def test_a_youth_wage_is_too_low_for_the_switcher_but_not_for_a_16_year_old():
    youth = math.ceil(_floor(18))
    assert youth < _floor(ADULT) - 1  # the table has a real step between 18 and 21
    p = _bbl_place(youth, hours_per_week=36.0, days_per_week=4)
    assert "wage" in _codes(_learner(SWITCHER), p)
    assert "wage" not in _codes(_learner(MINOR), p)


def test_the_minors_working_time_rules_do_not_apply_to_the_switcher():
    p = _bbl_place(math.ceil(_floor(ADULT)))
    assert not rules.minor_time_ok("BBL", HOURS, 4)  # 9.5 hours a day: too long for a minor
    assert "working_time" not in _codes(_learner(SWITCHER), p)
    assert "working_time" in _codes(_learner(MINOR), p)


def test_the_adult_limits_still_hold_for_the_switcher():
    # 13 hours a day on 4 days is beyond the adult limit of 12 hours a day.
    p = _bbl_place(9999, hours_per_week=52.0, days_per_week=4)
    assert "working_time" in _codes(_learner(SWITCHER), p)
    # Five days at work leave no school day, whatever the age.
    assert "school_day" in _codes(_learner(SWITCHER), _bbl_place(9999, days_per_week=5))


def test_without_a_birth_date_the_strictest_rules_apply():
    """Why registering without a school asks for the birth date: unknown means 16."""
    p = _bbl_place(math.ceil(_floor(ADULT)))
    assert rules.learner_age(_learner(None), p) == rules.YOUNGEST_STUDENT_AGE
    assert "working_time" in _codes(_learner(None), p)


@pytest.mark.parametrize("pay_age", [18, 20, ADULT])
def test_candidate_pairs_agree_with_the_rules_for_switchers_and_minors(pay_age):
    places = [
        _bbl_place(math.ceil(_floor(pay_age)), id=1),
        _bbl_place(math.ceil(_floor(pay_age)), id=2, hours_per_week=32.0),
        _bbl_place(9999, id=3, hours_per_week=52.0),
    ]
    learners = [
        student(random.Random(1), i, leerweg="BBL", max_travel_km=40, birth_date=birth)
        for i, birth in enumerate([SWITCHER, MINOR, date(2006, 1, 1), None])
    ]
    si, pj = rules.candidate_pairs(learners, places, on=ON)
    fast = {(int(i), int(j)) for i, j in zip(si, pj, strict=True)}
    slow = {
        (i, j)
        for i, s in enumerate(learners)
        for j, p in enumerate(places)
        if rules.is_allowed(s, p, on=ON)
    }
    assert fast == slow
    assert (0, 0) in slow if pay_age == ADULT else (0, 0) not in slow

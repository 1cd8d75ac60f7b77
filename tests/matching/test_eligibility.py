"""The eligibility rules, one by one, as plain functions (the defects of issue 14 first)."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import pytest

from stagematch.matching import eligibility as rules
from tests.matching.simulate import place, student

ON = date(2026, 11, 22)


def pair(**place_change):
    rng = random.Random(1)
    s = student(rng, 1, max_travel_km=40, birth_date=date(2000, 1, 1))
    p = place(rng, 1, lat=52.25, lon=6.9, start_date=date(2027, 3, 1), **place_change)
    return s, p


def codes(s, p):
    return {r.code for r in rules.reasons(s, p, on=ON)}


def test_a_plain_pair_is_allowed():
    s, p = pair()
    assert rules.reasons(s, p, on=ON) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"leerweg": "BBL", "days_per_week": 4, "pay_per_month": 3000}, "leerweg"),
        ({"crebos": frozenset({"25491"}), "dossiers": frozenset({"23187"})}, "qualification"),
        ({"crebos": frozenset({"25181"}), "level": 3}, "level"),
        ({"lat": 53.2}, "distance"),
        ({"seats_free": 0}, "seat"),
        ({"meester_room": -1}, "meester_capacity"),
        ({"gezel_room": -1}, "gezel_capacity"),
        ({"accredited_crebos": frozenset()}, "accreditation"),
        ({"start_date": date(2020, 1, 1)}, "ended"),
        ({"start_date": date(2029, 1, 1)}, "dates"),
        ({"duration_weeks": 105}, "dates"),
        ({"hours_per_week": 61.0}, "working_time"),
    ],
)  # fmt: skip
def test_each_rule_excludes_a_pair_on_its_own(change, code):
    s, p = pair()
    assert codes(s, dataclasses.replace(p, **change)) == {code}


def test_a_place_for_a_sibling_crebo_is_allowed_only_if_that_crebo_is_accredited():
    s, p = pair(crebos=frozenset({"25181"}), dossiers=frozenset({"23085"}))
    assert codes(s, p) == set()
    assert codes(s, dataclasses.replace(p, accredited_dossiers=frozenset())) == {"accreditation"}


def test_kok_student_is_not_allowed_on_an_aircraft_place_of_an_unaccredited_company():
    # The reported hire: a Kok (25180) student on a Samenbouwer vliegtuigbouw place.
    s, p = pair(
        crebos=frozenset({"25304"}), dossiers=frozenset({"23130"}), accredited_crebos=frozenset()
    )
    assert "qualification" in codes(s, p)


def test_sixty_hours_five_days_bbl_for_a_sixteen_year_old_breaks_working_time_and_school_day():
    s, p = pair(
        leerweg="BBL", hours_per_week=60.0, days_per_week=5, pay_per_month=5000, wage_age=16
    )
    s = dataclasses.replace(s, leerweg="BBL", birth_date=date(2010, 9, 1))
    assert codes(s, p) == {"working_time", "school_day"}
    # The same place is not publishable for anyone: no school day.
    assert rules.SCHOOL_DAY in rules.place_reasons(p, on=ON)


def test_minors_have_a_nine_hour_day_and_45_hours_with_school_time():
    young = date(2010, 9, 1)  # 16 at the start
    s, p = pair(leerweg="BBL", hours_per_week=36.0, days_per_week=4, pay_per_month=3000)
    s = dataclasses.replace(s, leerweg="BBL", birth_date=young)
    assert codes(s, p) == set()  # 9 h a day, 36 + 8 school = 44
    assert codes(s, dataclasses.replace(p, hours_per_week=38.0)) == {"working_time"}  # 9.5 h a day
    adult = dataclasses.replace(s, birth_date=date(2000, 1, 1))
    assert codes(adult, dataclasses.replace(p, hours_per_week=38.0)) == set()


def test_bbl_wage_must_meet_the_minimum_for_the_students_age_at_the_start():
    s, p = pair(leerweg="BBL", hours_per_week=32.0, days_per_week=4)
    floor_21 = rules.minimum_pay(21, p.start_date, 32.0)
    floor_18 = rules.minimum_pay(18, p.start_date, 32.0)
    adult = dataclasses.replace(s, leerweg="BBL", birth_date=date(2000, 1, 1))
    eighteen = dataclasses.replace(adult, birth_date=date(2009, 1, 1))
    place_18 = dataclasses.replace(p, pay_per_month=int(floor_18 + 1))
    assert codes(eighteen, place_18) == set()
    assert codes(adult, place_18) == {"wage"}
    assert codes(adult, dataclasses.replace(p, pay_per_month=int(floor_21 + 1))) == set()


def test_a_past_bbl_place_is_judged_by_the_wage_table_of_its_day():
    """Training judges past places by the law of their start (issue 16: a table that began in
    2026 blocked every earlier BBL place, so the model never saw a BBL student before 2026). The
    hourly minimum wage exists from 1 January 2024; a 19-year-old on the BBL scale: 6.97 in the
    first half of 2024, 7.38 from 1 January 2025, 7.56 from 1 July 2025; before 2024 nothing."""
    assert [rules.minimum_wage(19, day).hourly for day in
            (date(2024, 3, 1), date(2025, 3, 1), date(2025, 8, 1))] == [6.97, 7.38, 7.56]  # fmt: skip
    assert rules.minimum_wage(19, date(2023, 12, 31)) is None
    s, p = pair(leerweg="BBL", hours_per_week=32.0, days_per_week=4)
    nineteen = dataclasses.replace(s, leerweg="BBL", birth_date=date(2006, 1, 1))
    spring_2025 = dataclasses.replace(p, start_date=date(2025, 3, 1), pay_per_month=1030)
    then = date(2025, 2, 1)
    assert rules.reasons(nineteen, spring_2025, on=then) == []  # 7.38 × 32 × 52 / 12 = 1023
    cheaper = dataclasses.replace(spring_2025, pay_per_month=1010)
    assert {r.code for r in rules.reasons(nineteen, cheaper, on=then)} == {"wage"}


def test_without_a_birth_date_the_wage_age_of_the_place_is_used():
    s, p = pair(leerweg="BBL", hours_per_week=32.0, days_per_week=4, wage_age=18)
    s = dataclasses.replace(s, leerweg="BBL", birth_date=None)
    floor_18 = rules.minimum_pay(18, p.start_date, 32.0)
    assert codes(s, dataclasses.replace(p, pay_per_month=int(floor_18 + 1))) == set()
    assert codes(s, dataclasses.replace(p, pay_per_month=int(floor_18 - 10))) == {"wage"}


def test_max_paid_age_is_the_wage_rule():
    start = date(2027, 3, 1)
    for pay in range(0, 4000, 37):
        limit = rules.max_paid_age("BBL", pay, 32.0, start)
        for age in range(15, 30):
            floor = rules.minimum_pay(age, start, 32.0)
            assert (age <= limit) == (floor is not None and rules.pay_meets(pay, floor))


def test_reasons_are_named_and_translatable():
    assert len({r.code for r in rules.ALL_REASONS}) == len(rules.ALL_REASONS)
    assert all(r.msgid == str(r) for r in rules.ALL_REASONS)


def test_nobody_under_fifteen_gets_a_bbl_contract_whatever_it_pays():
    s, p = pair(leerweg="BBL", hours_per_week=32.0, days_per_week=4, pay_per_month=3000)
    child = dataclasses.replace(s, leerweg="BBL", birth_date=date(p.start_date.year - 14, 1, 1))
    assert "wage" in codes(child, p)
    assert "wage" in codes(
        dataclasses.replace(child, birth_date=None),
        dataclasses.replace(p, wage_age=14, pay_per_month=100),
    )
    si, _pj = rules.candidate_pairs([child], [p], on=ON)
    assert len(si) == 0

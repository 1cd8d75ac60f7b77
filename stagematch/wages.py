"""The statutory minimum (youth) wage, from `data/minimum_wages.csv` (source and date in its header).

Since 2024 the Dutch minimum wage is an hourly amount, by age (15 to 21 and older). A BBL learner has
an employment contract, so the monthly wage offered must be at least hourly × hours per week × 52 / 12,
with the BBL scale (lower at 18–20, Besluit minimumjeugdloon).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

MINIMUM_WAGES_CSV = Path(__file__).parent / "data" / "minimum_wages.csv"
YOUNGEST, ADULT = 15, 21


@dataclass(frozen=True)
class MinimumWage:
    valid_from: date
    age: int
    hourly: float  # the BBL scale's hourly amount

    def monthly(self, hours_per_week: float) -> float:
        return self.hourly * hours_per_week * 52 / 12


@cache
def _table() -> tuple[MinimumWage, ...]:
    with MINIMUM_WAGES_CSV.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return tuple(
            sorted(
                (
                    MinimumWage(
                        date.fromisoformat(r["valid_from"]),
                        int(r["age"]),
                        float(r["bbl_hourly_eur"]),
                    )
                    for r in rows
                ),
                key=lambda w: (w.valid_from, w.age),
            )
        )


def minimum_wage(age: int, on: date) -> MinimumWage | None:
    """The BBL minimum wage for `age` in force on `on`; None below 15 (no employment contract)."""
    if age < YOUNGEST:
        return None
    age = min(age, ADULT)
    in_force = [w for w in _table() if w.valid_from <= on and w.age == age]
    return in_force[-1] if in_force else None


def table_date() -> date:
    """The latest valid_from in the table: shown so users know how current it is."""
    return _table()[-1].valid_from

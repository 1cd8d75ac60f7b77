"""Tightness of the labour market per occupation ("kansrijk beroep", issue 18 item 4).

The figures and their mapping to qualifications are shipped files (`data/tightness.csv`,
`data/tightness_qualifications.csv`; source and date in `data/tightness.md`), read once per process.
This is information for students and an explicit search option; it is never a feature of the match
model (tests/test_tightness.py checks that).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.matching.text import N_
from stagematch.models import Qualification

DATA = Path(__file__).resolve().parent.parent / "data"
FIGURES_CSV = DATA / "tightness.csv"
MAPPING_CSV = DATA / "tightness_qualifications.csv"
DEFAULT_REGION = "Overijssel"
TIGHT = 1.5  # more vacancies than job seekers (UWV)
VERY_TIGHT = 4.0

LABELS = {"very_tight": N_("zeer krap"), "tight": N_("krap"), "balanced": N_("in evenwicht")}


@dataclass(frozen=True)
class Tightness:
    occupation: str
    region: str
    figure: float | None  # vacancies per job seeker; None when the source gives only words
    figure_text: str  # the source's wording ("bijna 6", "13,3")
    period: str  # "2024-Q1"
    source: str

    @property
    def level(self) -> str:
        if self.figure is not None and self.figure > VERY_TIGHT:
            return "very_tight"
        if self.figure is not None and self.figure > TIGHT:
            return "tight"
        return "balanced"

    @property
    def label(self) -> str:
        """Dutch (a msgid: templates translate it with `_()`)."""
        return LABELS[self.level]

    @property
    def kansrijk(self) -> bool:
        return self.level != "balanced"


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@cache
def figures() -> dict[tuple[str, str], Tightness]:
    """(occupation, region) → figure."""
    result = {}
    for row in _rows(FIGURES_CSV):
        figure = float(row["figure"]) if row["figure"].strip() else None
        result[(row["occupation"], row["region"])] = Tightness(
            row["occupation"], row["region"], figure, row["figure_text"], row["period"],
            row["source"],
        )  # fmt: skip
    return result


@cache
def mapping() -> dict[tuple[str, str], str]:
    """(match, code) → occupation; match is 'crebo', 'dossier' or 'domain'."""
    return {(row["match"], row["code"]): row["occupation"] for row in _rows(MAPPING_CSV)}


def clear_cache() -> None:
    """For tests that swap the files."""
    figures.cache_clear()
    mapping.cache_clear()


def occupation_for(qualification: Qualification) -> str | None:
    table = mapping()
    for key in (
        ("crebo", qualification.crebo),
        ("dossier", qualification.dossier_crebo),
        ("domain", qualification.domain_name),
    ):
        if key in table:
            return table[key]
    return None


def for_qualification(
    qualification: Qualification | None, region: str | None = None
) -> Tightness | None:
    """The figure for the qualification's occupation: the region's row when the file has one,
    else the default region's; None when the qualification maps to no figure."""
    if qualification is None:
        return None
    occupation = occupation_for(qualification)
    if occupation is None:
        return None
    table = figures()
    if region and (occupation, region) in table:
        return table[(occupation, region)]
    return table.get((occupation, DEFAULT_REGION))


def best_of(qualifications) -> Tightness | None:
    """The highest figure among a place's qualifications (None: none of them has one)."""
    found = [t for t in (for_qualification(q) for q in qualifications) if t is not None]
    return max(found, key=lambda t: t.figure or 0.0, default=None)


def kansrijk_qualification_ids() -> dict[int, float]:
    """Ids of the qualifications with a kansrijk figure → the figure (the search's filter and
    sort). One small query over the register (a few hundred rows)."""
    result = {}
    for q in db.session.scalars(select(Qualification)):
        t = for_qualification(q)
        if t is not None and t.kansrijk:
            result[q.id] = t.figure or 0.0
    return result


def for_cards(placements) -> dict[int, Tightness]:
    """Each place's best kansrijk figure over its qualifications (result cards:
    `search.placements_for_cards` loads the qualifications with them), no query of its own."""
    return _best_kansrijk({p.id: p.qualifications for p in placements})


def _best_kansrijk(qualifications_of: dict[int, list[Qualification]]) -> dict[int, Tightness]:
    result: dict[int, Tightness] = {}
    for placement_id, qualifications in qualifications_of.items():
        for t in (for_qualification(q) for q in qualifications):
            if t is None or not t.kansrijk:
                continue
            best = result.get(placement_id)
            if best is None or (t.figure or 0.0) > (best.figure or 0.0):
                result[placement_id] = t
    return result

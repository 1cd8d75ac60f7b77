"""Reference data shipped with the code: mbo qualifications (crebo register) and the schools.

The qualifications come from `data/qualifications.csv`; its comment header names the source and date.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Qualification, School

DATA = Path(__file__).parent / "data"
QUALIFICATIONS_CSV = DATA / "qualifications.csv"


@dataclass(frozen=True)
class SchoolInfo:
    name: str
    city: str
    students: int  # approximate enrolment, for demo data (DOMAIN.md §4)


# mbo schools in Overijssel and around (figures from the provincial monitor, see DOMAIN.md §4).
SCHOOLS = (
    SchoolInfo("ROC van Twente", "Hengelo", 20_000),
    SchoolInfo("Deltion College", "Zwolle", 16_000),
    SchoolInfo("Aventus", "Deventer", 12_000),
    SchoolInfo("Landstede MBO", "Zwolle", 11_000),
    SchoolInfo("Cibap", "Zwolle", 1_800),
)


@cache
def qualification_rows() -> tuple[dict, ...]:
    with QUALIFICATIONS_CSV.open(encoding="utf-8", newline="") as f:
        lines = (line for line in f if not line.startswith("#"))
        return tuple(csv.DictReader(lines))


@cache
def sectors() -> tuple[str, ...]:
    """Sectors are the opleidingsdomeinen of the register, in their official order; a company's
    sector then lines up with the qualifications it trains for."""
    seen: dict[str, int] = {}
    for row in qualification_rows():
        number = int(row["domain_number"]) if row["domain_number"] else 99
        seen.setdefault(row["domain_name"], number)
    return tuple(sorted(seen, key=lambda name: (seen[name], name)))


def load_qualifications() -> int:
    """Insert the qualifications that are not in the database yet; returns how many were added."""
    existing = set(db.session.scalars(select(Qualification.crebo)))
    added = 0
    for row in qualification_rows():
        if row["crebo"] in existing:
            continue
        db.session.add(
            Qualification(
                crebo=row["crebo"],
                name=row["name"],
                level=int(row["level"]),
                leerwegen=row["leerweg"],
                dossier_crebo=row["dossier_crebo"],
                dossier_name=row["dossier_name"],
                domain_number=int(row["domain_number"]) if row["domain_number"] else None,
                domain_name=row["domain_name"],
                kind=row["kind"] or "",
            )
        )
        existing.add(row["crebo"])
        added += 1
    return added


def load_schools() -> int:
    existing = set(db.session.scalars(select(School.name)))
    missing = [s for s in SCHOOLS if s.name not in existing]
    db.session.add_all(School(name=s.name, city=s.city) for s in missing)
    return len(missing)


def load_reference_data() -> tuple[int, int]:
    """Idempotent: safe to run on every start."""
    result = load_qualifications(), load_schools()
    db.session.commit()
    return result

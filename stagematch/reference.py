"""Reference data shipped with the code: mbo qualifications (crebo register) and the schools.

The qualifications come from `data/qualifications.csv`; its comment header names the source and date.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Qualification, School

DATA = Path(__file__).parent / "data"
QUALIFICATIONS_CSV = DATA / "qualifications.csv"
SCHOOLS_CSV = DATA / "schools.csv"  # source and date: data/schools.md
WORK_PROCESSES_CSV = DATA / "work_processes.csv"  # sources: data/work_processes.md
GENERIC_DOSSIER = ""  # the rows of the generic list (for dossiers without shipped work processes)


# --- per-process caches of lists that only `flask load-reference` changes --------------------------
# Pages and forms read the qualifications and schools on almost every request; they change when
# the reference data is loaded. That command (and any code that changes them) calls
# `invalidate()`; other worker processes notice within CACHE_SECONDS.
CACHE_SECONDS = 300.0
_cached: dict[tuple[str, str], tuple[float, object]] = {}
T = TypeVar("T")


def cached(build: Callable[[], T]) -> Callable[[], T]:
    """Per process and database: `build()` once, again after `invalidate()` or CACHE_SECONDS.
    The value is shared by every request: return immutable things (tuples, strings)."""
    name = f"{build.__module__}.{build.__qualname__}"

    @wraps(build)
    def get() -> T:
        key = (name, str(db.engine.url))
        now = time.monotonic()
        hit = _cached.get(key)
        if hit is None or now - hit[0] >= CACHE_SECONDS:
            hit = _cached[key] = (now, build())
        return hit[1]  # type: ignore[return-value]

    return get


def invalidate() -> None:
    """Forget the cached reference lists of this process (after they changed)."""
    _cached.clear()


@cached
def school_rows_by_province() -> tuple[tuple[int, str, str | None], ...]:
    """(id, name, province) of every school, by province (none last), then name."""
    rows = db.session.execute(select(School.id, School.name, School.province)).all()
    rows.sort(key=lambda r: (r.province is None, r.province or "", r.name.lower()))
    return tuple((r.id, r.name, r.province) for r in rows)


@cached
def qualification_labels() -> tuple[str, ...]:
    """Every qualification's label ("25180 Kok (niveau 2)"), by name. Read as plain rows, not ORM
    objects: loading ~500 objects took most of the pages' time."""
    rows = db.session.execute(
        select(Qualification.crebo, Qualification.name, Qualification.level).order_by(
            Qualification.name
        )
    )
    return tuple(Qualification.label.fget(row) for row in rows)  # the label needs these three


@dataclass(frozen=True)
class SchoolInfo:
    name: str
    city: str
    students: int  # approximate enrolment, for demo data (DOMAIN.md §4)


# Enrolment of the Overijssel schools (provincial monitor, DOMAIN.md §4), for the demo's weights;
# the full register of institutions is `data/schools.csv` (`school_rows`).
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


@cache
def school_rows() -> tuple[dict, ...]:
    """The register of mbo institutions (`data/schools.csv`; source and date in schools.md)."""
    with SCHOOLS_CSV.open(encoding="utf-8", newline="") as f:
        lines = (line for line in f if not line.startswith("#"))
        return tuple(csv.DictReader(lines))


def _register_values(row: dict) -> dict:
    return {
        "brin": row["brin"].strip() or None,
        "kind": row["kind"],
        "province": row["province"],
        "lat": float(row["lat"]),
        "lon": float(row["lon"]),
        "website": row["website"] or None,
    }


def load_schools() -> int:
    """Add the register's institutions that are missing (by name) and give the existing ones the
    register's columns (BRIN, kind, province, location, website); returns how many were added.
    Idempotent; a school's own town (`city`) is left as it is."""
    existing = {s.name: s for s in db.session.scalars(select(School))}
    # The first version's five schools first, in their old order (stable ids for old databases).
    first = {s.name: i for i, s in enumerate(SCHOOLS)}
    rows = sorted(school_rows(), key=lambda r: first.get(r["name"], len(first)))
    added = 0
    for row in rows:
        values = _register_values(row)
        school = existing.get(row["name"])
        if school is None:
            db.session.add(School(name=row["name"], city=row["town"], **values))
            added += 1
            continue
        for column, value in values.items():
            if value is not None and getattr(school, column) != value:
                setattr(school, column, value)
    return added


@cache
def work_process_rows() -> tuple[dict, ...]:
    """The shipped work processes (or kerntaken) per dossier, in the dossier's order."""
    with WORK_PROCESSES_CSV.open(encoding="utf-8", newline="") as f:
        lines = (line for line in f if not line.startswith("#"))
        return tuple(csv.DictReader(lines))


def load_work_processes(dossier_crebo: str | None = None) -> int:
    """Insert the shipped work processes not in the database yet (of one dossier, or all);
    returns how many were added. The caller commits."""
    from stagematch.models import WorkProcess

    stmt = select(WorkProcess.dossier_crebo, WorkProcess.code)
    if dossier_crebo is not None:
        stmt = stmt.where(WorkProcess.dossier_crebo == dossier_crebo)
    existing = set(db.session.execute(stmt).tuples())
    added = 0
    for position, row in enumerate(work_process_rows()):
        key = (row["dossier_crebo"], row["code"])
        if key in existing or (dossier_crebo is not None and key[0] != dossier_crebo):
            continue
        db.session.add(WorkProcess(dossier_crebo=key[0], code=key[1], title=row["title"],
                                   position=position))  # fmt: skip
        existing.add(key)
        added += 1
    return added


def load_reference_data() -> tuple[int, int]:
    """Idempotent: safe to run on every start."""
    result = load_qualifications(), load_schools()
    load_work_processes()  # not counted: the CLI reports qualifications and schools
    db.session.commit()
    invalidate()
    return result

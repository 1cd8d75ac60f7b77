"""Benchmark: the search in SQL (issue 20, item 2) against the former Python path, on a demo that
is already in the database (build it first, as in the README):

    DATABASE_URL=postgresql+psycopg://… .venv/bin/flask --app stagematch db upgrade
    DATABASE_URL=postgresql+psycopg://… .venv/bin/flask --app stagematch demo \\
        --students 60000 --companies 12500 --places 20000 --seed 1
    .venv/bin/python bench/search_bench.py --database-url postgresql+psycopg://… [--sample 150]

Prints single-client p50/p95 of `services.search.search` ("after") and of the former path
(`reference_search` in tests/test_search_sql.py: every candidate fetched, distances and order in
Python; "before") for the same searches, interleaved: everything within 25 km of a town (box), a
student's own search by distance (town),
a word with a town and a 25 km radius (words), and the student's ranked list (relevance: the same
ranker in both, so the difference is the candidate query). Then "open places near me in my
qualification" through the partial index of open places against a small table of open places
(built here as a temporary table): the alternative the brief asked to measure. Nothing is
written to the database."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sample", type=int, default=150)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("STAGEMATCH_INSTANCE", tempfile.mkdtemp(prefix="stagematch-bench-"))

    from sqlalchemy import func, select, text

    from stagematch import create_app, geo
    from stagematch.extensions import db
    from stagematch.models import Placement, StudentProfile
    from stagematch.models.enums import PlacementStatus
    from stagematch.ranking import make_ranker, profile_filters
    from stagematch.services.search import SearchFilters, search
    from tests.test_search_sql import reference_search

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": args.database_url})
    with app.app_context(), app.test_request_context():
        students = db.session.scalar(select(func.count(StudentProfile.id)))
        places = db.session.scalar(select(func.count(Placement.id)))
        print(f"{db.engine.dialect.name}: {students:,} students, {places:,} places")
        rng = random.Random(args.seed)
        ids = list(
            db.session.scalars(select(StudentProfile.id).where(StudentProfile.city.is_not(None)))
        )
        titles = list(
            db.session.scalars(
                select(Placement.title).where(Placement.status == PlacementStatus.OPEN).limit(2000)
            )
        )
        words = sorted({w.lower() for t in titles for w in t.split() if len(w) >= 5})
        times: dict[tuple[str, str], list[float]] = {}
        rows_before: list[int] = []
        for profile_id in rng.sample(ids, min(args.sample, len(ids))):
            profile = db.session.get(StudentProfile, profile_id)
            own = profile_filters(profile)
            if own.town is None:
                continue
            ranker = make_ranker(profile)
            kinds = {
                # Anyone's search around the student's town: every open place within 25 km.
                "box": (SearchFilters(town=own.town, radius_km=25, sort="distance"), None),
                "town": (SearchFilters(**{**own.__dict__, "sort": "distance"}), None),
                "words": (
                    SearchFilters(
                        q=rng.choice(words), town=own.town, radius_km=25, sort="distance"
                    ),
                    None,
                ),
                "relevance": (own, ranker),
            }
            for kind, (filters, rk) in kinds.items():
                order = [("after", search), ("before", reference_search)]
                rng.shuffle(order)
                for label, fn in order:
                    ms, page = timed(lambda fn=fn, f=filters, r=rk: fn(f, per_page=20, ranker=r))
                    times.setdefault((kind, label), []).append(ms)
                    if kind == "box" and label == "before":
                        rows_before.append(page.total)
                db.session.rollback()
        print(f"searches per kind: {len(times.get(('town', 'after'), []))}; "
              f"median places within 25 km (box): {statistics.median(rows_before):.0f}")  # fmt: skip
        for kind in ("box", "town", "words", "relevance"):
            b, a = times[(kind, "before")], times[(kind, "after")]
            print(
                f"search {kind:9} before p50 {percentile(b, 0.5):7.2f} ms p95 {percentile(b, 0.95):7.2f} ms"
                f" | after p50 {percentile(a, 0.5):7.2f} ms p95 {percentile(a, 0.95):7.2f} ms"
                f" | {percentile(b, 0.5) / percentile(a, 0.5):4.1f}x at p50"
            )
        if db.engine.dialect.name == "postgresql":
            open_places_query(db, text, rng, geo)


def open_places_query(db, text, rng, geo) -> None:
    """Open places of a qualification and leerweg in a 25 km box: the partial index of open
    places joined to the place's qualifications, against a small table of open places."""
    conn = db.session.connection()
    conn.execute(text("""
        CREATE TEMPORARY TABLE open_place AS
        SELECT pq.qualification_id, p.leerweg, p.lat, p.lon, p.id AS placement_id
        FROM placement p JOIN placement_qualification pq ON pq.placement_id = p.id
        WHERE p.status = 'open'"""))  # fmt: skip
    conn.execute(text("CREATE INDEX ON open_place (qualification_id, leerweg, lat, lon)"))
    conn.execute(text("ANALYZE open_place"))
    pairs = conn.execute(text("SELECT DISTINCT qualification_id, leerweg FROM open_place")).all()
    partial = text("""
        SELECT count(*) FROM placement p JOIN placement_qualification pq ON pq.placement_id = p.id
        WHERE p.status = 'open' AND pq.qualification_id = :q AND p.leerweg = :l
          AND p.lat BETWEEN :lat0 AND :lat1 AND p.lon BETWEEN :lon0 AND :lon1""")  # fmt: skip
    table = text("""
        SELECT count(*) FROM open_place WHERE qualification_id = :q AND leerweg = :l
          AND lat BETWEEN :lat0 AND :lat1 AND lon BETWEEN :lon0 AND :lon1""")  # fmt: skip
    towns = list(geo.towns().values())
    results = {"partial index": [], "small table": []}
    for _ in range(300):
        q, leerweg = rng.choice(pairs)
        town = rng.choice(towns)
        box = {"q": q, "l": leerweg, "lat0": town.lat - 0.23, "lat1": town.lat + 0.23,
               "lon0": town.lon - 0.37, "lon1": town.lon + 0.37}  # fmt: skip
        for name, statement in (("partial index", partial), ("small table", table)):
            ms, _ = timed(lambda s=statement, b=box: conn.execute(s, b).scalar())
            results[name].append(ms)
    for name, values in results.items():
        print(
            f"open places near me in my qualification via {name:13}: "
            f"p50 {percentile(values, 0.5):.2f} ms p95 {percentile(values, 0.95):.2f} ms"
        )
    db.session.rollback()


if __name__ == "__main__":
    main()

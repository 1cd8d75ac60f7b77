"""The search in SQL (issue 20) against the search it replaced: on a small generated demo, about
fifty varied searches (towns, radii, qualifications, leerwegen, sort orders, pages, national
places, "Heel Nederland", a student's own rules, the ranker) give the same places in the same order
with the same totals and distances as the former Python path, kept here as `reference_search`
(it is no longer in the app; `bench/search_bench.py` times both).

Intended differences, asserted below:
- Ties: the former path sorted in Python and kept the database's row order among equal keys; the
  SQL orders by the place id last. The reference sorts its rows by id first, which makes it
  deterministic with the same tie-break.
- Words: full-text search instead of ILIKE. A word must begin a word of the title, the tasks or
  the company's name (ILIKE also matched inside words); on PostgreSQL the `dutch` configuration
  stems ("lassen" finds "lasser") and ignores stop words ("de"); SQLite's FTS5 does not stem.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re

import pytest
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from stagematch import geo
from stagematch.demo import generate
from stagematch.extensions import db
from stagematch.models import Company, Placement, Qualification, StudentProfile
from stagematch.models.enums import PlacementStatus
from stagematch.services import search as search_module
from stagematch.services import tightness
from stagematch.services.capacity import with_room
from stagematch.services.eligibility import search_condition
from stagematch.services.search import SearchFilters, SearchPage, search

# --- the former Python path, as it was before issue 20 (ILIKE words, sorting in Python) ---------


def _reference_statement(filters: SearchFilters):
    from stagematch.models import Placement as P

    stmt = search_module.filtered_statement(dataclasses.replace(filters, q=""))
    for word in filters.q.split()[:6]:
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            or_(P.title.ilike(pattern), P.tasks.ilike(pattern), Company.name.ilike(pattern))
        )
    condition, values = search_condition(filters.student)
    if db.engine.dialect.name != "postgresql":
        return stmt.where(condition), values
    candidates = stmt.cte("candidates").prefix_with("MATERIALIZED")
    return select(candidates).join(P, P.id == candidates.c.id).where(condition), values


def reference_search(filters: SearchFilters, *, per_page: int = 20, ranker=None) -> SearchPage:
    """`services.search.search` before issue 20: every candidate fetched, distances, the radius,
    the room check and the order in Python, then the page cut."""
    statement, values = _reference_statement(filters)
    # The one change: ties in the old sorts kept the database's row order; the id decides now.
    rows = sorted(db.session.execute(statement, values).all(), key=lambda r: r.id)
    distances: dict[int, float | None] = {}
    inside = []
    for row in rows:
        distance = None
        if filters.town is not None:
            distance = geo.distance_km(filters.town.lat, filters.town.lon, row.lat, row.lon)
            limited = filters.radius_km and not filters.anywhere and not row.national
            if limited and distance > filters.radius_km:
                continue
        distances[row.id] = distance
        inside.append(row)
    room = with_room([row.id for row in inside])
    kept = [row for row in inside if row.id in room]
    sort = filters.sort
    scores: dict[int, tuple[float, str]] = {}
    ranked: list[tuple[int, float]] = []
    if sort == "relevance" and ranker is not None and kept:
        kept.sort(key=lambda r: (distances[r.id] or 0.0, r.start_date))
        limit = search_module.RANK_LIMIT
        head, tail = kept[:limit], kept[limit:]
        scores = ranker([r.id for r in head])
        beyond = [r for r in head if r.id not in scores] if filters.anywhere else []
        head = [r for r in head if r.id in scores]
        head.sort(key=lambda r: (-scores.get(r.id, (0.0, ""))[0], distances[r.id] or 0.0))
        kept = head + beyond + tail
        ranked_by = "model" if getattr(ranker, "is_model", False) else "rule"
        ranked = [(r.id, scores[r.id][0]) for r in head]
    elif sort == "pay":
        kept.sort(key=lambda r: (-r.pay_per_month, r.start_date))
        ranked_by = "pay"
    elif sort == "kansrijk":
        tight = tightness.for_cards(
            db.session.scalars(select(Placement).where(Placement.id.in_([r.id for r in kept])))
        )
        kept.sort(key=lambda r: (-(tight[r.id].figure or 0.0) if r.id in tight else 0.0,
                                 distances[r.id] or 0.0, r.start_date, r.id))  # fmt: skip
        ranked_by = "kansrijk"
    elif sort == "start":
        kept.sort(key=lambda r: (r.start_date, r.id))
        ranked_by = "start"
    elif filters.town is not None:
        kept.sort(key=lambda r: (distances[r.id], r.start_date))
        ranked_by = "distance"
    else:
        kept.sort(key=lambda r: (r.start_date, r.id))
        ranked_by = "start"
    total = len(kept)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    window = kept[(page - 1) * per_page : page * per_page]
    by_id = {
        p.id: p
        for p in db.session.scalars(
            select(Placement)
            .where(Placement.id.in_([r.id for r in window]))
            .options(
                joinedload(Placement.company),
                joinedload(Placement.meester),
                joinedload(Placement.gezel),
            )
        )
    }
    hits = [
        search_module.Hit(by_id[r.id], distances[r.id], *(scores.get(r.id, (None, None))))
        for r in window
    ]
    tight = tightness.for_cards([h.placement for h in hits])
    for hit in hits:
        hit.tightness = tight.get(hit.placement.id)
    result = SearchPage(hits, total, page, per_page, ranked_by)
    few = total < search_module.FEW_NEARBY and filters.radius_km and not filters.anywhere
    if few and filters.qualification is not None:
        everywhere = dataclasses.replace(filters, anywhere=True)
        statement, values = _reference_statement(everywhere)
        result.nationwide = len(with_room([r.id for r in db.session.execute(statement, values)]))
    if ranked_by in ("model", "rule"):
        result.ranked = ranked
    return result


# --- comparing --------------------------------------------------------------------------------


def _summary(page: SearchPage) -> dict:
    return {
        "ids": [h.placement.id for h in page.hits],
        "distances": [h.distance_km for h in page.hits],
        "scores": [h.score for h in page.hits],
        "tightness": [h.tightness for h in page.hits],
        "total": page.total,
        "page": page.page,
        "ranked_by": page.ranked_by,
        "ranked": page.ranked,
        "nationwide": page.nationwide,
    }


def assert_same(filters: SearchFilters, *, per_page: int = 20, ranker=None) -> SearchPage:
    new = search(filters, per_page=per_page, ranker=ranker, nationwide=True)
    old = reference_search(filters, per_page=per_page, ranker=ranker)
    assert _summary(new) == _summary(old), filters
    return new


@pytest.fixture
def demo(app):
    """Places over the whole country (national ones among them), students with profiles."""
    generate(students=300, companies=220, places=700, seed=20, history=False)
    db.session.expire_all()


def _open_places() -> list[Placement]:
    return list(
        db.session.scalars(
            select(Placement).where(Placement.status == PlacementStatus.OPEN).order_by(Placement.id)
        )
    )


def _varied_searches() -> list[tuple[SearchFilters, int]]:
    """About fifty searches built from the demo's own towns and qualifications."""
    rng = random.Random(20)
    places = _open_places()
    towns = []
    for p in places:
        town = geo.find_town(p.city)
        if town is not None and town not in towns:
            towns.append(town)
    quals = [q for p in places[:80] for q in p.qualifications]
    sorts = ["relevance", "distance", "pay", "start", "kansrijk"]
    searches: list[tuple[SearchFilters, int]] = [
        (SearchFilters(), 20),
        (SearchFilters(sort="pay", page=2), 20),
        (SearchFilters(sort="start", page=99), 20),  # beyond the last page: the last page
        (SearchFilters(sort="kansrijk"), 50),
        (SearchFilters(kansrijk=True, sort="kansrijk"), 20),
        (SearchFilters(town=towns[0], radius_km=25, anywhere=True, sort="distance", page=3), 10),
    ]
    for i in range(44):
        town = rng.choice(towns[:12])
        filters = SearchFilters(
            town=town if i % 9 else None,
            radius_km=rng.choice([5, 10, 25, 40, 100]) if i % 9 else None,
            sort=sorts[i % len(sorts)],
            page=rng.choice([1, 1, 2, 3]),
            anywhere=i % 7 == 3,  # "Heel Nederland"
        )
        if i % 3 == 0:
            filters.qualification = rng.choice(quals)
        if i % 4 == 1:
            filters.leerweg = rng.choice(["BOL", "BBL"])
        if i % 11 == 5:
            filters.min_pay = 400
        if i % 13 == 6:
            filters.level = rng.choice([2, 3, 4])
        searches.append((filters, rng.choice([5, 10, 20])))
    return searches


def test_fifty_searches_give_the_same_places_in_the_same_order(demo):
    searches = _varied_searches()
    assert len(searches) == 50
    nonempty = national_shown = beyond_radius = 0
    for filters, per_page in searches:
        page = assert_same(filters, per_page=per_page)
        nonempty += bool(page.hits)
        national_shown += any(h.placement.national for h in page.hits)
        beyond_radius += any(
            filters.radius_km and (h.distance_km or 0) > filters.radius_km for h in page.hits
        )
    # The comparison means something: most searches find places, national ones and places
    # beyond the radius (Heel Nederland, landelijk) among them.
    assert nonempty >= 35
    assert national_shown >= 1
    assert beyond_radius >= 1


def test_a_students_own_search_and_the_ranker_agree_with_the_former_path(demo, monkeypatch):
    from stagematch.ranking import make_ranker, profile_filters

    profiles = list(db.session.scalars(select(StudentProfile).order_by(StudentProfile.id)))[:40]
    compared = ranked = 0
    for profile in profiles:
        ranker = make_ranker(profile)
        if ranker is None:
            continue
        filters = profile_filters(profile)
        for anywhere, page, limit in ((False, 1, 300), (True, 1, 300), (False, 2, 4), (True, 3, 4)):
            # A small RANK_LIMIT: the places after the ranked ones follow by distance.
            monkeypatch.setattr(search_module, "RANK_LIMIT", limit)
            f = dataclasses.replace(filters, anywhere=anywhere, page=page)
            result = assert_same(f, per_page=3, ranker=ranker)
            ranked += bool(result.ranked)
            compared += 1
        if compared >= 40:
            break
    assert compared >= 20 and ranked >= 10


def test_a_fake_ranker_that_leaves_places_out(demo, monkeypatch):
    """Places the ranker does not score drop out (or follow, with Heel Nederland)."""

    def ranker(ids):
        return {i: ((i * 7919) % 101 / 100, "regel") for i in ids if i % 4}

    town = geo.find_town(_open_places()[0].city)
    for limit in (300, 7):
        monkeypatch.setattr(search_module, "RANK_LIMIT", limit)
        for anywhere in (False, True):
            for page in (1, 2, 4):
                f = SearchFilters(town=town, radius_km=50, anywhere=anywhere, page=page)
                assert_same(f, per_page=5, ranker=ranker)
    assert_same(SearchFilters(q="bestaatnietxyz"), ranker=ranker)  # nothing to rank


# --- words: full-text search --------------------------------------------------------------------


def _begins_a_word(text: str, term: str) -> bool:
    return any(t.startswith(term.lower()) for t in re.findall(r"[^\W_]+", text.lower()))


def test_words_find_what_ilike_found_when_the_word_begins_a_word(demo):
    """For every word the former ILIKE results that have the word at the start of a word, or
    anywhere in the title, are found, in the same order; what ILIKE found only inside a word of
    the tasks or the company name is not. SQLite finds nothing
    else; PostgreSQL may find more by stemming (counted, not listed)."""
    places = _open_places()
    words = sorted({w.lower() for p in places[:60] for w in re.findall(r"[^\W\d_]{5,}", p.title)})
    words = random.Random(5).sample(words, min(12, len(words)))
    words += [places[0].company.name.split()[0], "zorg", "Zorg techniek"]
    postgres = db.engine.dialect.name == "postgresql"
    infix_only = 0
    for q in words:
        f = SearchFilters(q=q, sort="start")
        old = reference_search(f, per_page=10_000).hits
        new = [h.placement.id for h in search(f, per_page=10_000).hits]

        def found(hit, q=q):
            p = hit.placement
            texts = (p.title, p.tasks, p.company.name)
            return all(
                w.lower() in p.title.lower() or any(_begins_a_word(t, w) for t in texts)
                for w in q.split()
            )

        expected = [h.placement.id for h in old if found(h)]
        infix_only += len(old) - len(expected)
        if postgres:
            assert [i for i in new if i in set(expected)] == expected, q
        else:
            assert new == expected, q
    assert infix_only >= 0


def _place_titled(title: str, tasks: str = "") -> Placement:
    place = _open_places()[0]
    place.title, place.tasks = title, tasks
    db.session.commit()
    return place


def _found(q: str) -> set[int]:
    return {h.placement.id for h in search(SearchFilters(q=q), per_page=10_000).hits}


def test_full_text_index_follows_the_places_and_companies(demo):
    place = _place_titled("Kwartelfokker in opleiding", "eieren rapen")
    assert place.id in _found("kwartelfok")  # a prefix
    assert place.id in _found("KWARTELFOKKER eieren")  # every word, any field, any case
    assert place.id not in _found("kwartelfokker zwaardvis")
    assert place.id in _found("telfok")  # inside a word of the title (Dutch compounds)
    assert place.id not in _found("apen")  # inside a word of the tasks: no ("eieren rapen")
    place.title = "Zwaardvisser"
    db.session.commit()
    assert place.id not in _found("kwartelfokker")
    assert place.id in _found("zwaardvis")
    db.session.execute(
        update(Company).where(Company.id == place.company_id).values(name="Ooievaarshoeve BV")
    )
    db.session.commit()
    assert place.id in _found("ooievaarshoeve")
    db.session.delete(db.session.get(Placement, place.id))
    db.session.commit()
    assert _found("zwaardvis") == set()


def test_dutch_stemming_on_postgresql_and_prefixes_on_both(demo):
    """What the `dutch` configuration does (documented in services/search.py)."""
    lasser = _place_titled("Lasser constructiewerk", "")
    assert lasser.id in _found("lass")  # a prefix finds it on both databases
    assert lasser.id in _found("lasser")
    if db.engine.dialect.name == "postgresql":
        assert lasser.id in _found("lassen")  # stemmed: lassen → lass, lasser begins with it
        assert lasser.id in _found("de lasser")  # a stop word is ignored, as ILIKE nearly did
    else:
        assert lasser.id not in _found("lassen")  # FTS5 (unicode61) does not stem


def test_a_search_beyond_the_last_page_shows_the_last_page(demo):
    first = search(SearchFilters(sort="start"), per_page=7)
    last = search(SearchFilters(sort="start", page=10_000), per_page=7)
    assert last.page == math.ceil(first.total / 7) and last.hits
    empty = search(SearchFilters(q="bestaatnietxyz", page=3))
    assert (empty.total, empty.page, empty.hits) == (0, 1, [])


def test_qualification_search_counts_the_whole_country_when_few_are_near(demo):
    place = _open_places()[0]
    qualification = db.session.get(Qualification, place.qualifications[0].id)
    town = geo.find_town("Vaals") or geo.find_town(place.city)
    page = assert_same(SearchFilters(qualification=qualification, town=town, radius_km=1))
    assert page.total < search_module.FEW_NEARBY and page.nationwide is not None
    # Only the search page shows that count: the home page and the API do not pay for it.
    quiet = search(SearchFilters(qualification=qualification, town=town, radius_km=1))
    assert quiet.nationwide is None

"""Searching places: the filters of the search page and the API, in one place.

Distance is between town centres. The database does the work (issue 20): it narrows by a bounding
box around the search town (the partial index of open places), computes the great-circle distance
(`geo.distance_km`: registered as `sm_distance_km` on SQLite, the same formula in SQL on
PostgreSQL), applies the radius, the eligibility rules and the room check, orders, and returns one
page (or the RANK_LIMIT nearest candidates for the ranker) with the total count. The distances
shown are computed in Python for the page's places.

Words are found by the full-text indexes of the migration `c3f75ear4ch1`: each word (its letters
and digits) must begin a word of the place's title or tasks or of the company's name. PostgreSQL
uses the `dutch` configuration: the word is stemmed before the prefix match, so "lassen" finds
"lasser" and "lassers", and Dutch stop words ("de", "en", "van") are ignored. SQLite (FTS5,
unicode61) does not stem: "lassen" finds "lassen" and "lassenaar", not "lasser"; "lass" finds all
three in both. Inside a word, a term is found only in the title, where Dutch compounds name the
job ("kok" finds "Hulpkok", as ILIKE did); in the tasks and the company name it must begin a word
("pleeg" no longer finds "verpleeghuis" in the tasks). Accents are folded on SQLite ("cafe" finds
"café").
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import (
    ARRAY,
    Date,
    Float,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import joinedload, selectinload

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Company,
    Placement,
    Qualification,
    StudentProfile,
    placement_qualification,
)
from stagematch.pagination import RowPage
from stagematch.services import tightness
from stagematch.services.capacity import place_has_room_clause
from stagematch.services.eligibility import search_condition, student_prefilter
from stagematch.services.placements import visible_in_search_clause
from stagematch.timeutil import today

MAX_RADIUS_KM = 300
FEW_NEARBY = 10  # fewer places than this within the radius: suggest searching the whole country
RANK_LIMIT = 300  # candidates the match model orders per request


@dataclass
class SearchFilters:
    q: str = ""
    leerweg: str | None = None
    qualification: Qualification | None = None  # equivalent crebos of the same dossier count too
    level: int | None = None
    town: geo.Town | None = None
    radius_km: int | None = None
    sector: str | None = None
    min_pay: int | None = None
    start_from: date | None = None
    start_to: date | None = None
    bbl_days: int | None = None
    # "Heel Nederland": no distance limit (distances from `town` are still shown). Without it,
    # national places ("landelijk") are found beyond the radius all the same.
    anywhere: bool = False
    # "Alleen kansrijke beroepen" (issue 18): only places for a qualification whose occupation is
    # tight (services.tightness). An explicit option of the student, never part of the ranking.
    kansrijk: bool = False
    # "Ook voor zij-instromers" (issue 18): only BBL places that say so.
    for_switchers: bool = False
    sort: str = "relevance"
    page: int = 1
    # The student who searches: only places the eligibility rules allow for them (distance is
    # the search's own radius). Without one, the rules that hold for every student.
    student: StudentProfile | None = None


@dataclass
class Hit:
    placement: Placement
    distance_km: float | None
    score: float | None = None
    label: str | None = None
    reasons: list[str] = field(default_factory=list)
    sqi: float | None = None
    # The place's best "kansrijk beroep" figure, if any (shown on the card; never ranked on).
    tightness: tightness.Tightness | None = None


@dataclass
class SearchPage(RowPage):
    """A page of hits; pagination as every other list in the site."""

    ranked_by: str = "start"  # "model", "rule", "distance", "pay", "start"
    # Ranked by relevance: every scored candidate as (placement id, score), best first (the log).
    ranked: list[tuple[int, float]] = field(default_factory=list)
    # Few places within the radius: how many the whole country has (else None).
    nationwide: int | None = None

    @property
    def hits(self) -> list[Hit]:
        return self.items


def equivalent_qualification_ids(qualification: Qualification) -> list[int]:
    """The qualification and the others of its dossier (e.g. Kok and Zelfstandig werkend kok)."""
    return list(
        db.session.scalars(
            select(Qualification.id).where(
                Qualification.dossier_crebo == qualification.dossier_crebo
            )
        )
    )


def _bounding_box(town: geo.Town, radius_km: float):
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * max(0.1, math.cos(math.radians(town.lat))))
    return and_(
        Placement.lat.between(town.lat - dlat, town.lat + dlat),
        Placement.lon.between(town.lon - dlon, town.lon + dlon),
    )


def filtered_statement(filters: SearchFilters):
    """SELECT of the columns needed to order candidates, with every SQL-expressible filter."""
    stmt = (
        select(
            Placement.id,
            Placement.lat,
            Placement.lon,
            Placement.pay_per_month,
            Placement.start_date,
            Placement.published_at,
            Placement.national,
        )  # fmt: skip
        .join(Company, Company.id == Placement.company_id)
        .where(visible_in_search_clause())
    )
    if filters.leerweg:
        stmt = stmt.where(Placement.leerweg == filters.leerweg)
    if filters.qualification is not None:
        # The dossier's qualifications in SQL (as `equivalent_qualification_ids`): one query less,
        # and the same SQL text for every qualification (psycopg prepares it).
        dossier = select(Qualification.id).where(
            Qualification.dossier_crebo == filters.qualification.dossier_crebo
        )
        stmt = stmt.where(
            Placement.id.in_(
                select(placement_qualification.c.placement_id).where(
                    placement_qualification.c.qualification_id.in_(dossier)
                )
            )
        )
    if filters.level:
        stmt = stmt.where(Placement.level == filters.level)
    if filters.kansrijk:
        stmt = stmt.where(
            Placement.id.in_(
                select(placement_qualification.c.placement_id).where(
                    placement_qualification.c.qualification_id.in_(
                        list(tightness.kansrijk_qualification_ids())
                    )
                )
            )
        )
    if filters.for_switchers:
        stmt = stmt.where(Placement.for_switchers.is_(True), Placement.leerweg == "BBL")
    if filters.sector:
        stmt = stmt.where(Company.sector == filters.sector)
    if filters.min_pay is not None:
        stmt = stmt.where(Placement.pay_per_month >= filters.min_pay)
    if filters.start_from:
        stmt = stmt.where(Placement.start_date >= filters.start_from)
    if filters.start_to:
        stmt = stmt.where(Placement.start_date <= filters.start_to)
    if filters.bbl_days:
        stmt = stmt.where(Placement.days_per_week == filters.bbl_days)
    if filters.town is not None and filters.radius_km and not filters.anywhere:
        stmt = stmt.where(or_(_bounding_box(filters.town, filters.radius_km), Placement.national))
    for term in word_terms(filters.q):
        stmt = stmt.where(_words_clause(term))
    return stmt


# The documents of the full-text indexes, written exactly as in the migration (PostgreSQL uses an
# expression index only for the same expression).
PG_PLACEMENT_DOCUMENT = (
    "to_tsvector('dutch'::regconfig,"
    " translate((placement.title || ' ') || placement.tasks, '/.@:', '    '))"
)
PG_COMPANY_DOCUMENT = "to_tsvector('dutch'::regconfig, translate(company.name, '/.@:', '    '))"


def word_terms(q: str) -> list[str]:
    """The terms searched for: the letters and digits of the first six words (a word like
    "zorg-medewerker" gives two terms); on PostgreSQL without the Dutch stop words."""
    terms = [t for word in q.split()[:6] for t in re.findall(r"[^\W_]+", word)]
    if db.engine.dialect.name == "postgresql":
        terms = [t for t in terms if _has_lexemes(t.lower())]
    return terms


@functools.lru_cache(maxsize=4096)
def _has_lexemes(term: str) -> bool:
    """False for a Dutch stop word, which the dutch configuration drops (an empty query would
    match nothing; ILIKE matched nearly everything)."""
    query = func.numnode(func.to_tsquery(literal_column("'dutch'::regconfig"), f"'{term}':*"))
    return bool(db.session.scalar(select(query)))


_PLACEMENT_FTS = table("placement_fts", column("rowid"))
_COMPANY_FTS = table("company_fts", column("rowid"))


def _words_clause(term: str):
    """SQL: the term begins a word of the place's title or tasks or of its company's name, or
    appears anywhere in the title (a part of a compound word)."""
    if db.engine.dialect.name == "postgresql":
        query = func.to_tsquery(literal_column("'dutch'::regconfig"), f"'{term}':*")
        in_place = select(Placement.id).where(literal_column(PG_PLACEMENT_DOCUMENT).op("@@")(query))
        in_company = select(Company.id).where(literal_column(PG_COMPANY_DOCUMENT).op("@@")(query))
    else:
        query = f'"{term}"*'
        in_place, in_company = (
            select(fts.c.rowid).where(literal_column(fts.name).op("MATCH")(query))
            for fts in (_PLACEMENT_FTS, _COMPANY_FTS)
        )
    # Dutch writes compounds as one word ("hulpkok", "autotechnicus"): a word inside a title
    # still counts. Titles are short and the other filters come first, so the scan is small.
    inside_title = Placement.title.ilike(f"%{term}%")
    return or_(inside_title, Placement.id.in_(in_place), Placement.company_id.in_(in_company))


def eligible_statement(filters: SearchFilters, *, among: list[int] | None = None):
    """`filtered_statement` with the eligibility rules but seats and capacity (`_Candidates`
    checks the room of the rows left, so its correlated counts run only for those), and the
    rules' bind values. `among`: only these place ids."""
    condition, values = search_condition(filters.student)
    filtered = filtered_statement(filters)
    if filters.student is not None:
        filtered = filtered.where(student_prefilter())
    if among is not None:
        if db.engine.dialect.name == "postgresql":
            # One array parameter, not one per id: the statement's text is the same for every
            # list, so psycopg prepares it and PostgreSQL plans the rules once per connection
            # (planning them took longer than running them for 50 places).
            filtered = filtered.where(
                Placement.id == any_(bindparam("among_ids", type_=ARRAY(Integer)))
            )
            values = {**values, "among_ids": list(among)}
        else:
            filtered = filtered.where(Placement.id.in_(among))
    if db.engine.dialect.name != "postgresql":
        return filtered.where(condition), values
    # PostgreSQL: the rules' correlated conditions made the planner drive the query from the
    # dossier's places one by one; filtering first (a materialised CTE) and applying the rules to
    # what is left keeps the cheap plan of the plain search.
    candidates = filtered.cte("candidates").prefix_with("MATERIALIZED")
    statement = select(candidates).join(Placement, Placement.id == candidates.c.id).where(condition)
    return statement, values


def distance_sql(town: geo.Town, lat, lon):
    """SQL: `geo.distance_km` from the town to (lat, lon), the same formula in the same order."""
    return _distance(literal(town.lat, Float), literal(town.lon, Float), lat, lon)


def _distance(town_lat, town_lon, lat, lon):
    if db.engine.dialect.name != "postgresql":
        return func.sm_distance_km(town_lat, town_lon, lat, lon)
    p1, p2 = func.radians(town_lat), func.radians(lat)
    dp, dl = p2 - p1, func.radians(lon - town_lon)
    half = literal(2.0, Float)
    h = func.power(func.sin(dp / half), 2) + func.cos(p1) * func.cos(p2) * func.power(
        func.sin(dl / half), 2
    )
    return literal(2 * geo.EARTH_RADIUS_KM, Float) * func.asin(func.sqrt(h))


@functools.cache
def _room_condition():
    """Seats and the mentors' room, built once per process (see `capacity._with_room_statement`)."""
    return place_has_room_clause(Placement, bindparam("room_on", type_=Date))


def _orders(cols, distance) -> dict:
    """ORDER BY of each order key over the columns `cols` (a place's or a subquery's)."""
    result = {"start": [cols.start_date, cols.id], "pay": [cols.pay_per_month.desc(), cols.start_date, cols.id]}  # fmt: skip
    if distance is not None:
        result["distance"] = [distance, cols.start_date, cols.id]
    return result


@functools.cache
def _pg_page_statement(key: str):
    """PostgreSQL: the page of `id = ANY(:ids)` with room, in the order `key`, with the total;
    built once per process, so SQLAlchemy and psycopg reuse it (see `_Candidates`)."""
    distance = _distance(
        bindparam("town_lat", type_=Float), bindparam("town_lon", type_=Float),
        Placement.lat, Placement.lon,
    )  # fmt: skip
    return (
        _pg_base()
        .add_columns(func.count().over().label("total"))
        .order_by(*_orders(Placement, distance)[key])
        .offset(bindparam("page_offset", type_=Integer))
        .limit(bindparam("page_limit", type_=Integer))
    )


@functools.cache
def _pg_count_statement():
    return select(func.count()).select_from(_pg_base().subquery())


@functools.cache
def _pg_base():
    return select(Placement.id, Placement.lat, Placement.lon).where(
        Placement.id == any_(bindparam("ids", type_=ARRAY(Integer))), _room_condition()
    )


def _kansrijk_figure(placement_id):
    """SQL: the place's best kansrijk figure (0 for none), as `tightness.for_cards` gives it."""
    by_figure: dict[float, list[int]] = {}
    for qualification_id, figure in tightness.kansrijk_qualification_ids().items():
        by_figure.setdefault(figure, []).append(qualification_id)
    if not by_figure:
        return literal(0.0, Float)
    pq = placement_qualification.c
    figure = case(
        *[(pq.qualification_id.in_(ids), literal(f, Float)) for f, ids in by_figure.items()],
        else_=literal(0.0, Float),
    )
    best = select(func.max(figure)).where(pq.placement_id == placement_id).scalar_subquery()
    return func.coalesce(best, literal(0.0, Float))


class _Candidates:
    """The search's places that have room, in SQL: ordered, counted and cut in the database.

    PostgreSQL: two statements. The first applies the filters, the rules and the radius and
    returns the ids as one array (the planner plans it for its values, as before); the second
    checks seats and the mentors' room, orders and cuts the page for `id = ANY(:ids)`, and its
    text is the same for every search of an order, so psycopg prepares it and PostgreSQL keeps
    one plan for it (planning the room check's correlated counts cost more than running them
    for a page of places, see `capacity._with_room_statement`). SQLite: one statement."""

    def __init__(self, filters: SearchFilters):
        self.filters = filters
        statement, values = eligible_statement(filters)
        if filters.town is not None and filters.radius_km and not filters.anywhere:
            inner = statement.subquery("inside")
            distance = distance_sql(filters.town, inner.c.lat, inner.c.lon)
            statement = select(inner).where(or_(inner.c.national, distance <= filters.radius_km))
        self.postgres = db.engine.dialect.name == "postgresql"
        self._ids: list[int] | None = None
        if self.postgres:
            self.values = {"room_on": today()}
            if filters.town is not None:
                self.values.update(town_lat=filters.town.lat, town_lon=filters.town.lon)
            self._ids_statement = select(func.array_agg(statement.subquery().c.id))
            self._ids_values = values
            self.cols = Placement
            self.base = _pg_base()
        else:
            self.values = {**values, "room_on": today()}
            c = statement.subquery("c")
            self.cols = c.c
            self.base = (
                select(c.c.id, c.c.lat, c.c.lon)
                .join(Placement, Placement.id == c.c.id)
                .where(_room_condition())
            )
        self.distance = (
            distance_sql(filters.town, self.cols.lat, self.cols.lon) if filters.town else None
        )

    def _bound(self) -> dict | None:
        """The bind values; None when nothing passes the filters (PostgreSQL)."""
        if not self.postgres:
            return self.values
        if self._ids is None:
            self._ids = db.session.scalar(self._ids_statement, self._ids_values) or []
        return {**self.values, "ids": self._ids} if self._ids else None

    def nearest_order(self) -> str:
        return "start" if self.distance is None else "distance"

    def order(self, sort: str) -> tuple[str, str]:
        """The order key for `sort` and what the list is ranked by."""
        if sort in ("pay", "kansrijk", "start"):
            return sort, sort
        return self.nearest_order(), self.nearest_order()

    def fetch(self, key: str, *, offset: int, limit: int) -> tuple[list, int | None]:
        """The rows at [offset, offset + limit) in the order `key`, and the total (None when
        the window is empty)."""
        values = self._bound()
        if values is None:
            return [], None
        if self.postgres and key != "kansrijk":
            statement = _pg_page_statement(key)
            values = {**values, "page_offset": offset, "page_limit": limit}
        else:
            if key == "kansrijk":
                distance_first = _orders(self.cols, self.distance)[self.nearest_order()]
                order = [_kansrijk_figure(self.cols.id).desc(), *distance_first]
            else:
                order = _orders(self.cols, self.distance)[key]
            statement = (
                self.base.add_columns(func.count().over().label("total"))
                .order_by(*order)
                .offset(offset)
                .limit(limit)
            )
        rows = db.session.execute(statement, values).all()
        return rows, (rows[0].total if rows else None)

    def count(self) -> int:
        values = self._bound()
        if values is None:
            return 0
        if self.postgres:
            return db.session.scalar(_pg_count_statement(), values) or 0
        statement = select(func.count()).select_from(self.base.subquery())
        return db.session.scalar(statement, values) or 0


def still_found(filters: SearchFilters, placement_ids: list[int]) -> dict[int, Placement]:
    """Those of these places that the search `filters` finds now — its filters, the radius, the
    eligibility rules and the room check — loaded for their cards, in one statement (stored
    suggestions are read through it, so a place that closed, filled up or no longer fits is
    never shown)."""
    if not placement_ids:
        return {}
    statement, values = eligible_statement(filters, among=placement_ids)
    inner = statement.subquery("inside")
    condition = [Placement.id == inner.c.id, _room_condition()]
    if filters.town is not None and filters.radius_km and not filters.anywhere:
        distance = distance_sql(filters.town, inner.c.lat, inner.c.lon)
        condition.append(or_(inner.c.national, distance <= filters.radius_km))
    found = select(inner.c.id).join(Placement, and_(*condition))
    return placements_for_cards(found, {**values, "room_on": today()})


def placements_for_cards(placement_ids, values: dict | None = None) -> dict[int, Placement]:
    """The places `placement_ids` (a list, or a SELECT of ids with its bind `values`) with what a
    result card shows (company, meester, gezel; the qualifications for the kansrijk figure in a
    second statement), instead of more queries per card."""
    if isinstance(placement_ids, list) and not placement_ids:
        return {}
    return {
        p.id: p
        for p in db.session.scalars(
            select(Placement)
            .where(Placement.id.in_(placement_ids))
            .options(
                joinedload(Placement.company),
                joinedload(Placement.meester),
                joinedload(Placement.gezel),
                # Their own statement: joined to the cards, PostgreSQL joined every place's
                # qualifications, company and mentors before keeping the page (370 ms at 60k).
                selectinload(Placement.qualifications),
            ),
            values or {},
        )
    }


def _page_of(total: int, per_page: int, wanted: int) -> tuple[int, int]:
    pages = max(1, math.ceil(total / per_page))
    return min(max(1, wanted), pages), pages


def search(
    filters: SearchFilters, *, per_page: int = 20, ranker=None, nationwide: bool = False
) -> SearchPage:
    """Filter, order and paginate. `ranker(ids) -> {placement_id: (score, label)}` orders by
    relevance when given (the match model) the RANK_LIMIT nearest candidates; without one,
    relevance falls back to distance. `nationwide`: with few places nearby, also count what the
    same search finds in the whole country (`SearchPage.nationwide`; the search page offers it)."""
    candidates = _Candidates(filters)
    scores: dict[int, tuple[float, str]] = {}
    ranked: list[tuple[int, float]] = []
    window = None
    if filters.sort == "relevance" and ranker is not None:
        # The model ranks the nearest RANK_LIMIT candidates; any further ones follow by distance.
        nearest = candidates.nearest_order()
        head, count = candidates.fetch(nearest, offset=0, limit=RANK_LIMIT)
        if not head:  # nothing to rank: an empty list, ordered as without a ranker
            window, total, page = [], 0, 1
            ranked_by = "start" if candidates.distance is None else "distance"
        else:
            scores = ranker([r.id for r in head])
            # The ranker scores only pairs the rules allow (the same rules as the SQL above).
            # Heel Nederland: the places beyond the student's own radius follow the scored ones.
            beyond = [r for r in head if r.id not in scores] if filters.anywhere else []
            scored = [r for r in head if r.id in scores]
            distances = _distances(filters, scored)
            scored.sort(key=lambda r: (-scores[r.id][0], distances[r.id] or 0.0))
            first = scored + beyond
            total = len(first) + max(0, count - RANK_LIMIT)
            page, _pages = _page_of(total, per_page, filters.page)
            start, stop = (page - 1) * per_page, page * per_page
            window = first[start:stop]
            if stop > len(first) and count > RANK_LIMIT:
                skip = max(0, start - len(first))
                tail, _ = candidates.fetch(
                    nearest, offset=RANK_LIMIT + skip, limit=stop - max(start, len(first))
                )
                window += tail
            ranked_by = "model" if getattr(ranker, "is_model", False) else "rule"
            ranked = [(r.id, scores[r.id][0]) for r in scored]
    if window is None:
        order, ranked_by = candidates.order(filters.sort)
        page = max(1, filters.page)
        window, total = candidates.fetch(order, offset=(page - 1) * per_page, limit=per_page)
        if total is None:
            total = candidates.count() if page > 1 else 0
            page, _pages = _page_of(total, per_page, page)
            if total:  # asked beyond the last page: the last page, as before
                window, _ = candidates.fetch(order, offset=(page - 1) * per_page, limit=per_page)

    distances = _distances(filters, window)
    by_id = placements_for_cards([r.id for r in window])
    hits = [
        Hit(by_id[r.id], distances[r.id], *(scores.get(r.id, (None, None))))
        for r in window
        if r.id in by_id
    ]
    tight = tightness.for_cards([h.placement for h in hits])
    for hit in hits:
        hit.tightness = tight.get(hit.placement.id)
    result = SearchPage(hits, total, page, per_page, ranked_by)
    add_nationwide(result, filters, nationwide)
    if ranked_by in ("model", "rule"):
        result.ranked = ranked
    return result


def _distances(filters: SearchFilters, rows) -> dict[int, float | None]:
    """The distances shown: `geo.distance_km` itself, for the rows of one page."""
    town = filters.town
    return {
        r.id: None if town is None else geo.distance_km(town.lat, town.lon, r.lat, r.lon)
        for r in rows
    }


def add_nationwide(result: SearchPage, filters: SearchFilters, wanted: bool) -> None:
    """Set `result.nationwide` when it is `wanted` and the search found few places within its
    radius (a count over the whole country: the home page and the API do not show it, so they do
    not pay for it)."""
    few = result.total < FEW_NEARBY and filters.radius_km and not filters.anywhere
    if wanted and few and filters.qualification is not None:
        result.nationwide = count_anywhere(filters)


def count_anywhere(filters: SearchFilters) -> int:
    """How many places the same search finds in the whole country (no distance limit)."""
    return _Candidates(dataclasses.replace(filters, anywhere=True)).count()

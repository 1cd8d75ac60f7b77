"""Searching places: the filters of the search page and the API, in one place.

Distance is between town centres. The database narrows by a bounding box around the search town;
the exact great-circle distance and the radius are applied here, then the page's places are loaded.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

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
from stagematch.services.capacity import with_room
from stagematch.services.eligibility import search_condition
from stagematch.services.placements import visible_in_search_clause

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
        ids = equivalent_qualification_ids(filters.qualification)
        stmt = stmt.where(
            Placement.id.in_(
                select(placement_qualification.c.placement_id).where(
                    placement_qualification.c.qualification_id.in_(ids)
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
    for word in filters.q.split()[:6]:
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            or_(
                Placement.title.ilike(pattern),
                Placement.tasks.ilike(pattern),
                Company.name.ilike(pattern),
            )
        )
    return stmt


def eligible_statement(filters: SearchFilters):
    """`filtered_statement` with the eligibility rules but seats and capacity (`search` asks
    `capacity.with_room` for the rows left, so its correlated counts run only for those), and
    the rules' bind values."""
    condition, values = search_condition(filters.student)
    if db.engine.dialect.name != "postgresql":
        return filtered_statement(filters).where(condition), values
    # PostgreSQL: the rules' correlated conditions made the planner drive the query from the
    # dossier's places one by one; filtering first (a materialised CTE) and applying the rules to
    # what is left keeps the cheap plan of the plain search.
    candidates = filtered_statement(filters).cte("candidates").prefix_with("MATERIALIZED")
    statement = select(candidates).join(Placement, Placement.id == candidates.c.id).where(condition)
    return statement, values


def search(filters: SearchFilters, *, per_page: int = 20, ranker=None) -> SearchPage:
    """Filter, order and paginate. `ranker(rows) -> {placement_id: (score, label)}` orders by
    relevance when given (the match model); without one, relevance falls back to distance."""
    statement, values = eligible_statement(filters)
    rows = db.session.execute(statement, values).all()
    distances: dict[int, float | None] = {}
    kept = []
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
    if sort == "relevance" and ranker is not None and kept:
        # The model ranks the nearest RANK_LIMIT candidates; any further ones follow by distance.
        kept.sort(key=lambda r: (distances[r.id] or 0.0, r.start_date))
        head, tail = kept[:RANK_LIMIT], kept[RANK_LIMIT:]
        scores = ranker([r.id for r in head])
        # The ranker scores only pairs the rules allow (the same rules as the SQL above).
        # Heel Nederland: the places beyond the student's own radius follow the scored ones.
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
        # "Kansrijk eerst": the tightest occupation first, then nearest (or earliest start).
        tight = tightness.for_placements([r.id for r in kept])
        kept.sort(key=lambda r: (-(tight[r.id].figure or 0.0) if r.id in tight else 0.0,
                                 distances[r.id] or 0.0, r.start_date, r.id))  # fmt: skip
        ranked_by = "kansrijk"
    elif sort == "start":
        kept.sort(key=lambda r: (r.start_date, r.id))
        ranked_by = "start"
    else:
        if filters.town is not None:
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
            # What a result card shows, in the same query instead of three more per card.
            .options(
                joinedload(Placement.company),
                joinedload(Placement.meester),
                joinedload(Placement.gezel),
            )
        )
    }
    hits = [
        Hit(by_id[r.id], distances[r.id], *(scores.get(r.id, (None, None))))
        for r in window
        if r.id in by_id
    ]
    tight = tightness.for_placements([h.placement.id for h in hits])
    for hit in hits:
        hit.tightness = tight.get(hit.placement.id)
    result = SearchPage(hits, total, page, per_page, ranked_by)
    few = total < FEW_NEARBY and filters.radius_km and not filters.anywhere
    if few and filters.qualification is not None:
        result.nationwide = count_anywhere(filters)
    if ranked_by in ("model", "rule"):
        result.ranked = ranked
    return result


def count_anywhere(filters: SearchFilters) -> int:
    """How many places the same search finds in the whole country (no distance limit)."""
    statement, values = eligible_statement(dataclasses.replace(filters, anywhere=True))
    return len(with_room([row.id for row in db.session.execute(statement, values)]))

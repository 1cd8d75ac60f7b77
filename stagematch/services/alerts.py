"""Email alerts for saved searches: new places that match since the last alert."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import parse_qsl

from sqlalchemy import select

from stagematch import geo, mailer
from stagematch.extensions import db
from stagematch.inputs import parse_int
from stagematch.models import Qualification, SavedSearch
from stagematch.models.enums import Leerweg
from stagematch.services.search import SearchFilters, search
from stagematch.timeutil import utcnow
from stagematch.urls import external_url

SORTS = ("relevance", "distance", "pay", "start")


def _date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date() if text.isascii() else None
        except ValueError:
            continue
    return None


def _qualification(text: str) -> Qualification | None:
    """As the search form reads it: a crebo, a label '25180 – Kok (niveau 2)', or a unique name."""
    crebo = text.split()[0].strip("–-")
    if crebo.isascii() and crebo.isdigit() and len(crebo) == 5:
        return db.session.scalar(select(Qualification).where(Qualification.crebo == crebo))
    found = db.session.scalars(
        select(Qualification).where(Qualification.name.ilike(text)).limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def filters_from_query(query_string: str) -> SearchFilters | None:
    """A saved search's query string as search filters, checked as the search form checks it
    (without the form: this runs in the worker, outside any request); None when it does not add
    up. Of a repeated key the first value counts, as in the form."""
    from stagematch.reference import sectors

    value: dict[str, str] = {}
    for key, text in parse_qsl(query_string):
        value.setdefault(key, text.strip())

    def number(key: str, lo: int, hi: int) -> int | None | bool:
        if not value.get(key):
            return None
        parsed = parse_int(value[key], lo=lo, hi=hi)
        return False if parsed is None else parsed

    numbers = {key: number(key, lo, hi) for key, lo, hi in
               (("radius", 1, 300), ("min_pay", 0, 10_000), ("bbl_days", 1, 5), ("level", 1, 4))}  # fmt: skip
    if any(n is False for n in numbers.values()):
        return None
    q, leerweg, crebo = value.get("q", ""), value.get("leerweg", ""), value.get("crebo", "")
    sector, sort = value.get("sector", ""), value.get("sort", "") or "relevance"
    if len(q) > 100 or len(crebo) > 200 or leerweg not in ("", *Leerweg) or sort not in SORTS:
        return None
    if sector and sector not in sectors():
        return None
    qualification = _qualification(crebo) if crebo else None
    town = geo.find_town(value["town"]) if value.get("town") else None
    if (crebo and qualification is None) or (value.get("town") and town is None):
        return None
    if numbers["radius"] and town is None:
        return None
    dates = {
        key: _date(value[key]) if value.get(key) else None for key in ("start_from", "start_to")
    }
    if any(value.get(key) and dates[key] is None for key in dates):
        return None
    return SearchFilters(
        q=q, leerweg=leerweg or None, qualification=qualification, level=numbers["level"], town=town,
        radius_km=numbers["radius"], sector=sector or None, min_pay=numbers["min_pay"],
        start_from=dates["start_from"], start_to=dates["start_to"], bbl_days=numbers["bbl_days"],
        sort=sort,
    )  # fmt: skip


def send_search_alerts() -> tuple[int, int]:
    """Returns (searches checked, mails sent)."""
    checked = sent = 0
    for saved in db.session.scalars(select(SavedSearch).where(SavedSearch.alert.is_(True))).all():
        checked += 1
        filters = filters_from_query(saved.query_string)
        if filters is None:
            continue
        filters.page, filters.sort = 1, "start"
        filters.student = saved.user.profile  # a student is alerted only to places allowed for them
        since = saved.last_alerted_at or saved.created_at
        hits = [
            h
            for h in search(filters, per_page=10_000).hits
            if h.placement.published_at and h.placement.published_at > since
        ]
        now = utcnow()
        if hits:
            link = external_url("places.search_page") + "?" + saved.query_string
            if mailer.send(saved.user.email, f"{len(hits)} nieuwe plek(ken) voor '{saved.name}'", "search_alert",
                           saved=saved, hits=hits[:10], total=len(hits), link=link):  # fmt: skip
                sent += 1
        saved.last_alerted_at = now
    db.session.commit()
    return checked, sent

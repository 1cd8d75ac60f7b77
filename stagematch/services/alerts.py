"""Saved searches and their email alerts: saving a search (with a name made up when the student
gives none), the alert mail with new places since the last one, and switching the alert off from
that mail with a signed link that needs no login."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import parse_qsl

from flask import current_app
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from stagematch import geo, mailer
from stagematch.extensions import db
from stagematch.inputs import parse_int
from stagematch.models import Qualification, SavedSearch, User
from stagematch.models.enums import Leerweg
from stagematch.services import DomainError
from stagematch.services.search import SearchFilters, search
from stagematch.templating import format_date
from stagematch.timeutil import today, utcnow
from stagematch.urls import external_url

SORTS = ("relevance", "distance", "pay", "start", "kansrijk")
MAX_SAVED_SEARCHES = 20
NAME_LENGTH = 120  # SavedSearch.name
QUERY_LENGTH = 2000


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
        sort=sort, kansrijk=value.get("kansrijk") in ("y", "1", "on"),
        for_switchers=value.get("zij_instromers") in ("y", "1", "on"),
        anywhere=value.get("heel_nederland") == "1",
    )  # fmt: skip


def _alert_subject(num: int, name: str) -> LazyString:
    """Translated when the mail is written, in the recipient's language (see mailer.send)."""
    return LazyString(
        lambda: ngettext(
            "%(num)s nieuwe plek voor '%(name)s'",
            "%(num)s nieuwe plekken voor '%(name)s'",
            num,
            name=name,
        )
    )


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
            context = {
                "saved": saved,
                "hits": hits[:10],
                "total": len(hits),
                "link": link,
                # The saved searches page, and switching this alert off without logging in.
                "list_link": external_url("students.saved_searches"),
                "unsubscribe_link": external_url(
                    "students.unsubscribe_alert", token=unsubscribe_token(saved)
                ),
            }
            subject = _alert_subject(len(hits), saved.name)
            # RFC 8058: the mail program offers "Afmelden" and POSTs to the link itself.
            headers = {"List-Unsubscribe": f"<{context['unsubscribe_link']}>",
                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}  # fmt: skip
            if mailer.send(saved.user.email, subject, "search_alert", headers=headers, **context):
                sent += 1
        saved.last_alerted_at = now
    db.session.commit()
    return checked, sent


# --- saving, naming, switching off --------------------------------------------------------------


def default_name(query_string: str) -> str:
    """A name for a search the student did not name: its words, opleiding and town, as far as
    the query has them ("bakker in Enschede"), else the day it was saved."""
    value: dict[str, str] = {}
    for key, text in parse_qsl(query_string):
        value.setdefault(key, " ".join(text.split()))
    what = [value["q"]] if value.get("q") else []
    if value.get("crebo"):
        qualification = _qualification(value["crebo"][:200])
        label = qualification.name if qualification else value["crebo"]
        if label.casefold() not in (w.casefold() for w in what):  # "kok" and Kok: once
            what.append(label)
    town = geo.find_town(value["town"][:80]) if value.get("town") else None
    if what and town:
        name = _("%(what)s in %(town)s", what=", ".join(what), town=town.name)
    elif what:
        name = ", ".join(what)
    elif town:
        name = _("Plekken in %(town)s", town=town.name)
    else:
        name = _("Zoekopdracht van %(date)s", date=format_date(today()))
    return name if len(name) <= NAME_LENGTH else name[: NAME_LENGTH - 1].rstrip() + "…"


def search_count_statement(user: User):
    """How many searches the user saved, as a statement (issue #20: counted with other things)."""
    return select(func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id)


def searches_of(user: User) -> list[SavedSearch]:
    return list(
        db.session.scalars(
            select(SavedSearch)
            .where(SavedSearch.user_id == user.id)
            .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
        )
    )


def save_search(user: User, *, name: str | None, query_string: str) -> SavedSearch:
    """Save the search (the search page's query) with its alert on. Without a name it gets one
    (`default_name`); the same query saved again is the same saved search, renamed when a new
    name is given and with its alert switched back on."""
    query_string = (query_string or "")[:QUERY_LENGTH]
    name = " ".join((name or "").split())
    if len(name) > NAME_LENGTH:
        raise DomainError(_("Gebruik hooguit %(n)s tekens.", n=NAME_LENGTH), "name")
    existing = db.session.scalar(
        select(SavedSearch).where(
            SavedSearch.user_id == user.id, SavedSearch.query_string == query_string
        )
    )
    if existing is not None:
        existing.name = name or existing.name
        existing.alert = True
        db.session.commit()
        return existing
    if len(searches_of(user)) >= MAX_SAVED_SEARCHES:
        raise DomainError(
            _(
                "Je hebt al %(n)s zoekopdrachten bewaard. Verwijder er eerst een.",
                n=MAX_SAVED_SEARCHES,
            )
        )
    saved = SavedSearch(
        user=user,
        name=name or default_name(query_string),
        query_string=query_string,
        last_alerted_at=utcnow(),  # mail only places that are new from now on
    )
    db.session.add(saved)
    db.session.commit()
    return saved


def set_alert(saved: SavedSearch, on: bool) -> None:
    """Switch the alert mail on or off. Switching it on again starts from now: no mail about
    everything published while it was off."""
    if saved.alert != on:
        saved.alert = on
        if on:
            saved.last_alerted_at = utcnow()
    db.session.commit()


def delete_search(saved: SavedSearch) -> None:
    db.session.delete(saved)
    db.session.commit()


def _link_serializer() -> URLSafeSerializer:
    # No expiry: an unsubscribe link in an old mail must keep working.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="search-alert-off")


def unsubscribe_token(saved: SavedSearch) -> str:
    """The signed key of the "geen e-mails meer" link in the alert mail: this search of this user."""
    return _link_serializer().dumps({"s": saved.id, "u": saved.user_id})


def search_from_token(token: str) -> tuple[bool, SavedSearch | None]:
    """(whether the link is genuine, the saved search it names — None when deleted since)."""
    try:
        data = _link_serializer().loads(token)
    except BadSignature:
        return False, None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), int) and not isinstance(data.get(k), bool) and 0 < data[k] < 2**31
        for k in ("s", "u")
    ):
        return False, None
    saved = db.session.get(SavedSearch, data["s"])
    if saved is None or saved.user_id != data["u"]:
        return True, None
    return True, saved

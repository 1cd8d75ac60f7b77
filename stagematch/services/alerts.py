"""Email alerts for saved searches: new places that match since the last alert."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from stagematch import mailer
from stagematch.extensions import db
from stagematch.models import SavedSearch
from stagematch.timeutil import utcnow


def send_search_alerts() -> tuple[int, int]:
    """Returns (searches checked, mails sent). Needs a request context (the search form)."""
    from stagematch.forms import choices
    from stagematch.places.routes import filters_from_form
    from stagematch.reference import sectors
    from stagematch.services.search import search
    from stagematch.students.forms import SearchForm

    checked = sent = 0
    for saved in db.session.scalars(select(SavedSearch).where(SavedSearch.alert.is_(True))).all():
        checked += 1
        form = SearchForm(MultiDict(parse_qsl(saved.query_string)))
        form.sector.choices = choices([("", "")] + [(s, s) for s in sectors()])
        if not form.validate():
            continue
        filters = filters_from_form(form)
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
            link = url_for("places.search_page", _external=True) + "?" + saved.query_string
            if mailer.send(saved.user.email, f"{len(hits)} nieuwe plek(ken) voor '{saved.name}'", "search_alert",
                           saved=saved, hits=hits[:10], total=len(hits), link=link):  # fmt: skip
                sent += 1
        saved.last_alerted_at = now
    db.session.commit()
    return checked, sent

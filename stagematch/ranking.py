"""Glue between the site and the match ranking in `stagematch.matching`: builds rankers for the
search page and the recommendations. Until the matching package is in place, relevance falls back
to distance (and says so)."""

from __future__ import annotations

from stagematch import geo
from stagematch.models import StudentProfile
from stagematch.services.search import SearchFilters, SearchPage, search


def make_ranker(profile: StudentProfile | None):
    """A callable ids -> {id: (score, label)} for relevance order, or None when there is nothing
    to rank by."""
    return None


def profile_filters(profile: StudentProfile) -> SearchFilters:
    town = geo.find_town(profile.city) if profile.city else None
    return SearchFilters(
        leerweg=profile.leerweg, qualification=profile.qualification, level=None, town=town,
        radius_km=profile.max_travel_km if town else None, sort="relevance",
    )  # fmt: skip


def recommendations(profile: StudentProfile, *, limit: int = 5) -> SearchPage:
    return search(profile_filters(profile), per_page=limit, ranker=make_ranker(profile))

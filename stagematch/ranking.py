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


def recommendations(profile: StudentProfile, *, limit: int = 5, page: int = 1) -> SearchPage:
    filters = profile_filters(profile)
    filters.page = page
    return search(filters, per_page=limit, ranker=make_ranker(profile))


def school_host_sqis(school) -> list[float]:
    """SQI (0-100) of every meester with a running internship of this school's students."""
    from sqlalchemy import select

    from stagematch.extensions import db
    from stagematch.models import Internship
    from stagematch.models.enums import InternshipStatus

    meester_ids = list(
        db.session.scalars(
            select(Internship.meester_id)
            .where(Internship.school_id == school.id, Internship.status == InternshipStatus.ACTIVE)
            .distinct()
        )
    )
    return [sqi.score for sqi in meester_sqis(meester_ids).values()]


def meester_sqis(meester_ids: list[int]) -> dict:
    """Supervision quality per meester; empty until the matching package provides the index."""
    return {}

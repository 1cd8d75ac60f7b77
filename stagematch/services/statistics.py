"""Public, anonymous figures: the front page's open places and the seats per qualification
(/statistieken and the API's /statistics). They count only what students can see: a deactivated
company's places are left out (`eligibility.company_active_clause`)."""

from __future__ import annotations

from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Placement, Qualification, placement_qualification
from stagematch.models.enums import PlacementStatus
from stagematch.services.capacity import filled_by_qualification
from stagematch.services.eligibility import company_active_clause, place_clause
from stagematch.services.placements import visible_in_search_clause


def open_places() -> int:
    """Places a student can find today: open, current, and allowed by the rules that hold
    whoever the student (what search shows someone of the right qualification)."""
    return (
        db.session.scalar(
            select(func.count(Placement.id)).where(visible_in_search_clause(), place_clause())
        )
        or 0
    )


def qualification_stats() -> list[dict]:
    """Per qualification: seats offered (open or filled places of active companies) and seats
    filled (running internships)."""
    pq = placement_qualification.c
    offered = dict(
        db.session.execute(
            select(pq.qualification_id, func.sum(Placement.seats))
            .join(Placement, Placement.id == pq.placement_id)
            .where(
                Placement.status.in_((PlacementStatus.OPEN, PlacementStatus.FILLED)),
                company_active_clause(),
            )
            .group_by(pq.qualification_id)
        ).all()
    )
    filled = filled_by_qualification()
    ids = set(offered) | set(filled)
    quals = {
        q.id: q for q in db.session.scalars(select(Qualification).where(Qualification.id.in_(ids)))
    }
    rows = [
        {
            "crebo": quals[i].crebo,
            "qualification": quals[i].name,
            "level": quals[i].level,
            "domain": quals[i].domain_name,
            "seats_offered": int(offered.get(i) or 0),
            "seats_filled": int(filled.get(i, 0)),
        }  # fmt: skip
        for i in ids
        if i in quals
    ]
    return sorted(rows, key=lambda r: (-r["seats_offered"], r["crebo"]))

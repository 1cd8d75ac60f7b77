"""How much a meester can still take on. Capacity is a hard limit: active learners plus the free
seats of his open places may never exceed it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Internship, Mentor, Placement
from stagematch.models.enums import InternshipStatus, PlacementStatus


@dataclass(frozen=True)
class MentorLoad:
    mentor_id: int
    capacity: int
    active: int  # learners with a running internship under this mentor
    reserved: int  # free seats on open places that name this mentor

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.active - self.reserved)

    @property
    def over_capacity(self) -> bool:
        return self.active > self.capacity


def filled_seats(placement_ids: list[int]) -> dict[int, int]:
    """Running internships per place (they take a seat each)."""
    if not placement_ids:
        return {}
    rows = db.session.execute(
        select(Internship.placement_id, func.count(Internship.id))
        .where(
            Internship.placement_id.in_(placement_ids), Internship.status == InternshipStatus.ACTIVE
        )
        .group_by(Internship.placement_id)
    )
    return dict(rows.all())


def free_seats(placement: Placement) -> int:
    return max(0, placement.seats - filled_seats([placement.id]).get(placement.id, 0))


def mentor_loads(
    mentor_ids: list[int], *, exclude_placement_id: int | None = None
) -> dict[int, MentorLoad]:
    """Load per mentor (as meester or as gezel). `exclude_placement_id` leaves one place's seats
    out of the reservation, for checking that place's own seats against the rest."""
    if not mentor_ids:
        return {}
    mentors = db.session.execute(
        select(Mentor.id, Mentor.capacity).where(Mentor.id.in_(mentor_ids))
    )
    capacity = dict(mentors.all())
    active: dict[int, int] = dict.fromkeys(mentor_ids, 0)
    for column in (Internship.meester_id, Internship.gezel_id):
        for mentor_id, count in db.session.execute(
            select(column, func.count(Internship.id))
            .where(column.in_(mentor_ids), Internship.status == InternshipStatus.ACTIVE)
            .group_by(column)
        ):
            active[mentor_id] += count
    reserved: dict[int, int] = dict.fromkeys(mentor_ids, 0)
    open_places = select(
        Placement.id, Placement.seats, Placement.meester_id, Placement.gezel_id
    ).where(
        Placement.status == PlacementStatus.OPEN,
        (Placement.meester_id.in_(mentor_ids)) | (Placement.gezel_id.in_(mentor_ids)),
    )
    if exclude_placement_id is not None:
        open_places = open_places.where(Placement.id != exclude_placement_id)
    places = db.session.execute(open_places).all()
    filled = filled_seats([p.id for p in places])
    for p in places:
        unfilled = max(0, p.seats - filled.get(p.id, 0))
        for mentor_id in (p.meester_id, p.gezel_id):
            if mentor_id in reserved:
                reserved[mentor_id] += unfilled
    return {
        m: MentorLoad(m, capacity.get(m, 0), active[m], reserved[m])
        for m in mentor_ids
        if m in capacity
    }


def mentor_load(mentor_id: int, *, exclude_placement_id: int | None = None) -> MentorLoad:
    return mentor_loads([mentor_id], exclude_placement_id=exclude_placement_id)[mentor_id]

"""Favourites (bewaarde plekken): places a student keeps to look at or apply to later."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from stagematch.extensions import db
from stagematch.models import Application, Placement, SavedPlace, StudentProfile
from stagematch.models.enums import PlacementStatus
from stagematch.services import DomainError

MAX_FAVOURITES = 200


@dataclass
class Favourite:
    placement: Placement
    saved_at: datetime
    application: Application | None  # the student's application to it, if any

    @property
    def is_open(self) -> bool:
        """Whether students can still apply: the place is open and its company still active."""
        return (
            self.placement.status == PlacementStatus.OPEN
            and self.placement.company.deactivated_at is None
        )


def saved_ids(
    student: StudentProfile | None, placement_ids: Iterable[int], *, ranker=None
) -> set[int]:
    """Which of these places the student saved (one query; empty for visitors and other roles).
    `ranker`: the student's `ranking.Ranker` that scored these places — it read what they saved
    with them, so no query when it scored them all."""
    ids = list(placement_ids)
    if student is None or not ids:
        return set()
    if ranker is not None and ranker.profile.id == student.id:
        known = ranker.saved_among(ids)
        if known is not None:
            return known
    return set(
        db.session.scalars(
            select(SavedPlace.placement_id).where(
                _saved_by(student.id), SavedPlace.placement_id.in_(ids)
            )
        )
    )


def _saved_by(student_id: int):
    return SavedPlace.student_id == student_id


def saved_sql(student_id: int, place=Placement):
    """SQL: the student saved `place` (correlated; the place page reads it with the place)."""
    return exists(
        select(SavedPlace.id)
        .where(_saved_by(student_id), SavedPlace.placement_id == place.id)
        .correlate_except(SavedPlace)
    )


def save(*, student: StudentProfile, placement: Placement) -> bool:
    """Keep the place; True when it is new, False when it was saved already (a double click)."""
    if placement.status != PlacementStatus.OPEN or placement.company.deactivated_at is not None:
        raise DomainError(_("Deze plek staat niet meer open."))
    student_id, placement_id = student.id, placement.id
    if saved_ids(student, [placement_id]):
        return False
    count = db.session.scalar(
        select(func.count(SavedPlace.id)).where(SavedPlace.student_id == student_id)
    )
    if count >= MAX_FAVOURITES:
        raise DomainError(
            _("Je hebt al %(n)s plekken bewaard. Verwijder er eerst een.", n=MAX_FAVOURITES)
        )
    db.session.add(SavedPlace(student_id=student_id, placement_id=placement_id))
    try:
        db.session.commit()
    except IntegrityError:
        # Saved by a second request at the same moment: the unique pair kept it once.
        db.session.rollback()
        return False
    return True


def remove(*, student: StudentProfile, placement_id: int) -> bool:
    """Forget the place; True when it was saved."""
    result = db.session.execute(
        delete(SavedPlace).where(
            SavedPlace.student_id == student.id, SavedPlace.placement_id == placement_id
        )
    )
    if result.rowcount:
        from stagematch.services.stored_suggestions import mark_stale

        mark_stale([student.id])  # a saved place ranks the student's list (`saved`)
    db.session.commit()
    return result.rowcount > 0


def favourites(student: StudentProfile) -> list[Favourite]:
    """The student's saved places, newest first, with the application to each if there is one."""
    rows = db.session.execute(
        select(SavedPlace, Placement)
        .join(Placement, Placement.id == SavedPlace.placement_id)
        .options(joinedload(Placement.company))
        .where(SavedPlace.student_id == student.id, Placement.status != PlacementStatus.DRAFT)
        .order_by(SavedPlace.created_at.desc(), SavedPlace.id.desc())
    ).all()
    applications = {
        a.placement_id: a
        for a in db.session.scalars(
            select(Application).where(
                Application.student_id == student.id,
                Application.placement_id.in_([p.id for _s, p in rows]),
            )
        )
    }
    return [Favourite(p, s.created_at, applications.get(p.id)) for s, p in rows]

"""Stored suggestions (issue 20): each student's ranked places as the batch ranker computed them,
so the home page, the API's matches and the student's own search read one row instead of ranking
every candidate on each request. `services/stored_suggestions.py` writes and reads them; this is
only their shape."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from stagematch.extensions import db
from stagematch.timeutil import utcnow


class StoredSuggestions(db.Model):
    """One student's list, best first: place ids and scores (at most `STORE` of them) and how many
    places the rules allowed in all. A row is used only while it is fresh: not marked stale (the
    profile or what they saved changed), computed by the active model version, after the last
    change to the student's market (`SuggestionEpoch`) and after the last place they opened."""

    __tablename__ = "stored_suggestions"

    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), primary_key=True
    )
    place_ids: Mapped[list] = mapped_column(JSON)
    scores: Mapped[list] = mapped_column(JSON)
    candidates: Mapped[int]
    # The market the list was ranked in: the student's dossier and leerweg when it was computed.
    dossier_crebo: Mapped[str] = mapped_column(String(10))
    leerweg: Mapped[str] = mapped_column(String(3))
    model_version_id: Mapped[int | None]  # None: the transparent rule ranked
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    stale: Mapped[bool] = mapped_column(default=False, index=True)


class SuggestionEpoch(db.Model):
    """When a market (a dossier's places for one leerweg) last changed in a way that can reorder
    its students' lists: a place published, edited or closed, a meester's load or capacity. Lists
    computed before it are not used; the refresh job recomputes them."""

    __tablename__ = "suggestion_epoch"

    dossier_crebo: Mapped[str] = mapped_column(String(10), primary_key=True)
    leerweg: Mapped[str] = mapped_column(String(3), primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

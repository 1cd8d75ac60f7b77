"""The plain data the matching works on, filled from the database by stagematch.ranking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from stagematch.matching.sqi import MeesterFacts


@dataclass(frozen=True)
class StudentData:
    id: int
    leerweg: str
    level: int
    crebo: str
    dossier: str
    lat: float | None
    lon: float | None
    max_travel_km: int
    available_from: date | None
    skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    bbl_days: int | None = None
    # Places whose page the student opened in the days before (`ranking.data.VIEW_DAYS`), as
    # the interaction log held them then: what they actually looked at (issue 16).
    viewed: frozenset[int] = frozenset()
    # (place, n) of the viewed places they came back to: opened on n more days than one.
    revisits: frozenset[tuple[int, int]] = frozenset()
    saved: frozenset[int] = frozenset()  # places they kept (bewaarde plekken) by then
    # Protected: carried so tests can vary them; no feature or score may read them. The one
    # exception is the age, which the legal rules of `eligibility` (minimum youth wage, working
    # time of minors) must read.
    name: str = ""
    gender: str | None = None
    birth_date: date | None = None
    nationality: str | None = None
    accessibility_needs: str = ""
    photo: str | None = None


@dataclass(frozen=True)
class PlaceData:
    id: int
    company_id: int
    leerweg: str
    level: int
    crebos: frozenset[str]
    dossiers: frozenset[str]
    lat: float
    lon: float
    start_date: date
    duration_weeks: int
    days_per_week: int | None
    pay_per_month: int
    sector: str
    published_at: datetime | None
    text: str
    skills: tuple[str, ...]
    seats_free: int
    meester: MeesterFacts
    gezel: bool
    company_finished: int = 0
    company_ok: int = 0
    hours_per_week: float = 32.0
    wage_age: int | None = None  # BBL: the age the wage is quoted for
    # Crebos (and their dossiers) of the place for which the company's accreditation is current
    # on the start date; None: all of them (plain data made without a database).
    accredited_crebos: frozenset[str] | None = None
    accredited_dossiers: frozenset[str] | None = None
    # Capacity over the place's period, from services.capacity: capacity minus commitments, the
    # place's own unfilled seats included; negative means over capacity (None: no gezel).
    meester_room: int = 0
    gezel_room: int | None = None
    meester_id: int | None = None  # who supervises (evaluation groups outcomes by it)
    # False when an administrator deactivated the company: no student may see or get the place.
    company_active: bool = True
    # The market around the place (`services.responses`), as it stood on the day: the company's
    # applications whose answer period had ended, and how many of those it answered; the
    # place's applications still open (not decided), and all it had received; its seats.
    company_asked: int = 0
    company_answered: int = 0
    open_applications: int = 0
    applications: int = 0
    seats: int = 1
    # "Landelijk" (issue 18): the learner may come from anywhere; no travel radius excludes it.
    national: bool = False

    @property
    def accreditation_current(self) -> bool:
        """Accredited for every crebo of the place on its start date."""
        return self.accredited_crebos is None or self.accredited_crebos >= self.crebos


# Grades of a place in a session: what happened with it (evaluation and training labels).
NOTHING, ENGAGED, GOOD = 0, 1, 2
"""ENGAGED: the student applied, was shortlisted or offered, or started there (outcome not good
or not known yet); GOOD: the internship there was completed well (outcome `success`)."""


@dataclass(frozen=True)
class Session:
    """One student's choice at one moment: the places that were on offer then and that the
    eligibility rules allowed, each with its features as they stood on `on` (load, ratings and
    completions counted up to that day), graded by what happened afterwards."""

    student: StudentData
    on: date  # when the student applied (the first application), or the internship was agreed
    places: tuple[PlaceData, ...]
    grades: tuple[int, ...]  # per place: NOTHING, ENGAGED or GOOD
    started: int | None = None  # index in `places` of the place where the internship was
    success: bool | None = None  # its outcome; None while it runs
    ended_on: date | None = None  # the day the outcome was known

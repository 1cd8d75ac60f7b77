"""Hard rules for a (student, place) pair. These are never learned: a pair that breaks one is not a
candidate, whatever a model would say."""

from __future__ import annotations

from datetime import date, timedelta

from stagematch.geo import distance_km
from stagematch.matching.data import PlaceData, StudentData
from stagematch.matching.text import N_


def failed_rules(student: StudentData, place: PlaceData, *, on: date) -> list[str]:
    """The hard rules the pair breaks, in plain Dutch (msgids: translate where shown)."""
    problems = []
    if student.leerweg != place.leerweg:
        problems.append(N_("andere leerweg"))
    if student.crebo not in place.crebos and student.dossier not in place.dossiers:
        problems.append(N_("andere opleiding"))
    elif student.crebo not in place.crebos and place.level != student.level:
        problems.append(N_("ander niveau"))
    if (
        student.lat is not None
        and distance_km(student.lat, student.lon, place.lat, place.lon) > student.max_travel_km
    ):
        problems.append(N_("te ver weg"))
    end = place.start_date + timedelta(weeks=place.duration_weeks)
    if student.available_from is not None and student.available_from > end:
        problems.append(N_("plek is voorbij voordat je kunt beginnen"))
    if end < on:
        problems.append(N_("plek is al voorbij"))
    if place.seats_free <= 0:
        problems.append(N_("geen plaats vrij"))
    if place.meester.active_learners >= place.meester.capacity:
        problems.append(N_("meester heeft geen ruimte"))
    if not place.accreditation_current:
        problems.append(N_("bedrijf niet (meer) erkend"))
    return problems


def is_candidate(student: StudentData, place: PlaceData, *, on: date) -> bool:
    return not failed_rules(student, place, on=on)

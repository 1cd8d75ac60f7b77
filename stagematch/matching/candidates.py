"""Hard rules for a (student, place) pair. These are never learned: a pair that breaks one is not a
candidate, whatever a model would say."""

from __future__ import annotations

from datetime import date, timedelta

from stagematch.geo import distance_km
from stagematch.matching.data import PlaceData, StudentData


def failed_rules(student: StudentData, place: PlaceData, *, on: date) -> list[str]:
    problems = []
    if student.leerweg != place.leerweg:
        problems.append("andere leerweg")
    if student.crebo not in place.crebos and student.dossier not in place.dossiers:
        problems.append("andere opleiding")
    elif student.crebo not in place.crebos and place.level != student.level:
        problems.append("ander niveau")
    if (
        student.lat is not None
        and distance_km(student.lat, student.lon, place.lat, place.lon) > student.max_travel_km
    ):
        problems.append("te ver weg")
    end = place.start_date + timedelta(weeks=place.duration_weeks)
    if student.available_from is not None and student.available_from > end:
        problems.append("plek is voorbij voordat je kunt beginnen")
    if end < on:
        problems.append("plek is al voorbij")
    if place.seats_free <= 0:
        problems.append("geen plaats vrij")
    if place.meester.active_learners >= place.meester.capacity:
        problems.append("meester heeft geen ruimte")
    if not place.accreditation_current:
        problems.append("bedrijf niet (meer) erkend")
    return problems


def is_candidate(student: StudentData, place: PlaceData, *, on: date) -> bool:
    return not failed_rules(student, place, on=on)

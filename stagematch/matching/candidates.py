"""Hard rules for a (student, place) pair. These are never learned: a pair that breaks one is not a
candidate, whatever a model would say."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

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


def candidate_pairs(
    students: Sequence[StudentData],
    places: Sequence[PlaceData],
    *,
    on: date,
    max_cells: int = 2_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Every (student, place) pair that `failed_rules` lets through, vectorised: returns index
    arrays (si, pj) into `students` and `places`, grouped by student."""
    from stagematch.matching.features import haversine_km

    n = len(places)
    if not students or not n:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    end = np.array([(p.start_date + timedelta(weeks=p.duration_weeks)).toordinal() for p in places])
    usable = np.array(
        [
            p.seats_free > 0
            and p.meester.active_learners < p.meester.capacity
            and p.accreditation_current
            for p in places
        ],
        dtype=bool,
    ) & (end >= on.toordinal())
    lat = np.array([p.lat for p in places], dtype=float)
    lon = np.array([p.lon for p in places], dtype=float)
    level = np.array([p.level for p in places])
    # Places per leerweg and dossier, and per leerweg and crebo: only those can pass the leerweg
    # and opleiding rules (own crebo, or the dossier at the student's level).
    by_dossier: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_crebo: dict[tuple[str, str], list[int]] = defaultdict(list)
    for j, p in enumerate(places):
        if usable[j]:
            for dossier in p.dossiers:
                by_dossier[(p.leerweg, dossier)].append(j)
            for crebo in p.crebos:
                by_crebo[(p.leerweg, crebo)].append(j)
    by_group: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(students):
        by_group[(s.leerweg, s.dossier, s.crebo)].append(i)
    out_i, out_j = [], []
    for (leerweg, dossier, crebo), members in by_group.items():
        cols = np.array(
            sorted({*by_dossier.get((leerweg, dossier), ()), *by_crebo.get((leerweg, crebo), ())}),
            dtype=np.intp,
        )
        if not len(cols):
            continue
        own = np.array([crebo in places[j].crebos for j in cols], dtype=bool)
        same_dossier = np.array([dossier in places[j].dossiers for j in cols], dtype=bool)
        step = max(1, max_cells // len(cols))
        for start in range(0, len(members), step):
            rows = members[start : start + step]
            chunk = [students[i] for i in rows]
            ok = own | (
                same_dossier & (level[cols][None, :] == np.array([s.level for s in chunk])[:, None])
            )
            slat = np.array([np.nan if s.lat is None else s.lat for s in chunk])
            slon = np.array([np.nan if s.lon is None else s.lon for s in chunk])
            travel = np.array([s.max_travel_km for s in chunk], dtype=float)
            d = haversine_km(slat[:, None], slon[:, None], lat[cols][None, :], lon[cols][None, :])
            ok &= np.isnan(slat)[:, None] | (d <= travel[:, None])
            available = np.array(
                [s.available_from.toordinal() if s.available_from else 0 for s in chunk]
            )
            ok &= available[:, None] <= end[cols][None, :]
            r, c = np.nonzero(ok)
            out_i.append(np.asarray(rows, dtype=np.intp)[r])
            out_j.append(cols[c])
    if not out_i:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    return np.concatenate(out_i), np.concatenate(out_j)

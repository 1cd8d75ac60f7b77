"""Metamorphic checks of a match model (issue 16, part 7), as plain functions over plain data: the
suite (tests/test_ranking_metamorphic.py) and the activation gate (`stagematch.ranking.gate`) run
the same checks.

Change one thing about a (student, place) pair in a direction that can only make the place better,
and the score must not go down (`CHECKS`); change something the model must never read (`PROTECTED`),
and no score, order, label or reason may change. Every check counts its cases and its failures; the
structure is enforced by construction (sign constraints), so 0 failures is the only pass."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date

import numpy as np

from stagematch.matching.data import PlaceData, StudentData
from stagematch.matching.features import build_features

Pair = tuple[StudentData, PlaceData]


def _meester(place: PlaceData, **change) -> PlaceData:
    return dataclasses.replace(place, meester=dataclasses.replace(place.meester, **change))


def _with_gezel(place: PlaceData, gezel: bool) -> PlaceData:
    return dataclasses.replace(
        place, gezel=gezel, meester=dataclasses.replace(place.meester, has_gezel=gezel)
    )


def _revisit(student, place_id: int, n: int) -> frozenset[tuple[int, int]]:
    """The student's revisits with the place's set to `n` more days."""
    kept = {(p, k) for p, k in student.revisits if p != place_id}
    return frozenset(kept | {(place_id, n)} if n else kept)


def _sibling(s: StudentData) -> str:
    """A crebo of the student's dossier that is not the student's own."""
    return "99999" if s.crebo != "99999" else "99998"


# Each check: (better, worse) versions of one pair; the score of `better` must be >= `worse`.
CHECKS: dict[str, Callable[[StudentData, PlaceData], tuple[Pair, Pair]]] = {
    "nearer": lambda s, p: (
        (s, dataclasses.replace(p, lat=(p.lat + s.lat) / 2, lon=(p.lon + s.lon) / 2)),
        (s, p),
    ),
    "more hours for supervision": lambda s, p: (
        (s, _meester(p, hours_per_week=p.meester.hours_per_week + 2)),
        (s, p),
    ),
    "fewer learners per meester": lambda s, p: (
        (s, p),
        (s, _meester(p, active_learners=p.meester.active_learners + 1)),
    ),
    "better ratings": lambda s, p: (
        (s, _meester(p, ratings_n=max(6, p.meester.ratings_n), rating_mean=4.4)),
        (s, _meester(p, ratings_n=max(6, p.meester.ratings_n), rating_mean=2.6)),
    ),
    "more good completions": lambda s, p: (
        (s, _meester(p, finished=p.meester.finished + 4, completed_ok=p.meester.completed_ok + 4)),
        (s, _meester(p, finished=p.meester.finished + 4)),
    ),
    "more good completions at the company": lambda s, p: (
        (
            s,
            dataclasses.replace(
                p, company_finished=p.company_finished + 5, company_ok=p.company_ok + 5
            ),
        ),
        (s, dataclasses.replace(p, company_finished=p.company_finished + 5)),
    ),  # fmt: skip
    "trained meester": lambda s, p: (
        (s, _meester(p, trained=True)),
        (s, _meester(p, trained=False)),
    ),
    "gezel on the place": lambda s, p: ((s, _with_gezel(p, True)), (s, _with_gezel(p, False))),
    "the company answers more applications": lambda s, p: (
        (
            s,
            dataclasses.replace(
                p, company_asked=p.company_asked + 10, company_answered=p.company_answered + 10
            ),
        ),
        (
            s,
            dataclasses.replace(
                p, company_asked=p.company_asked + 10, company_answered=p.company_answered + 2
            ),
        ),
    ),  # fmt: skip
    "fewer open applications per free seat": lambda s, p: (
        (s, p),
        (s, dataclasses.replace(p, open_applications=p.open_applications + 3)),
    ),
    "the student opened the place's page": lambda s, p: (
        (dataclasses.replace(s, viewed=s.viewed | {p.id}), p),
        (dataclasses.replace(s, viewed=s.viewed - {p.id}), p),
    ),
    "the student came back to the place's page on another day": lambda s, p: (
        (dataclasses.replace(s, viewed=s.viewed | {p.id}, revisits=_revisit(s, p.id, 1)), p),
        (dataclasses.replace(s, viewed=s.viewed | {p.id}, revisits=_revisit(s, p.id, 0)), p),
    ),
    "the student saved the place": lambda s, p: (
        (dataclasses.replace(s, saved=s.saved | {p.id}), p),
        (dataclasses.replace(s, saved=s.saved - {p.id}), p),
    ),
    "own crebo over a sibling of the dossier": lambda s, p: (
        (s, dataclasses.replace(p, crebos=frozenset({s.crebo}), dossiers=frozenset({s.dossier}))),
        (
            s,
            dataclasses.replace(
                p, crebos=frozenset({_sibling(s)}), dossiers=frozenset({s.dossier})
            ),
        ),
    ),  # fmt: skip
}

PROTECTED = {
    "name": "Mohammed El Amrani",
    "gender": "v",
    "birth_date": date(1990, 1, 1),
    "nationality": "Syrisch",
    "accessibility_needs": "rolstoel",
    "photo": "foto.jpg",
}


def usable(pairs: Sequence[Pair]) -> list[Pair]:
    """The pairs every check can be made on (both sides have a location)."""
    return [(s, p) for s, p in pairs if s.lat is not None and s.lon is not None]


def scores(model, pairs: Sequence[Pair]) -> np.ndarray:
    """The model's scores; with no model, the transparent rule's (fitted on these places)."""
    if model is None:
        from stagematch.matching.features import fit_context
        from stagematch.matching.model import rule_score

        context = fit_context([p for _, p in pairs])
        return rule_score(build_features(list(pairs), context))
    return model.predict(build_features(list(pairs), model.context))


def monotonic_failures(model, pairs: Sequence[Pair], check: str, *, context=None) -> int:
    """How many of `pairs` score lower after the change `check` makes them better."""
    better, worse = zip(*(CHECKS[check](s, p) for s, p in pairs), strict=True)
    if model is None:
        from stagematch.matching.features import fit_context
        from stagematch.matching.model import rule_score

        context = context or fit_context([p for _, p in pairs])
        high = rule_score(build_features(list(better), context))
        low = rule_score(build_features(list(worse), context))
    else:
        high, low = scores(model, better), scores(model, worse)
    return int(np.sum(high < low))


def invariance_failures(model, pairs: Sequence[Pair], *, students: int = 15) -> tuple[int, int]:
    """(cases, failures): for up to `students` students with two places or more among `pairs`, each
    protected attribute (and all of them at once) changed; a failure is any change in the places'
    order, scores, labels or reasons."""
    from stagematch.matching.model import rank

    by_student: dict[int, tuple[StudentData, list[PlaceData]]] = {}
    for s, p in pairs:
        by_student.setdefault(s.id, (s, []))[1].append(p)
    chosen = [(s, places) for s, places in by_student.values() if len(places) >= 2][:students]

    def shown(student, places):
        return [(r.place.id, r.score, r.label, r.reasons) for r in rank(model, student, places)]

    cases = failures = 0
    for s, places in chosen:
        ours = shown(s, places)
        variants = [dataclasses.replace(s, **{f: v}) for f, v in PROTECTED.items()]
        variants.append(dataclasses.replace(s, **PROTECTED))
        for variant in variants:
            cases += 1
            failures += shown(variant, places) != ours
    return cases, failures


def run_checks(model, pairs: Sequence[Pair]) -> list[dict]:
    """Every check on `pairs`: one row {name, cases, failures} each, the invariance last."""
    pairs = usable(pairs)
    rows = [
        {"name": check, "cases": len(pairs), "failures": monotonic_failures(model, pairs, check)}
        for check in CHECKS
    ]
    cases, failures = invariance_failures(model, pairs)
    rows.append(
        {"name": "protected attributes change nothing", "cases": cases, "failures": failures}
    )
    return rows

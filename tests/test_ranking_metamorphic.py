"""Metamorphic tests of the match model trained on the demo (issue 16, part 7): change one thing
about a (student, place) pair in a direction that can only make the place better, and the score
must not go down; change something the model must never read, and nothing may change at all.

The model is trained once for the module on a small `flask demo` world (the same generator and
training as `flask train`), then probed with plain data: a few hundred pairs that the eligibility
rules allow, each changed in the documented way. Every check counts its cases and its failures;
the structure is enforced by construction (sign constraints), so 0 failures is the only pass."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest
from sqlalchemy import delete, select

from stagematch.extensions import db
from stagematch.matching.data import PlaceData, StudentData
from stagematch.matching.features import build_features
from stagematch.matching.model import rank

REFERENCE_TABLES = {"qualification", "school", "alembic_version"}


@pytest.fixture(scope="module")
def world(app):
    """(model, pairs): the model trained on a demo world, and up to 600 allowed pairs of it."""
    from stagematch.demo import generate
    from stagematch.matching.eligibility import candidate_pairs
    from stagematch.matching.model import train
    from stagematch.models import StudentProfile
    from stagematch.ranking import load_places, students_by_id, training_examples
    from stagematch.timeutil import today

    with app.app_context():
        try:
            generate(students=2500, companies=500, seed=11)
            model = train(training_examples(), random_state=0)
            ids = db.session.scalars(
                select(StudentProfile.id)
                .where(StudentProfile.lat.is_not(None))
                .order_by(StudentProfile.id)
            ).all()
            students = students_by_id(ids[::10])
            places = load_places()
            si, pj = candidate_pairs(students, places, on=today())
            step = max(1, len(si) // 600)
            pairs = [(students[i], places[j]) for i, j in zip(si[::step], pj[::step], strict=True)]
        finally:
            db.session.rollback()
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    db.session.execute(delete(table))
            db.session.commit()
            db.session.remove()
    assert len(pairs) >= 200, len(pairs)
    return model, pairs


def _scores(model, pairs: list[tuple[StudentData, PlaceData]]) -> np.ndarray:
    return model.predict(build_features(pairs, model.context))


def _meester(place: PlaceData, **change) -> PlaceData:
    return dataclasses.replace(place, meester=dataclasses.replace(place.meester, **change))


def _with_gezel(place: PlaceData, gezel: bool) -> PlaceData:
    return dataclasses.replace(
        place, gezel=gezel, meester=dataclasses.replace(place.meester, has_gezel=gezel)
    )


def _sibling(s: StudentData) -> str:
    """A crebo of the student's dossier that is not the student's own."""
    return "99999" if s.crebo != "99999" else "99998"


# Each check: (better, worse) versions of one pair; the score of `better` must be >= `worse`.
CHECKS = {
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


@pytest.mark.parametrize("check", list(CHECKS))
def test_a_better_place_never_scores_lower(world, check):
    model, pairs = world
    better, worse = zip(*(CHECKS[check](s, p) for s, p in pairs), strict=True)
    high, low = _scores(model, list(better)), _scores(model, list(worse))
    failures = int(np.sum(high < low))
    assert failures == 0, f"{check}: {failures} of {len(pairs)} cases scored lower"


def test_the_transparent_rule_respects_the_same_structure(world):
    from stagematch.matching.features import fit_context
    from stagematch.matching.model import rule_score

    _, pairs = world
    context = fit_context([p for _, p in pairs])
    for check in ("nearer", "more hours for supervision", "better ratings", "trained meester"):
        better, worse = zip(*(CHECKS[check](s, p) for s, p in pairs), strict=True)
        high = rule_score(build_features(list(better), context))
        low = rule_score(build_features(list(worse), context))
        assert int(np.sum(high < low)) == 0, check


PROTECTED = {
    "name": "Mohammed El Amrani",
    "gender": "v",
    "birth_date": date(1990, 1, 1),
    "nationality": "Syrisch",
    "accessibility_needs": "rolstoel",
    "photo": "foto.jpg",
}


@pytest.mark.parametrize("ranked_by", ["model", "rule"])
def test_protected_attributes_change_no_score_order_or_reason(world, ranked_by):
    model, pairs = world
    chosen = model if ranked_by == "model" else None
    by_student: dict[int, tuple[StudentData, list[PlaceData]]] = {}
    for s, p in pairs:
        by_student.setdefault(s.id, (s, []))[1].append(p)
    students = [(s, places) for s, places in by_student.values() if len(places) >= 2][:15]
    assert len(students) >= 5

    def shown(student, places):
        return [(r.place.id, r.score, r.label, r.reasons) for r in rank(chosen, student, places)]

    for s, places in students:
        ours = shown(s, places)
        for field, value in PROTECTED.items():
            assert shown(dataclasses.replace(s, **{field: value}), places) == ours, field
        everything = dataclasses.replace(s, **PROTECTED)
        assert shown(everything, places) == ours

"""Metamorphic tests of the match model trained on the demo (issue 16, part 7): change one thing
about a (student, place) pair in a direction that can only make the place better, and the score
must not go down; change something the model must never read, and nothing may change at all.

The model is trained once for the module on a small `flask demo` world (the same generator and
training as `flask train`), then probed with plain data: a few hundred pairs that the eligibility
rules allow, each changed in the documented way. Every check counts its cases and its failures;
the structure is enforced by construction (sign constraints), so 0 failures is the only pass.
The checks themselves live in `stagematch.matching.metamorphic` (the activation gate runs them too)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from stagematch.extensions import db
from stagematch.matching.metamorphic import (
    CHECKS,
    PROTECTED,
    invariance_failures,
    monotonic_failures,
)

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


@pytest.mark.parametrize("check", list(CHECKS))
def test_a_better_place_never_scores_lower(world, check):
    model, pairs = world
    failures = monotonic_failures(model, pairs, check)
    assert failures == 0, f"{check}: {failures} of {len(pairs)} cases scored lower"


def test_the_transparent_rule_respects_the_same_structure(world):
    _, pairs = world
    for check in ("nearer", "more hours for supervision", "better ratings", "trained meester"):
        assert monotonic_failures(None, pairs, check) == 0, check


@pytest.mark.parametrize("ranked_by", ["model", "rule"])
def test_protected_attributes_change_no_score_order_or_reason(world, ranked_by):
    model, pairs = world
    cases, failures = invariance_failures(model if ranked_by == "model" else None, pairs)
    assert cases >= 5 * (len(PROTECTED) + 1)
    assert failures == 0, f"{failures} of {cases} cases changed"

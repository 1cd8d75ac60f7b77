"""The match ranking on the site: training from the database, the registry and its fallback, the
rule when there is no model, and reasons that come from the ranking itself."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import ModelVersion, User
from stagematch.ranking import active_model, models_folder, recommendations, training_examples


@pytest.fixture
def demo(runner):
    result = runner.invoke(
        args=["demo", "--students", "2500", "--companies", "500", "--seed", "11"]
    )
    assert result.exit_code == 0, result.output
    return db.session.scalar(
        select(User).where(User.email == "student1@demo.stagematch.nl")
    ).profile


def test_without_a_model_the_rule_ranks_and_says_so(client, auth, demo):
    assert active_model() is None
    result = recommendations(demo, limit=5)
    assert result.ranked_by == "rule" and result.hits
    assert all(h.label and h.reasons for h in result.hits)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    auth.login(db.session.get(User, demo.user_id), "stagematch-demo")
    page = client.get("/plekken/").get_data(as_text=True)
    assert "omdat het matchmodel nog niet getraind is" in page


def test_train_registers_a_model_that_ranks_the_site(client, auth, runner, demo):
    output = runner.invoke(args=["train"]).output
    assert "NDCG@10" in output and "afstand (Stagemarkt)" in output
    version = db.session.scalar(select(ModelVersion))
    assert version.active and (models_folder() / version.artifact).is_file()
    result = recommendations(demo, limit=5)
    assert result.ranked_by == "model"
    assert all(0 <= h.score <= 1 for h in result.hits)
    auth.login(db.session.get(User, demo.user_id), "stagematch-demo")
    assert "ons model schat in" in client.get("/plekken/").get_data(as_text=True)
    assert "omdat het matchmodel nog niet getraind is" not in client.get("/plekken/").get_data(
        as_text=True
    )


def test_training_examples_do_not_see_their_own_outcome(demo):
    examples = training_examples()
    assert len(examples) > 200
    # Leave-one-out: no example's meester facts include its own rating or completion.
    for e in examples[:200]:
        assert e.place.meester.completed_ok <= e.place.meester.finished
        assert e.place.company_ok <= e.place.company_finished


def test_broken_artifact_falls_back_to_the_previous_version(runner, demo, caplog):
    runner.invoke(args=["train"])
    runner.invoke(args=["train"])
    first, second = db.session.scalars(select(ModelVersion).order_by(ModelVersion.id)).all()
    assert second.active
    (models_folder() / second.artifact).write_bytes(b"not a model")
    # No cache to clear: a changed or missing file is noticed by itself.
    with caplog.at_level(logging.WARNING):
        model = active_model()
    assert model is not None and "falling back" in caplog.text
    (models_folder() / first.artifact).unlink()
    assert active_model() is None  # nothing loads: the rule takes over, no error
    assert recommendations(demo, limit=3).ranked_by == "rule"


def test_admin_model_card_and_activation(client, auth, make, runner, demo):
    runner.invoke(args=["train"])
    runner.invoke(args=["train"])
    auth.login(make.admin())
    page = client.get("/beheer/model").get_data(as_text=True)
    for text in (
        "NDCG@10",
        "afstand (Stagemarkt)",
        "nieuwste eerst",
        "alleen SQI",
        "Belang van kenmerken",
    ):
        assert text in page
    first = db.session.scalar(select(ModelVersion).order_by(ModelVersion.id))
    client.post("/beheer/model", data={"version": first.id})
    db.session.refresh(first)
    assert first.active
    # Activating the version that is active already keeps it active (and the only one).
    client.post("/beheer/model", data={"version": first.id})
    db.session.expire_all()
    assert [v.id for v in db.session.scalars(select(ModelVersion).where(ModelVersion.active))] == [
        first.id
    ]


def test_batch_ranking_equals_the_ranker_and_keeps_the_hard_rules(runner, demo):
    import numpy as np

    from stagematch.matching.eligibility import failed_rules
    from stagematch.models import StudentProfile
    from stagematch.ranking import Ranker, load_places, rank_students, student_data
    from stagematch.timeutil import today

    output = runner.invoke(args=["train"]).output
    assert active_model() is not None, output
    on = today()
    places = {p.id: p for p in load_places()}
    profiles = db.session.scalars(
        select(StudentProfile).where(StudentProfile.lat.is_not(None)).order_by(StudentProfile.id)
    ).all()
    chosen = [demo, *profiles[:: max(1, len(profiles) // 6)][:6]]
    batch = rank_students([p.id for p in chosen], top=10)
    assert any(batch[p.id] for p in chosen)
    for profile in chosen:
        student = student_data(profile)
        allowed = [pid for pid, p in places.items() if not failed_rules(student, p, on=on)]
        scores = Ranker(profile)(allowed)
        expected = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))[:10]
        got = batch[profile.id]
        assert [pid for pid, _ in got] == [pid for pid, _ in expected]
        assert np.allclose([s for _, s in got], [s for _, (s, _) in expected])
        # Every pair is one that the hard rules allow.
        assert all(not failed_rules(student, places[pid], on=on) for pid, _ in got)

    # Over all students: no pair that failed_rules would reject; every student's list best first.
    everyone = rank_students([p.id for p in profiles], top=None)
    students = {p.id: student_data(p) for p in profiles}
    for sid, ranked in everyone.items():
        assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
        assert all(not failed_rules(students[sid], places[pid], on=on) for pid, _ in ranked)
    # And none that the rules allow is missing (checked for a few students).
    for profile in profiles[:20]:
        allowed = {
            pid for pid, p in places.items() if not failed_rules(students[profile.id], p, on=on)
        }
        assert {pid for pid, _ in everyone[profile.id]} == allowed


def test_place_loader_equals_the_per_kind_queries(demo):
    """load_places reads in one statement what meester_facts and friends read kind by kind."""
    from stagematch.models import Placement
    from stagematch.ranking import company_completion, meester_facts, place_data

    placements = db.session.scalars(select(Placement).order_by(Placement.id).limit(300)).all()
    places = place_data(placements)
    assert [p.id for p in places] == [p.id for p in placements]
    facts = meester_facts([p.meester_id for p in placements])
    completion = company_completion([p.company_id for p in placements])
    from stagematch.services.capacity import place_rooms

    rooms = place_rooms([p.id for p in placements])
    for placement, place in zip(placements, places, strict=True):
        # The load and the gezel are the place's own: learners over its period, its own gezel.
        assert place.meester == dataclasses.replace(
            facts[placement.meester_id], active_learners=rooms[placement.id].meester_active,
            has_gezel=placement.gezel_id is not None,
        )  # fmt: skip
        assert (place.seats_free, place.meester_room, place.gezel_room) == (
            rooms[placement.id].seats_free, rooms[placement.id].meester_room, rooms[placement.id].gezel_room,
        )  # fmt: skip
        assert (place.company_finished, place.company_ok) == completion.get(
            placement.company_id, (0, 0)
        )
        assert place.crebos == {q.crebo for q in placement.qualifications}
        assert place.accredited_crebos == {
            q.crebo for q in placement.qualifications
            if placement.company.accredited_for(q.id, placement.start_date)
        }  # fmt: skip
        assert place.gezel == (placement.gezel_id is not None)


def today_():
    from stagematch.timeutil import today

    return today()

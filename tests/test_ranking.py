"""The match ranking on the site: training from the database (point in time, evaluated per
student), the registry and its fallback, the rule when there is no model, and reasons that come
from the ranking itself."""

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


@pytest.fixture
def gate_passes(monkeypatch):
    """`flask train` on the small demo registers a version that fails the gate (it does not beat
    the rule for sure; tests/test_gate.py); tests of a site with a model let it pass."""
    import stagematch.ranking.gate as gate

    real = gate.run_gate
    monkeypatch.setattr(gate, "run_gate", lambda *a, **k: {**real(*a, **k), "passed": True})


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


def test_train_registers_a_model_that_ranks_the_site(client, auth, runner, demo, gate_passes):
    output = runner.invoke(args=["train"]).output
    assert "NDCG@10" in output and "afstand (Stagemarkt)" in output
    # The per-student table: every baseline and the rule, intervals, the paired difference.
    for text in ("per student", "nieuwste eerst", "alleen SQI", "de regel (zonder model)",
                 "95 %", "verschil", "gekozen op"):  # fmt: skip
        assert text in output, text
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
    """Issue 16: history was counted over all time. Every session's facts are those of its day:
    no meester's completions include an internship that ended on or after it."""
    from stagematch.models import Internship

    sessions = training_examples()
    assert len(sessions) > 200
    ended: dict[int, list] = {}
    for i in db.session.scalars(select(Internship).where(Internship.ended_at.is_not(None))):
        ended.setdefault(i.meester_id, []).append(i.ended_at)
    checked = 0
    for s in sessions[:300]:
        for place in s.places:
            before = sum(1 for day in ended.get(place.meester_id, ()) if day < s.on)
            assert place.meester.finished == before, (s.student.id, place.id)
            assert place.meester.completed_ok <= place.meester.finished
            assert place.company_ok <= place.company_finished
            checked += 1
    assert checked > 300
    # The meester's load is the load of that day, not zero (issue 16: train/serve skew).
    assert any(p.meester.active_learners > 0 for s in sessions for p in s.places)


def test_training_sessions_hold_each_feature_as_it_was_when_the_student_applied(make):
    """One meester, seen on the day D a student applied: a learner agreed before D counts, one
    agreed after does not; an internship that ended before D counts in completions and ratings,
    one that ended after D counts in neither; the student's own place is on offer and graded."""
    from datetime import datetime, timedelta

    from stagematch.matching.data import GOOD
    from stagematch.models import Application, Evaluation, Internship
    from stagematch.models.enums import (
        ApplicationStatus,
        EvaluationAuthor,
        EvaluationMoment,
        InternshipOutcome,
        InternshipStatus,
        PlacementStatus,
    )

    day = today_() - timedelta(days=200)
    at = lambda n: datetime.combine(day + timedelta(days=n), datetime.min.time())  # noqa: E731
    company = make.company()
    meester = make.meester(company, capacity=3, hours_per_week=6)

    def place(start: int, weeks: int, published: int = -60):
        return make.placement(company, meester, start_date=day + timedelta(days=start),
                              duration_weeks=weeks, status=PlacementStatus.FILLED,
                              published_at=at(published), confirmed_at=at(published))  # fmt: skip

    def internship(placement, *, agreed: int, ended: int | None, outcome=None):
        student = make.student()
        i = Internship(
            student_id=student.profile.id, placement=placement, school_id=student.profile.school_id,
            meester_id=meester.id, start_date=placement.start_date,
            end_date=day + timedelta(days=ended) if ended is not None else placement.end_date,
            status=InternshipStatus.COMPLETED if outcome else InternshipStatus.ACTIVE,
            outcome=outcome, ended_at=day + timedelta(days=ended) if ended is not None else None,
            created_at=at(agreed),
        )  # fmt: skip
        db.session.add(i)
        db.session.flush()
        return i

    def rating(i, submitted: int, value: int):
        db.session.add(Evaluation(
            internship_id=i.id, author_role=EvaluationAuthor.STUDENT, moment=EvaluationMoment.FINAL,
            due_date=day + timedelta(days=submitted), submitted_at=at(submitted),
            supervision_time=value, feedback=value, learning_tasks=value, safety=value, overall=value,
        ))  # fmt: skip

    target = place(30, 20, published=-10)
    early = internship(place(-150, 10), agreed=-170, ended=-80, outcome=InternshipOutcome.SUCCESS)
    rating(early, -80, 5)
    internship(place(10, 20), agreed=-20, ended=150, outcome=InternshipOutcome.SUCCESS)  # load on D
    internship(
        place(40, 10), agreed=5, ended=120, outcome=InternshipOutcome.SUCCESS
    )  # agreed later
    late = internship(place(-290, 40), agreed=-300, ended=20, outcome=InternshipOutcome.DROPPED_OUT)
    rating(late, 10, 1)
    student = make.student()
    db.session.add(Application(student_id=student.profile.id, placement=target,
                               status=ApplicationStatus.ACCEPTED, created_at=at(0)))  # fmt: skip
    db.session.add(Internship(
        student_id=student.profile.id, placement=target, school_id=student.profile.school_id,
        meester_id=meester.id, start_date=target.start_date, end_date=target.end_date,
        status=InternshipStatus.COMPLETED, outcome=InternshipOutcome.SUCCESS,
        ended_at=target.end_date, created_at=at(2),
    ))  # fmt: skip
    db.session.commit()

    [session] = [s for s in training_examples() if s.student.id == student.profile.id]
    assert session.on == day
    [seen] = [p for p in session.places if p.id == target.id]
    assert seen.meester.active_learners == 1
    assert (seen.meester.finished, seen.meester.completed_ok) == (1, 1)
    assert (seen.meester.ratings_n, seen.meester.rating_mean) == (1, 5.0)
    assert (seen.company_finished, seen.company_ok) == (1, 1)
    assert session.grades[session.places.index(seen)] == GOOD
    assert session.success is True and session.started == session.places.index(seen)


def test_broken_artifact_falls_back_to_the_previous_version(runner, demo, caplog, gate_passes):
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


def test_admin_model_card_and_activation(client, auth, make, runner, demo, gate_passes):
    runner.invoke(args=["train"])
    runner.invoke(args=["train"])
    auth.login(make.admin())
    page = client.get("/beheer/model").get_data(as_text=True)
    for text in (
        "NDCG@10",
        "afstand (Stagemarkt)",
        "nieuwste eerst",
        "alleen SQI",
        "de regel (zonder model)",
        "Belang van kenmerken",
        "per student",
        "verschil met het model",
        "Zo gekozen",
        "Wat het model leert",
        "nooit slechter",
    ):
        assert text in page, text
    first = db.session.scalar(select(ModelVersion).order_by(ModelVersion.id))
    # Activating goes through the review page with a recorded decision.
    review = client.post("/beheer/model", data={"version": first.id})
    assert review.headers["Location"].endswith(f"/beheer/model/{first.id}/beoordelen")
    assert "Blijft in top 10" in client.get(review.headers["Location"]).get_data(as_text=True)
    client.post(review.headers["Location"],
                data={"besluit": "activeren", "toelichting": "Terug naar de eerste versie."})  # fmt: skip
    db.session.refresh(first)
    assert first.active
    # The version that is active already is not reviewed again; it stays the only active one.
    client.get(review.headers["Location"])
    db.session.expire_all()
    assert [v.id for v in db.session.scalars(select(ModelVersion).where(ModelVersion.active))] == [
        first.id
    ]


def test_batch_ranking_equals_the_ranker_and_keeps_the_hard_rules(runner, demo, gate_passes):
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


def _places_on_offer(make, day, n: int) -> list:
    """`n` open places of one meester, published 80 days before `day`, starting 60 days after."""
    from datetime import datetime, timedelta

    from stagematch.models.enums import PlacementStatus

    published = datetime.combine(day - timedelta(days=80), datetime.min.time())
    company = make.company()
    meester = make.meester(company, capacity=5, hours_per_week=8)
    return [
        make.placement(company, meester, start_date=day + timedelta(days=60), duration_weeks=20,
                       status=PlacementStatus.OPEN, published_at=published, confirmed_at=published)
        for _ in range(n)
    ]  # fmt: skip


def test_sessions_and_lists_see_the_places_a_student_opened_and_saved_before(make):
    """The interaction signals as they stood (issue 16: learn per student from what they do): a
    session begun on day D has the place pages the student opened in the 60 days before D and the
    places saved before D — not a page opened on D itself or later, not one opened 70 days
    before, not a place saved after D. The site's own lists read the same signals up to now."""
    from datetime import datetime, timedelta

    from stagematch.models import Application, SavedPlace
    from stagematch.models.enums import ApplicationStatus
    from stagematch.models.interaction import Interaction, InteractionKind
    from stagematch.ranking.data import interest, student_data

    day = today_() - timedelta(days=30)
    at = lambda n: datetime.combine(day + timedelta(days=n), datetime.min.time())  # noqa: E731
    target, same_day, long_ago, saved_late = _places_on_offer(make, day, 4)
    student = make.student()
    sid = student.profile.id

    def view(place, n):
        db.session.add(Interaction(kind=InteractionKind.PLACE_VIEW, student_id=sid,
                                   place_id=place.id, at=at(n) + timedelta(hours=10)))  # fmt: skip

    view(target, -5)
    view(same_day, 0)
    view(long_ago, -70)
    db.session.add(SavedPlace(student_id=sid, placement_id=target.id, created_at=at(-3)))
    db.session.add(SavedPlace(student_id=sid, placement_id=saved_late.id, created_at=at(1)))
    db.session.add(Application(student_id=sid, placement=target,
                               status=ApplicationStatus.SUBMITTED, created_at=at(0)))  # fmt: skip
    db.session.commit()

    [session] = [s for s in training_examples() if s.student.id == sid]
    assert session.on == day
    assert session.student.viewed == {target.id}
    assert session.student.saved == {target.id}

    now = interest([sid])[sid]  # today: D − 5 and D are within 60 days, D − 70 is not
    assert now.viewed == {target.id, same_day.id}
    assert now.saved == {target.id, saved_late.id}
    assert student_data(student.profile, views=True).viewed == now.viewed
    assert student_data(student.profile).viewed == frozenset()  # others' lists never read them


def test_coming_back_to_a_place_counts_the_days_it_was_opened(make):
    """A place whose page the student opened on several days is a stronger sign than one look
    (`revisits`: the days more than one): counted per calendar day, in the 60 days before a
    session's day for training and up to now for the student's own lists; two opens on one day
    are one day."""
    from datetime import datetime, timedelta

    from stagematch.models import Application
    from stagematch.models.enums import ApplicationStatus
    from stagematch.models.interaction import Interaction, InteractionKind
    from stagematch.ranking.data import interest, student_data

    day = today_() - timedelta(days=20)
    at = lambda n: datetime.combine(day + timedelta(days=n), datetime.min.time())  # noqa: E731
    thrice, once_twice, applied = _places_on_offer(make, day, 3)
    student = make.student()
    sid = student.profile.id
    for place, n, hour in ((thrice, -9, 9), (thrice, -4, 9), (thrice, -1, 9), (thrice, 2, 9),
                           (once_twice, -2, 9), (once_twice, -2, 15)):  # fmt: skip
        db.session.add(Interaction(kind=InteractionKind.PLACE_VIEW, student_id=sid,
                                   place_id=place.id, at=at(n) + timedelta(hours=hour)))  # fmt: skip
    db.session.add(Application(student_id=sid, placement=applied,
                               status=ApplicationStatus.SUBMITTED, created_at=at(0)))  # fmt: skip
    db.session.commit()

    [session] = [s for s in training_examples() if s.student.id == sid]
    assert session.student.viewed == {thrice.id, once_twice.id}
    assert session.student.revisits == {(thrice.id, 2)}  # day 2 is after the session began

    now = interest([sid])[sid]
    assert now.revisits == {(thrice.id, 3)}
    assert student_data(student.profile, views=True).revisits == now.revisits
    assert student_data(student.profile).revisits == frozenset()

    from stagematch.matching.features import FEATURES, build_features, fit_context
    from stagematch.ranking import place_data

    shown = student_data(student.profile, views=True)
    places = place_data([thrice, once_twice, applied])
    X = build_features([(shown, p) for p in places], fit_context(places))  # noqa: N806
    assert X[:, FEATURES.index("revisits")].tolist() == [3.0, 0.0, 0.0]
    assert X[:, FEATURES.index("viewed")].tolist() == [1.0, 1.0, 0.0]

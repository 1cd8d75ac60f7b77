"""The interaction log (issue 16, part 1): one row per ranked list shown (the places in order, their
scores, the model version), a row per place view and per step of an application, never a broken
request when the log fails, and rows older than the retention period deleted every night."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from stagematch.extensions import db
from stagematch.models import Interaction, ModelVersion
from stagematch.services import applications as service
from stagematch.services import interactions
from stagematch.timeutil import today, utcnow


@pytest.fixture
def world(make):
    """Three open places for a student's qualification, at different distances from Hengelo."""
    q = make.qualification()
    places = []
    for town in ("Hengelo", "Enschede", "Almelo"):
        company = make.company(town=town, qualifications=[q])
        meester = make.meester(company, capacity=3)
        places.append(make.placement(company, meester, seats=2, title=f"Stage {town}"))
    student = make.student(qualification=q, town="Hengelo")
    db.session.commit()
    return dict(q=q, places=places, student=student, profile=student.profile)


def _rows(kind: str | None = None) -> list[Interaction]:
    db.session.expire_all()
    query = select(Interaction).order_by(Interaction.id)
    if kind is not None:
        query = query.where(Interaction.kind == kind)
    return list(db.session.scalars(query))


def test_the_student_home_logs_one_row_per_list_with_the_order_shown(client, auth, world):
    auth.login(world["student"])
    page = client.get("/student/").get_data(as_text=True)
    [row] = _rows("list_shown")
    assert row.student_id == world["profile"].id and row.model_version_id is None  # the rule
    assert row.payload["source"] == "home" and row.payload["page"] == 1
    shown = row.payload["places"]
    assert sorted(shown) == sorted(p.id for p in world["places"])
    # The order of the row is the order on the page.
    titles = [p.title for p in sorted(world["places"], key=lambda p: shown.index(p.id))]
    assert [page.index(t) for t in titles] == sorted(page.index(t) for t in titles)
    assert len(row.payload["scores"]) == len(shown)
    assert row.payload["scores"] == sorted(row.payload["scores"], reverse=True)
    client.get("/student/")
    assert len(_rows("list_shown")) == 2  # one per list shown, not one per place


def test_search_by_relevance_is_logged_other_orders_are_not(client, auth, world):
    auth.login(world["student"])
    assert client.get("/plekken/?sort=relevance").status_code == 200
    [row] = _rows("list_shown")
    assert row.payload["source"] == "search" and len(row.payload["places"]) == 3
    client.get("/plekken/?sort=start")
    assert len(_rows("list_shown")) == 1


def test_a_list_records_the_model_version_that_ranked_it(world):
    from stagematch.ranking import log_shown, recommendations

    version = ModelVersion(family="x", n_examples=1, date_from="2025-01-01", date_to="2025-01-02",
                           features="[]", metrics="[]", importances="{}", artifact="x.joblib")  # fmt: skip
    db.session.add(version)
    db.session.commit()
    result = recommendations(world["profile"], limit=5)
    result.ranker.version_id = version.id
    result.ranked_by = "model"
    log_shown(result, source="home")
    [row] = _rows("list_shown")
    assert row.model_version_id == version.id
    assert row.payload["places"] == [h.placement.id for h in result.hits]


def test_place_views_are_logged_for_students_and_visitors(client, auth, world, make):
    place = world["places"][0]
    client.get(f"/plekken/{place.id}")  # a visitor
    auth.login(world["student"])
    client.get(f"/plekken/{place.id}")
    assert [(r.student_id, r.place_id) for r in _rows("place_view")] == [
        (None, place.id),
        (world["profile"].id, place.id),
    ]


def test_every_step_of_an_application_is_logged(world, make):
    place, profile = world["places"][0], world["profile"]
    application = service.apply(student=profile, placement=place, motivation="Graag.")
    service.shortlist(application)
    service.make_offer(application.id, respond_by=today() + timedelta(days=5))
    service.decline_offer(application.id)
    other = service.apply(student=profile, placement=world["places"][1], motivation="Graag.")
    service.withdraw(other)
    third = service.apply(student=profile, placement=world["places"][2], motivation="Graag.")
    service.make_offer(third.id, respond_by=today() + timedelta(days=5))
    internship = service.accept_offer(third.id)
    service.end_internship(internship, outcome="success", terminated=False)
    rows = [(r.kind, r.student_id, r.place_id) for r in _rows()]
    a, b, c = (p.id for p in world["places"])
    assert rows == [
        ("apply", profile.id, a), ("shortlist", profile.id, a), ("offer", profile.id, a),
        ("decline", profile.id, a), ("apply", profile.id, b), ("withdraw", profile.id, b),
        ("apply", profile.id, c), ("offer", profile.id, c), ("accept", profile.id, c),
        ("complete", profile.id, c),
    ]  # fmt: skip
    assert _rows("complete")[0].payload == {"outcome": "success", "terminated": False}


def test_an_evaluation_is_logged_with_its_scores(world, make):
    from stagematch.services import evaluations

    place, profile = world["places"][0], world["profile"]
    application = service.apply(student=profile, placement=place, motivation="Graag.")
    service.make_offer(application.id, respond_by=today() + timedelta(days=5))
    internship = service.accept_offer(application.id)
    internship.start_date = today() - timedelta(days=120)
    evaluation = next(e for e in internship.evaluations if e.author_role == "student")
    evaluation.due_date = today()
    db.session.commit()
    evaluations.submit_student(evaluation, supervision_time=4, feedback=3, learning_tasks=4,
                               safety=5, overall=4, mostly_routine=False, comment="")  # fmt: skip
    row = _rows("evaluate")[0]
    assert (row.student_id, row.place_id) == (profile.id, place.id)
    assert row.payload["author"] == "student" and row.payload["overall"] == 4


def test_a_failing_log_never_breaks_the_request(client, auth, world, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(interactions, "insert", broken)
    auth.login(world["student"])
    with caplog.at_level(logging.WARNING):
        assert client.get("/student/").status_code == 200
        assert client.get(f"/plekken/{world['places'][0].id}").status_code == 200
        application = service.apply(
            student=world["profile"], placement=world["places"][0], motivation="Graag."
        )
    assert application.id is not None and "not logged" in caplog.text
    assert _rows() == []


def test_a_bad_row_is_rolled_back_and_the_session_still_works(world, caplog):
    with caplog.at_level(logging.WARNING):
        interactions.log_event("place_view", place_id=10**9)  # no such place: the FK refuses
    assert "not logged" in caplog.text and _rows() == []
    interactions.log_event("place_view", place_id=world["places"][0].id)
    assert len(_rows()) == 1


def test_the_nightly_cleanup_deletes_rows_older_than_the_retention(app, world):
    from stagematch import tasks

    now = utcnow()
    db.session.execute(
        insert(Interaction.__table__),
        [
            {"at": now - timedelta(days=days), "kind": "place_view", "payload": {}}
            for days in (1, 100, 729, 731, 2000)
        ],
    )
    db.session.commit()
    tasks.nightly_cleanup.call_local()
    left = sorted((now - r.at).days for r in _rows())
    assert left == [1, 100, 729]
    before = app.config.get("INTERACTION_RETENTION_DAYS")
    app.config["INTERACTION_RETENTION_DAYS"] = 30
    try:
        tasks.nightly_cleanup.call_local()
    finally:
        app.config.pop("INTERACTION_RETENTION_DAYS")
        if before is not None:
            app.config["INTERACTION_RETENTION_DAYS"] = before
    assert db.session.scalar(select(func.count(Interaction.id))) == 1

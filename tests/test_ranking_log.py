"""The ranking log (issue 19, item 1): every ranked list served — the student's home, search by
relevance, the API, the students suggested to a company, an allocation round's default orders —
is one row with who asked, the model version, every candidate with its position and score and
which were shown; kept RANKING_LOG_DAYS (at least 183) and then deleted by the nightly cleanup;
exported per school with `flask export-ranking-log`; shown to an administrator."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from stagematch.extensions import db
from stagematch.matching.features import FEATURES, fit_context
from stagematch.matching.model import TrainedModel
from stagematch.models import Interaction, ModelVersion
from stagematch.services.tokens import create_token
from stagematch.timeutil import today, utcnow


class _Nearest:
    """A stand-in estimator: the nearer the place, the higher the score."""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(X[:, FEATURES.index("distance_km")] / 10 - 1))
        return np.column_stack([1 - p, p])


@pytest.fixture
def world(make):
    """Four open places for the student's qualification around Hengelo; a second student of the
    same school who lets companies find them."""
    q = make.qualification()
    places = []
    for town in ("Hengelo", "Enschede", "Almelo", "Borne"):
        company = make.company(town=town, qualifications=[q])
        meester = make.meester(company, capacity=3)
        places.append(make.placement(company, meester, seats=2, title=f"Stage {town}"))
    student = make.student(qualification=q, town="Hengelo", discoverable=True)
    other = make.student(qualification=q, town="Enschede", discoverable=True)
    db.session.commit()
    return dict(q=q, places=places, student=student, profile=student.profile, other=other)


@pytest.fixture
def model(world, monkeypatch):
    """An active model version (a registered row and a stand-in model that scores by distance)."""
    import stagematch.ranking
    import stagematch.ranking.rankers as rankers
    from stagematch.ranking import place_data

    version = ModelVersion(family="test", n_examples=1, date_from="2025-01-01", date_to="2025-01-02",
                           features="[]", metrics="[]", importances="{}", artifact="x.joblib")  # fmt: skip
    db.session.add(version)
    db.session.commit()
    trained = TrainedModel(
        estimator=_Nearest(), family="test", context=fit_context(place_data(world["places"])),
        features=list(FEATURES), reference=np.zeros(len(FEATURES)), metrics=[], importances={},
        n_examples=1, date_range=("2025-01-01", "2025-01-02"),
    )  # fmt: skip
    trained.version_id = version.id
    monkeypatch.setattr(rankers, "active_model", lambda: trained)
    monkeypatch.setattr(stagematch.ranking, "active_model", lambda: trained)
    return version


def _lists() -> list[Interaction]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Interaction).where(Interaction.kind == "list_shown").order_by(Interaction.id)
        )
    )


def _check_ranked(row: Interaction, *, shown_key: str = "places") -> None:
    """Candidates best first with scores, the shown ones at their positions with the same scores."""
    p = row.payload
    candidates = p["candidates"]
    assert candidates and p["n_candidates"] == len(candidates)
    scores = [s for _id, s in candidates]
    assert all(isinstance(s, float) for s in scores) and scores == sorted(scores, reverse=True)
    shown = candidates[p["offset"] : p["offset"] + p["shown"]]
    assert [i for i, _s in shown] == p[shown_key] and [s for _i, s in shown] == p["scores"]


# --- every path that serves a ranked list ----------------------------------------------------------


def test_the_home_page_logs_who_the_version_and_every_candidate(client, auth, world, model):
    auth.login(world["student"])
    assert client.get("/student/").status_code == 200
    [row] = _lists()
    assert row.model_version_id == model.id and row.student_id == world["profile"].id
    assert row.payload["source"] == "home" and row.payload["who"] == world["student"].id
    _check_ranked(row)
    # The nearest place first: the model ranked it.
    assert row.payload["candidates"][0][0] == world["places"][0].id


def test_search_by_relevance_logs_page_two_at_its_positions(
    client, auth, world, model, monkeypatch
):
    import stagematch.ranking.rankers as rankers
    from stagematch.services import search as search_module

    real = search_module.search
    monkeypatch.setattr(
        rankers, "search", lambda filters, **kw: real(filters, **{**kw, "per_page": 2})
    )
    auth.login(world["student"])
    assert client.get("/plekken/?sort=relevance&page=2").status_code == 200
    [row] = _lists()
    assert row.payload["source"] == "search" and row.payload["who"] == world["student"].id
    assert row.model_version_id == model.id
    assert row.payload["offset"] == 2 and row.payload["shown"] == 2 and row.payload["page"] == 2
    assert len(row.payload["candidates"]) == 4
    _check_ranked(row)
    client.get("/plekken/?sort=start")
    assert len(_lists()) == 1  # another order is not a ranked list


def test_the_rule_ranks_when_there_is_no_model_and_the_log_says_so(client, auth, world):
    auth.login(world["student"])
    client.get("/plekken/?sort=relevance")
    [row] = _lists()
    assert row.model_version_id is None
    _check_ranked(row)


def test_the_api_logs_its_ranked_lists_with_the_token_owner(client, world, model, make):
    student_secret = create_token(world["student"], "test")[1]
    coordinator = make.coordinator(school=world["profile"].school)
    db.session.commit()
    coordinator_secret = create_token(coordinator, "test")[1]
    r = client.get("/api/v1/places?sort=relevance",
                   headers={"Authorization": f"Bearer {student_secret}"})  # fmt: skip
    assert r.status_code == 200 and r.json["ranked_by"] == "model"
    r = client.get(f"/api/v1/students/{world['profile'].id}/matches",
                   headers={"Authorization": f"Bearer {coordinator_secret}"})  # fmt: skip
    assert r.status_code == 200
    places, matches = _lists()
    assert places.payload["source"] == "api_places" and places.payload["who"] == world["student"].id
    assert matches.payload["source"] == "api_matches" and matches.payload["who"] == coordinator.id
    for row in (places, matches):
        assert row.model_version_id == model.id and row.student_id == world["profile"].id
        _check_ranked(row)
    assert matches.payload["places"] == [item["place_id"] for item in r.json["items"]]


def test_the_students_suggested_to_a_company_are_logged(client, auth, world, model, make):
    place = world["places"][0]
    user = make.company_user(place.company)
    db.session.commit()
    auth.login(user)
    assert client.get(f"/leerbedrijf/plekken/{place.id}").status_code == 200
    [row] = _lists()
    assert row.payload["source"] == "suggested" and row.payload["who"] == user.id
    assert row.student_id is None and row.place_id == place.id and row.model_version_id == model.id
    assert set(row.payload["students"]) == {world["profile"].id, world["other"].profile.id}
    _check_ranked(row, shown_key="students")


def test_an_allocation_round_logs_each_students_default_order_in_one_insert(world, model, make):
    from stagematch.services import allocation_rounds as rounds
    from stagematch.services import interactions

    coordinator = make.coordinator(school=world["profile"].school)
    db.session.commit()
    calls = []
    real = interactions.log_lists
    rounds.log_lists = lambda rows: (calls.append(len(rows)), real(rows))
    try:
        round_ = rounds.open_round(
            school=world["profile"].school, name="Ronde 1", closes_on=today() + timedelta(days=7),
            max_choices=2, cohort=rounds.Cohort(qualification_id=world["q"].id), created_by=coordinator,
        )  # fmt: skip
    finally:
        rounds.log_lists = real
    rows = _lists()
    assert calls == [2] and len(rows) == 2  # one executemany for both students
    for row in rows:
        assert row.payload["source"] == "allocation" and row.payload["round"] == round_.id
        assert row.payload["who"] == coordinator.id and row.model_version_id == model.id
        assert row.payload["shown"] == 2 and row.payload["offset"] == 0
        _check_ranked(row)
        choices = rounds.student_choices(round_, row.student_id)
        assert choices == row.payload["places"]  # the default choices are the logged top two


def test_a_meesters_queue_in_the_models_order_is_logged_when_the_company_sees_it(
    client, auth, world, model, make
):
    """The company's side of a round: the students who chose a meester's places, in the model's
    order until the company saves its own — an allocation default like the students' lists."""
    from stagematch.services import allocation_rounds as rounds

    coordinator = make.coordinator(school=world["profile"].school)
    round_ = rounds.open_round(
        school=world["profile"].school, name="Ronde 1", closes_on=today() + timedelta(days=7),
        max_choices=4, cohort=rounds.Cohort(qualification_id=world["q"].id), created_by=coordinator,
    )  # fmt: skip
    place = world["places"][0]
    owner = make.company_user(place.company)
    before = len(_lists())
    auth.login(owner)
    assert client.get(f"/leerbedrijf/verdeelrondes/{round_.id}").status_code == 200
    [row] = _lists()[before:]
    p = row.payload
    assert p["source"] == "allocation_queue" and p["round"] == round_.id
    assert p["meester"] == place.meester_id and p["who"] == owner.id
    assert row.model_version_id == model.id and row.place_id is None and row.student_id is None
    [queue] = rounds.meester_queues(round_, place.company_id)
    assert p["students"] == [a.student_id for a in queue.applicants]
    _check_ranked(row, shown_key="students")
    # Once the company saved its own order, the model no longer orders the queue: nothing logged.
    rounds.save_meester_ranking(round_, queue.mentor,
                                {a.student_id: i + 1 for i, a in enumerate(reversed(queue.applicants))})  # fmt: skip
    client.get(f"/leerbedrijf/verdeelrondes/{round_.id}")
    assert len(_lists()) == before + 1


# --- retention ----------------------------------------------------------------------------------


def test_the_ranking_log_is_pruned_after_its_period_other_interactions_keep_theirs(app, world):
    from stagematch import tasks

    now = utcnow()
    rows = [
        {"at": now - timedelta(days=days), "kind": kind, "payload": {"days": days}}
        for kind in ("list_shown", "place_view")
        for days in (1, 182, 184, 400, 731)
    ]
    db.session.execute(insert(Interaction.__table__), rows)
    db.session.commit()
    assert app.config["RANKING_LOG_DAYS"] == 183
    tasks.nightly_cleanup.call_local()
    db.session.expire_all()
    left = sorted((r.kind, r.payload["days"]) for r in db.session.scalars(select(Interaction)))
    assert left == [("list_shown", 1), ("list_shown", 182),
                    ("place_view", 1), ("place_view", 182), ("place_view", 184), ("place_view", 400)]  # fmt: skip
    app.config["RANKING_LOG_DAYS"] = 365
    try:
        db.session.execute(insert(Interaction.__table__),
                           [{"at": now - timedelta(days=300), "kind": "list_shown", "payload": {"days": 300}}])  # fmt: skip
        db.session.commit()
        tasks.nightly_cleanup.call_local()
    finally:
        app.config["RANKING_LOG_DAYS"] = 183
    assert (
        db.session.scalar(
            select(func.count(Interaction.id)).where(Interaction.kind == "list_shown")
        )
        == 3
    )


def test_a_ranking_log_period_under_six_months_refuses_to_start():
    from stagematch import create_app

    with pytest.raises(RuntimeError, match="RANKING_LOG_DAYS"):
        create_app("test", {"RANKING_LOG_DAYS": 90})


# --- export ------------------------------------------------------------------------------------


def _served(client, auth, world, make):
    """The student's home list, and the company's suggested students (both students of the school)."""
    auth.login(world["student"])
    client.get("/student/")
    auth.logout()
    place = world["places"][1]
    auth.login(make.company_user(place.company))
    client.get(f"/leerbedrijf/plekken/{place.id}")
    auth.logout()


def test_export_writes_the_schools_lists_per_candidate(
    runner, client, auth, world, model, make, tmp_path
):
    from stagematch.models import School

    _served(client, auth, world, make)
    other_school = db.session.scalar(select(School).where(School.id != world["profile"].school_id))
    stranger = make.student(qualification=world["q"], town="Hengelo", school=other_school)
    db.session.commit()
    auth.login(stranger)
    client.get("/student/")  # another school's list: not in the export
    out = tmp_path / "log.csv"
    school = world["profile"].school.name
    result = runner.invoke(args=["export-ranking-log", "--school", school.upper(), "--since",
                                 (date.today() - timedelta(days=1)).isoformat(), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 ranglijsten" in result.output
    lines = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    home = [line for line in lines if line["bron"] == "home"]
    assert {line["student_id"] for line in home} == {str(world["profile"].id)}
    assert [line["positie"] for line in home] == ["1", "2", "3", "4"]
    assert all(line["modelversie"] == str(model.id) and line["score"] for line in home)
    assert home[0]["plek_id"] == str(world["places"][0].id) and home[0]["getoond"] == "ja"
    suggested = [line for line in lines if line["bron"] == "suggested"]
    assert {line["plek_id"] for line in suggested} == {str(world["places"][1].id)}
    assert suggested and all(line["gevraagd_door"] for line in suggested)
    # JSON lines: one line per list.
    result = runner.invoke(args=["export-ranking-log", "--school", school, "--since", "2020-01-01",
                                 "--out", str(tmp_path / "log.jsonl"), "--format", "jsonl"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["source"] for r in rows] == ["home", "suggested"]
    assert rows[0]["candidates"][0][:2] == [1, world["places"][0].id]


def test_export_refuses_an_unknown_school_and_a_bad_date(runner, world, tmp_path):
    out = tmp_path / "log.csv"
    result = runner.invoke(args=["export-ranking-log", "--school", "Nergens", "--since", "2026-01-01",
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code != 0 and "Onbekende school 'Nergens'" in result.output
    school = world["profile"].school.name
    result = runner.invoke(args=["export-ranking-log", "--school", school, "--since", "2026-02-30",
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code != 0 and "Ongeldige datum '2026-02-30'" in result.output
    assert not out.exists()


# --- the administrator's page ---------------------------------------------------------------------


def test_the_administrator_sees_and_filters_the_lists(client, auth, world, model, make):
    _served(client, auth, world, make)
    auth.login(make.admin())
    assert "/beheer/ranglijsten" in client.get("/beheer").get_data(as_text=True)  # reachable
    page = client.get("/beheer/ranglijsten").get_data(as_text=True)
    assert "2 ranglijsten gevonden" in page
    assert "Startpagina student" in page and "Voorgestelde studenten" in page
    assert f"model, versie {model.id}" in page and world["student"].name in page
    assert "<details>" in page and "4 getoond van 4" in page
    page = client.get("/beheer/ranglijsten?bron=home").get_data(as_text=True)
    assert "1 ranglijst gevonden" in page and "Voorgestelde studenten</td>" not in page
    page = client.get(
        f"/beheer/ranglijsten?school={world['profile'].school_id}&van=2020-01-01"
    ).get_data(as_text=True)
    assert "1 ranglijst gevonden" in page  # the suggested list belongs to no one school
    assert "0 ranglijsten gevonden" in client.get(
        f"/beheer/ranglijsten?student={world['profile'].id + 1000}"
    ).get_data(as_text=True)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert "0 ranglijsten" in client.get(f"/beheer/ranglijsten?van={tomorrow}").get_data(
        as_text=True
    )


def test_bad_filters_come_back_with_a_dutch_message(client, auth, world, make):
    auth.login(make.admin())
    response = client.get("/beheer/ranglijsten?van=31-02-2026&student=abc")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vul een bestaande datum in" in page and 'value="31-02-2026"' in page
    assert "Een studentnummer in StageMatch is een getal." in page and 'value="abc"' in page

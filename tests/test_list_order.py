"""Working without the model (issue 19, item 2): a student or coordinator switches the order of the
lists the model orders to distance or start date; the site remembers the choice (`User.list_order`),
the list holds the same places in the other order, and the model is not asked at all."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import AuditEvent, RoundChoice, User
from stagematch.ranking import rankers
from stagematch.services import DomainError
from stagematch.services import allocation_rounds as rounds
from stagematch.services.list_order import set_list_order
from stagematch.services.tokens import create_token
from stagematch.timeutil import today

TOWNS = ("Hengelo", "Borne", "Enschede", "Almelo")  # near to far from Hengelo


@pytest.fixture
def world(make):
    """Four open places for the student's qualification; the farther, the earlier it starts (so
    distance order and start order differ)."""
    q = make.qualification()
    places = []
    for i, town in enumerate(TOWNS):
        t = geo.find_town(town)
        company = make.company(town=town, qualifications=[q])
        meester = make.meester(company, capacity=3)
        places.append(make.placement(company, meester, seats=2, title=f"Stage {town}",
                                     start_date=today() + timedelta(days=60 - 10 * i),
                                     city=t.name, lat=t.lat, lon=t.lon))  # fmt: skip
    student = make.student(qualification=q, town="Hengelo")
    db.session.commit()
    return dict(q=q, places=places, student=student, profile=student.profile)


@pytest.fixture
def ranker_calls(monkeypatch):
    """How often a `Ranker` (the model's scoring of one student's list) was made."""
    calls = []
    original = rankers.Ranker.__init__

    def counting(self, profile):
        calls.append(profile.id)
        original(self, profile)

    monkeypatch.setattr(rankers.Ranker, "__init__", counting)
    return calls


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="plek-(\d+)"', html)]


def _by_distance(world) -> list[int]:
    return [p.id for p in world["places"]]  # built near to far


def _by_start(world) -> list[int]:
    return [p.id for p in sorted(world["places"], key=lambda p: p.start_date)]


def _selected(html: str, value: str) -> bool:
    """The option `value` of a select is the selected one."""
    pattern = rf'<option[^>]*\bselected\b[^>]*value="{value}"|value="{value}"[^>]*\bselected'
    return re.search(pattern, html) is not None


def _order_of(user_id: int) -> str | None:
    db.session.expire_all()
    return db.session.get(User, user_id).list_order


def test_home_in_distance_order_shows_the_same_places_and_is_remembered(
    client, auth, world, ranker_calls
):
    auth.login(world["student"])
    home = client.get("/student/").get_data(as_text=True)
    by_model = _ids(home)
    assert sorted(by_model) == sorted(_by_distance(world)) and ranker_calls
    assert "Volgorde" in home and "beste match" in home  # the control and its explanation

    response = client.post("/student/volgorde", data={"order": "distance", "next": "/student/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/student/")
    assert _order_of(world["student"].id) == "distance"
    ranker_calls.clear()
    home = client.get("/student/").get_data(as_text=True)
    assert _ids(home) == _by_distance(world)  # same set, in distance order
    assert set(_ids(home)) == set(by_model)
    assert ranker_calls == []  # the model was not asked
    assert "dichtstbij eerst" in home and "Aanbevolen voor jou" not in home  # no claim of a match

    client.post("/student/volgorde", data={"order": "start"})
    assert _order_of(world["student"].id) == "start"
    assert _ids(client.get("/student/").get_data(as_text=True)) == _by_start(world)
    assert ranker_calls == []

    client.post("/student/volgorde", data={"order": "model"})
    client.get("/student/")
    assert _order_of(world["student"].id) == "model" and ranker_calls


def test_a_bad_order_is_refused_with_a_dutch_message_and_nothing_stored(client, auth, world):
    auth.login(world["student"])
    client.post("/student/volgorde", data={"order": "distance"})
    page = client.post("/student/volgorde", data={"order": "pay"}, follow_redirects=True)
    assert "Kies een volgorde" in page.get_data(as_text=True)
    assert _order_of(world["student"].id) == "distance"
    with pytest.raises(DomainError):
        set_list_order(user=world["student"], order="x" * 11)


def test_search_uses_the_remembered_order_and_an_explicit_sort_wins(
    client, auth, world, ranker_calls
):
    auth.login(world["student"])
    client.post("/student/volgorde", data={"order": "start", "next": "/plekken/?sort=pay"})
    ranker_calls.clear()
    page = client.get("/plekken/").get_data(as_text=True)
    assert _ids(page) == _by_start(world) and ranker_calls == []
    assert _selected(page, "start")  # the search form shows the order used
    # With filters of the student's own and no sort: still the remembered order.
    assert _ids(client.get("/plekken/?town=Hengelo&radius=25").get_data(as_text=True)) == _by_start(
        world
    )
    assert _ids(client.get("/plekken/?sort=distance").get_data(as_text=True)) == _by_distance(world)
    assert _order_of(world["student"].id) == "start"  # one request's sort is not remembered
    client.get("/plekken/?sort=relevance")
    assert ranker_calls  # asked for explicitly: the model orders


def test_the_api_takes_order_and_defaults_to_the_remembered_choice(client, world, ranker_calls):
    secret = create_token(world["student"], "test")[1]
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/students/{world['profile'].id}/matches"
    by_model = client.get(url, headers=headers).get_json()
    assert by_model["ranked_by"] in ("model", "rule") and ranker_calls
    ranker_calls.clear()

    body = client.get(url + "?order=distance", headers=headers).get_json()
    assert body["ranked_by"] == "distance"
    assert [i["place_id"] for i in body["items"]] == _by_distance(world)
    assert {i["place_id"] for i in body["items"]} == {i["place_id"] for i in by_model["items"]}
    assert body["items"][0]["score"] is None and ranker_calls == []

    bad = client.get(url + "?order=pay", headers=headers)
    assert bad.status_code == 400
    assert bad.get_json()["error"]["status"] == 400 and "order" in bad.get_json()["error"]["detail"]

    set_list_order(user=world["student"], order="start")
    body = client.get(url, headers=headers).get_json()
    assert body["ranked_by"] == "start" and [i["place_id"] for i in body["items"]] == _by_start(
        world
    )
    # The places search: order stands in for sort when sort is not given.
    places = client.get("/api/v1/places?order=distance&town=Hengelo", headers=headers).get_json()
    assert places["ranked_by"] == "distance"
    assert client.get("/api/v1/places?order=x", headers=headers).status_code == 400
    assert ranker_calls == []


def test_a_coordinators_api_default_is_their_own_choice(client, make, world):
    coordinator = make.coordinator(school=world["profile"].school)
    secret = create_token(coordinator, "test")[1]
    coordinator.list_order = "distance"
    db.session.commit()
    body = client.get(
        f"/api/v1/students/{world['profile'].id}/matches",
        headers={"Authorization": f"Bearer {secret}"},
    ).get_json()
    assert body["ranked_by"] == "distance"
    assert [i["place_id"] for i in body["items"]] == _by_distance(world)


# --- allocation rounds ---------------------------------------------------------------------------


@pytest.fixture
def cohort(make, world):
    """Two more students of the same school and qualification, and a coordinator."""
    students = [world["profile"]] + [
        make.student(qualification=world["q"], town=t).profile for t in ("Almelo", "Enschede")
    ]
    coordinator = make.coordinator(school=world["profile"].school)
    db.session.commit()
    return dict(students=students, coordinator=coordinator, q=world["q"])


def _audit(action: str) -> dict:
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()
    return json.loads(event.detail)


def test_a_round_opened_and_computed_without_the_model(client, auth, world, cohort, monkeypatch):
    from stagematch import ranking

    scored = []
    monkeypatch.setattr(ranking, "rank_students", lambda *a, **k: scored.append(1) or {})
    auth.login(cohort["coordinator"])
    form = client.get("/coordinator/verdeelrondes/nieuw").get_data(as_text=True)
    assert 'name="order"' in form
    response = client.post("/coordinator/verdeelrondes/nieuw", data={
        "name": "Zonder model", "qualification": cohort["q"].id, "leerweg": "", "level": "",
        "closes_on": (today() + timedelta(days=7)).isoformat(), "max_choices": 4, "order": "distance",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    assert scored == []  # the model was not asked for the starting order
    assert _audit("round.open")["order"] == "distance"
    assert _order_of(cohort["coordinator"].id) == "distance"  # remembered for the next round
    round_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    # Starting choices: nearest first.
    for profile in cohort["students"]:
        choices = db.session.scalars(
            select(RoundChoice.placement_id)
            .where(RoundChoice.round_id == round_id, RoundChoice.student_id == profile.id)
            .order_by(RoundChoice.rank)
        ).all()
        places = {p.id: p for p in world["places"]}
        km = [
            geo.distance_km(profile.lat, profile.lon, places[i].lat, places[i].lon) for i in choices
        ]
        assert choices and km == sorted(km)
    assert _selected(
        client.get("/coordinator/verdeelrondes/nieuw").get_data(as_text=True), "distance"
    )

    page = client.get(f"/coordinator/verdeelrondes/{round_id}").get_data(as_text=True)
    assert 'name="order"' in page
    monkeypatch.setattr(rounds, "_pair_scores", lambda *a, **k: scored.append(1) or {})
    client.post(f"/coordinator/verdeelrondes/{round_id}/berekenen", data={"order": "distance"})
    assert _audit("round.compute")["order"] == "distance" and scored == []
    client.post(f"/coordinator/verdeelrondes/{round_id}/heropenen")
    client.post(f"/coordinator/verdeelrondes/{round_id}/berekenen", data={"order": "model"})
    assert _audit("round.compute")["order"] == "model" and scored
    bad = client.post(
        f"/coordinator/verdeelrondes/{round_id}/berekenen",
        data={"order": "pay"},
        follow_redirects=True,
    )
    assert "Kies een volgorde" in bad.get_data(as_text=True)


def test_without_the_model_a_meester_takes_the_nearest_of_the_students_they_did_not_rank(
    world, cohort
):
    borne = world["places"][1]
    borne.seats = 1
    db.session.commit()
    round_ = rounds.open_round(
        school=cohort["coordinator"].school, name="Afstand", closes_on=today() + timedelta(days=7),
        max_choices=2, cohort=rounds.Cohort(qualification_id=cohort["q"].id),
        created_by=cohort["coordinator"], order="distance",
    )  # fmt: skip
    for profile in cohort["students"]:  # everyone wants the one seat in Borne
        rounds.save_student_choices(round_, profile, {borne.id: 1})
    rounds.compute(round_, by=cohort["coordinator"], order="distance")
    db.session.expire_all()
    winner = next(m for m in round_.students if m.assigned_placement_id == borne.id)
    nearest = min(
        cohort["students"], key=lambda s: geo.distance_km(s.lat, s.lon, borne.lat, borne.lon)
    )
    assert winner.student_id == nearest.id
    with pytest.raises(DomainError, match="Kies een volgorde"):
        rounds.compute(round_, order="start")

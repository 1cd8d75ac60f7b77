"""Issue 19 item 3: "Waarom zie ik dit?" on every suggestion opens the full explanation (each
factor's contribution, the rules passed, the model version and its documented accuracy, how to
object); an objection lands with a named coordinator of the student's school, who answers; the
objector reads the answer; objections and answers are counted for the oversight report."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import ModelVersion, Notification, Objection, School
from stagematch.models.enums import Leerweg, PlacementStatus
from stagematch.services import objections as objection_service
from stagematch.timeutil import utcnow
from tests.test_notifications import _clear, _english, _login, _mails_to, check_sent

TEXT = "Ik wil niet in de bakkerij werken, ik zoek iets in de zorg."


@pytest.fixture
def world(make):
    company = make.company(name="Bakkerij Bol")
    owner = make.company_user(company)
    meester = make.meester(company, capacity=3)
    place = make.placement(company, meester, seats=2, title="Stage bakkerij")
    student = make.student(name="Sanne Visser", skills="bakken")
    coordinator = make.coordinator(student.school)
    db.session.commit()
    return dict(company=company, owner=owner, meester=meester, place=place, student=student,
                coordinator=coordinator)  # fmt: skip


def _why(place) -> str:
    return f"/plekken/{place.id}/waarom"


# --- the explanation ------------------------------------------------------------------------------


def test_the_explanation_without_a_model_shows_the_rules_parts_rules_and_date(client, auth, world):
    auth.login(world["student"])
    response = client.get(_why(world["place"]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (
        "Waarom zie ik dit?", "Stage bakkerij",
        "Afstand", "Begeleiding", "Past bij je opleiding", "Vergoeding",  # the rule's parts
        "punten",  # each part's contribution on the rule's scale
        "Zelfde leerweg", "Erkend leerbedrijf", "Binnen je reisafstand", "Arbeidstijdenwet",
        "regel zonder model", "Hoe werkt dit?", "Bezwaar maken",
    ):  # fmt: skip
        assert text in page, text
    assert utcnow().date().strftime("%Y") in page  # the date of the explanation


def test_the_explanation_is_refused_for_a_place_the_rules_do_not_allow(client, auth, make, world):
    company = world["company"]
    bbl = make.placement(company, world["meester"], leerweg=Leerweg.BBL, days_per_week=4)
    draft = make.placement(company, world["meester"], status=PlacementStatus.DRAFT)
    far = make.placement(make.company(town="Maastricht"), make.meester(company))
    db.session.commit()
    auth.login(world["student"])
    for place in (bbl, draft, far):
        assert client.get(_why(place)).status_code == 404
        assert client.post(_why(place), data={"text": TEXT}).status_code == 404
    assert client.get("/plekken/999999/waarom").status_code == 404
    assert db.session.scalar(select(Objection.id)) is None


def test_every_suggested_card_and_the_place_page_link_to_the_explanation(client, auth, world):
    auth.login(world["student"])
    link = _why(world["place"])
    assert link in client.get("/student/").get_data(as_text=True)  # home recommendations
    assert link in client.get("/plekken/?sort=relevance").get_data(as_text=True)
    assert link in client.get(f"/plekken/{world['place'].id}").get_data(as_text=True)
    # In another order than the model's there is no suggestion to explain.
    assert link not in client.get("/plekken/?sort=distance").get_data(as_text=True)


class _Model:
    """A stand-in for a trained model: a fixed logistic score over the features."""

    def __init__(self, places, version_id: int):
        from stagematch.matching.features import FEATURES, fit_context

        self.context = fit_context(places)
        self.features = list(FEATURES)
        self.reference = np.zeros(len(FEATURES))
        self.weights = np.zeros(len(FEATURES))
        self.weights[FEATURES.index("sqi")] = 0.02
        self.weights[FEATURES.index("distance_km")] = -0.05
        self.version_id = version_id
        self.family = "logistic regression"

    def predict(self, X):  # noqa: N803
        return 1 / (1 + np.exp(-(np.asarray(X, float) @ self.weights)))


def test_the_explanation_with_a_model_shows_contributions_version_and_accuracy(
    client, auth, world, monkeypatch
):
    from stagematch.ranking import place_data
    from stagematch.services import explanations

    metrics = [
        {"name": "model (logistic regression)", "kind": "model", "ndcg10": 0.4123,
         "ndcg10_lo": 0.39, "ndcg10_hi": 0.43},
        {"name": "de regel (zonder model)", "kind": "baseline", "ndcg10": 0.35,
         "diff": 0.0623, "diff_lo": 0.041, "diff_hi": 0.083},
    ]  # fmt: skip
    version = ModelVersion(family="logistic regression", n_examples=900, date_from="2025-01-01",
                           date_to="2025-06-01", features="[]", metrics=json.dumps(metrics),
                           importances="{}", artifact="x.joblib", active=True)  # fmt: skip
    db.session.add(version)
    db.session.commit()
    model = _Model(place_data([world["place"]]), version.id)
    monkeypatch.setattr(explanations, "active_model", lambda: model)
    explanation = explanations.explain_suggestion(world["student"].profile, world["place"])
    assert explanation["by"] == "model" and explanation["model_version_id"] == version.id
    factors = {f["group"]: f["contribution"] for f in explanation["factors"]}
    assert factors["supervision"] > 0 > factors["distance"]  # occlusion against the reference
    assert explanation["accuracy"]["ndcg10"] == 0.4123
    assert explanation["accuracy"]["lead"] == 0.0623
    auth.login(world["student"])
    page = client.get(_why(world["place"])).get_data(as_text=True)
    for text in (f"versie {version.id}", "NDCG@10", "0,41", "0,06", "0,04", "0,08",
                 "procentpunt", "logistic regression"):  # fmt: skip
        assert text in page, text
    assert "Er is nog geen getraind model actief" not in page


# --- objections -----------------------------------------------------------------------------------


def test_an_objection_reaches_the_right_coordinator_and_the_student_sees_the_answer(
    app, client, make, world, outbox
):
    school = world["student"].school
    busy = world["coordinator"]
    free = make.coordinator(school)  # a higher id, but fewer open objections
    other_school = make.coordinator(
        db.session.scalar(select(School).where(School.name == "Deltion College"))
    )
    other_student = make.student(school=school)
    db.session.add(Objection(school_id=school.id, role="student", student_id=other_student.profile.id,
                             raised_by_id=other_student.id, assigned_to_id=busy.id, text="Eerder bezwaar."))  # fmt: skip
    db.session.commit()
    _english(free)
    _clear(app)
    _login(client, world["student"])
    shown = client.get(_why(world["place"])).get_data(as_text=True)
    response = client.post(_why(world["place"]), data={"text": TEXT})
    assert response.status_code == 302
    client.post(_why(world["place"]), data={"text": TEXT})  # sent twice: still one objection
    assert len(db.session.scalars(select(Objection).where(Objection.text == TEXT)).all()) == 1
    objection = db.session.scalar(select(Objection).where(Objection.text == TEXT))
    assert objection.assigned_to_id == free.id and objection.school_id == school.id
    assert objection.role == "student" and objection.raised_by_id == world["student"].id
    assert objection.placement_id == world["place"].id
    assert objection.student_id == world["student"].profile.id
    # The explanation as the student saw it is kept with the objection.
    assert objection.explanation["placement_id"] == world["place"].id
    assert objection.explanation["factors"] and objection.explanation["rules"]
    assert free.name in client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Stage bakkerij" in shown
    notification = check_sent(app, client, outbox, free, "objection_raised",
                              repeat=lambda: objection_service.notify_raised(objection))  # fmt: skip
    assert notification.url == f"/coordinator/bezwaren/{objection.id}"
    assert not _mails_to(outbox, busy) and not _mails_to(outbox, other_school)

    # Only the school's coordinators see it; the assigned one answers.
    _login(client, other_school)
    assert client.get(f"/coordinator/bezwaren/{objection.id}").status_code == 404
    assert TEXT not in client.get("/coordinator/bezwaren").get_data(as_text=True)
    _login(client, free)
    listed = client.get("/coordinator/bezwaren").get_data(as_text=True)
    assert f"/coordinator/bezwaren/{objection.id}" in listed
    page = client.get(f"/coordinator/bezwaren/{objection.id}").get_data(as_text=True)
    # The coordinator reads English: the rules the student saw, in the reader's language.
    assert TEXT in page and "Stage bakkerij" in page and "Same learning pathway" in page
    short = client.post(f"/coordinator/bezwaren/{objection.id}", data={"answer": "ok"})
    assert short.status_code == 422 and "ok" in short.get_data(as_text=True)
    answer = "We hebben je profiel bekeken: zet zorg bij je interesses, dan zie je die plekken."
    assert (
        client.post(f"/coordinator/bezwaren/{objection.id}", data={"answer": answer}).status_code
        == 302
    )
    again = client.post(
        f"/coordinator/bezwaren/{objection.id}", data={"answer": "Nog een antwoord."}
    )
    assert again.status_code in (302, 422)
    db.session.expire_all()
    objection = db.session.get(Objection, objection.id)
    assert objection.answer == answer and objection.answered_by_id == free.id
    assert objection.answered_at is not None
    client.post("/account/uitloggen")

    notification = check_sent(app, client, outbox, world["student"], "objection_answered",
                              repeat=lambda: objection_service.notify_answered(objection))  # fmt: skip
    assert notification.url.startswith("/student/bezwaren")
    assert answer in _mails_to(outbox, world["student"])[0].get_content()
    _login(client, world["student"])
    own = client.get("/student/bezwaren").get_data(as_text=True)
    assert answer in own and TEXT in own
    # Another student sees none of it.
    _login(client, other_student)
    assert TEXT not in client.get("/student/bezwaren").get_data(as_text=True)


def test_a_bad_objection_comes_back_with_the_text_and_a_dutch_message(client, auth, world):
    auth.login(world["student"])
    for text in ("te kort", "x" * 2001):
        response = client.post(_why(world["place"]), data={"text": text})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert text in page and "tekens" in page
    assert db.session.scalar(select(Objection.id)) is None


def test_without_a_coordinator_the_objection_goes_to_an_administrator(client, auth, make, world):
    db.session.delete(world["coordinator"])
    admin = make.admin()
    db.session.commit()
    auth.login(world["student"])
    assert client.post(_why(world["place"]), data={"text": TEXT}).status_code == 302
    objection = db.session.scalar(select(Objection))
    assert objection.assigned_to_id == admin.id
    assert db.session.scalar(
        select(Notification.id).where(Notification.user_id == admin.id,
                                      Notification.kind == "objection_raised")
    )  # fmt: skip
    auth.logout()
    auth.login(admin)
    assert TEXT in client.get(f"/coordinator/bezwaren/{objection.id}").get_data(as_text=True)


def test_a_company_objects_to_a_suggested_student_without_seeing_who_it_is(
    app, client, auth, make, world, outbox
):
    suggested = make.student(name="Mila Jansen", discoverable=True, skills="deeg kneden")
    db.session.commit()
    url = f"/leerbedrijf/plekken/{world['place'].id}/voorgesteld/{suggested.profile.id}/waarom"
    auth.login(world["owner"])
    assert f"voorgesteld/{suggested.profile.id}/waarom" in client.get(
        f"/leerbedrijf/plekken/{world['place'].id}"
    ).get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "Waarom zie ik dit?" in page and "Afstand" in page and "Bezwaar maken" in page
    assert "Mila" not in page and "Jansen" not in page and suggested.email not in page
    assert suggested.school.name not in page
    # Not a suggestion (not discoverable) or not the company's place: nothing to explain.
    hidden = make.student(name="Verborgen Student")
    db.session.commit()
    assert (
        client.get(url.replace(str(suggested.profile.id), str(hidden.profile.id))).status_code
        == 404
    )
    _clear(app)
    text = "Deze student zoekt een BBL-plek, dit is een stage."
    assert client.post(url, data={"text": text}).status_code == 302
    objection = db.session.scalar(select(Objection))
    assert objection.role == "company" and objection.student_id == suggested.profile.id
    assert objection.assigned_to_id == world["coordinator"].id
    objection_service.answer(objection=objection, user=world["coordinator"],
                             text="Dank je, we spreken de student erover.")  # fmt: skip
    own = client.get("/leerbedrijf/bezwaren").get_data(as_text=True)
    assert text in own and "Dank je, we spreken de student erover." in own
    assert "Mila" not in own
    note = db.session.scalar(select(Notification).where(Notification.kind == "objection_answered"))
    assert note.user_id == world["owner"].id and note.url.startswith("/leerbedrijf/bezwaren")
    auth.logout()
    other = make.company_user()
    auth.login(other)
    assert client.get(url).status_code == 403
    assert text not in client.get("/leerbedrijf/bezwaren").get_data(as_text=True)


def test_counts_for_the_oversight_report(client, auth, make, world):
    school = world["student"].school
    coordinator = world["coordinator"]
    now = utcnow()
    rows = [
        ("student", now - timedelta(days=10), now - timedelta(days=8)),  # 2 days
        ("student", now - timedelta(days=6), now - timedelta(days=2)),  # 4 days
        ("company", now - timedelta(days=5), now - timedelta(days=4)),  # 1 day
        ("student", now - timedelta(days=1), None),
        ("company", now - timedelta(days=40), None),
    ]
    for role, created, answered in rows:
        db.session.add(Objection(school_id=school.id, role=role, assigned_to_id=coordinator.id,
                                 text="Bezwaar tegen dit voorstel.", created_at=created,
                                 answered_at=answered, answer="Antwoord." if answered else ""))  # fmt: skip
    other = db.session.scalar(select(School).where(School.name == "Deltion College"))
    db.session.add(Objection(school_id=other.id, role="student", text="Elders."))
    db.session.commit()
    counts = objection_service.counts(school=school)
    assert (counts["raised"], counts["answered"], counts["open"]) == (5, 3, 2)
    assert counts["median_days"] == 2.0
    assert counts["per_role"]["student"] == {
        "raised": 3,
        "answered": 2,
        "open": 1,
        "median_days": 3.0,
    }
    assert counts["per_role"]["company"] == {
        "raised": 2,
        "answered": 1,
        "open": 1,
        "median_days": 1.0,
    }
    assert objection_service.counts()["raised"] == 6
    assert objection_service.counts(school=school, since=now - timedelta(days=7))["raised"] == 3
    auth.login(coordinator)
    page = client.get("/coordinator/bezwaren").get_data(as_text=True)
    assert "5 ingediend" in page and "2 open" in page
    # Open first, then the newest.
    assert page.index("<strong>Open</strong>") < page.index("Antwoord gegeven")
    auth.logout()
    auth.login(make.admin())
    assert "6 ingediend" in client.get("/beheer").get_data(as_text=True)


def test_the_students_objections_are_in_their_data_export_and_erased_with_them(client, auth, world):
    from stagematch.services.privacy import anonymise_student

    auth.login(world["student"])
    client.post(_why(world["place"]), data={"text": TEXT})
    objection = db.session.scalar(select(Objection))
    objection_service.answer(
        objection=objection, user=world["coordinator"], text="Goed punt, dank je."
    )
    data = json.loads(
        zipfile.ZipFile(io.BytesIO(client.get("/student/mijn-gegevens.zip").data)).read("data.json")
    )
    [exported] = data["objections"]
    assert exported["text"] == TEXT and exported["answer"] == "Goed punt, dank je."
    anonymise_student(world["student"], reason="test")
    db.session.expire_all()
    objection = db.session.get(Objection, objection.id)
    assert objection.text == "" and objection.answered_at is not None  # still counted


def test_the_account_page_leads_students_and_companies_to_their_objections(
    client, auth, make, world
):
    auth.login(world["student"])
    assert "/student/bezwaren" in client.get("/account/").get_data(as_text=True)
    auth.logout()
    auth.login(make.company_user())
    assert "/leerbedrijf/bezwaren" in client.get("/account/").get_data(as_text=True)

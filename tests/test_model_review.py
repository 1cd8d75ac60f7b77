"""The review before activating a model version (issue 19, part 6): the administrator sees what
would change for which groups of students compared with what ranks now, and activating needs a
recorded decision with a reason (the audit log keeps it with the review's figures)."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.matching.features import FEATURES, fit_context
from stagematch.matching.model import TrainedModel
from stagematch.models import AuditEvent, ModelVersion
from stagematch.ranking import place_data
from stagematch.ranking.registry import models_folder
from stagematch.ranking.review import review
from tests.test_gate import _gate


class Nearest:
    """Nearer is better."""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(X[:, FEATURES.index("distance_km")] / 10 - 1))
        return np.column_stack([1 - p, p])


class Farthest:
    """Farther is better: a version that turns every list around."""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-X[:, FEATURES.index("distance_km")] / 10 + 1))
        return np.column_stack([1 - p, p])


@pytest.fixture
def world(make):
    q = make.qualification()
    places = []
    towns = ("Hengelo", "Enschede", "Almelo", "Borne", "Oldenzaal", "Zwolle", "Deventer")
    for town in towns * 2:  # 14 places: a top 10 leaves some out
        company = make.company(town=town, qualifications=[q])
        places.append(make.placement(company, make.meester(company, capacity=3), seats=2,
                                     title=f"Stage {town}"))  # fmt: skip
    for i in range(12):
        make.student(
            qualification=q, town=("Hengelo", "Enschede", "Almelo")[i % 3], max_travel_km=80
        )
    db.session.commit()
    return places


def _registered(places, estimator, name: str) -> ModelVersion:
    model = TrainedModel(
        estimator=estimator, family="test", context=fit_context(place_data(places)),
        features=list(FEATURES), reference=np.zeros(len(FEATURES)), metrics=[], importances={},
        n_examples=1, date_range=("2025-01-01", "2025-01-02"),
    )  # fmt: skip
    folder = models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / f"{name}.joblib")
    version = ModelVersion(family="test", n_examples=1, date_from="2025-01-01",
                           date_to="2025-01-02", features="[]", importances="{}",
                           metrics=json.dumps([{"name": "model", "kind": "model"}, _gate(True)]),
                           artifact=f"{name}.joblib")  # fmt: skip
    db.session.add(version)
    db.session.commit()
    return version


def test_the_review_shows_what_changes_per_group(world):
    near = _registered(world, Nearest(), "near")
    same = review(near)  # against the rule: the rule ranks mostly by distance too
    far = _registered(world, Farthest(), "far")
    from stagematch.ranking import activate

    activate(near)
    changed = review(far)
    overall = changed.groups[0]
    assert changed.active_id == near.id and changed.students == 12
    assert overall.group == "all" and overall.n == 12
    assert overall.first_changed == 1.0  # the nearest place is no longer first for anyone
    assert overall.distance_new > overall.distance_old
    assert {g.group for g in changed.groups} >= {"level", "leerweg", "age", "school"}
    # The same version against itself changes nothing.
    assert review(near).groups[0].overlap == 1.0 and review(near).groups[0].first_changed == 0.0
    assert same.active_id is None


def test_activating_needs_a_recorded_decision_with_a_reason(client, auth, make, world):
    near = _registered(world, Nearest(), "near")
    admin = make.admin()
    auth.login(admin)
    # The old button leads to the review, it does not activate by itself.
    response = client.post("/beheer/model", data={"version": near.id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/beheer/model/{near.id}/beoordelen")
    page = client.get(f"/beheer/model/{near.id}/beoordelen").get_data(as_text=True)
    assert "Blijft in top 10" in page and "alle studenten" in page
    assert not db.session.get(ModelVersion, near.id).active

    short = client.post(f"/beheer/model/{near.id}/beoordelen",
                        data={"besluit": "activeren", "toelichting": "ok"})  # fmt: skip
    assert short.status_code == 422 and "tekens" in short.get_data(as_text=True)
    assert 'value="activeren" checked' in short.get_data(as_text=True)  # the input comes back
    db.session.expire_all()
    assert not db.session.get(ModelVersion, near.id).active

    reason = "Afstand weegt zwaarder; top 10 van niveau 2 blijft gelijk."
    done = client.post(f"/beheer/model/{near.id}/beoordelen",
                       data={"besluit": "activeren", "toelichting": reason})  # fmt: skip
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ModelVersion, near.id).active
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "model.review"))
    detail = json.loads(event.detail)
    assert event.actor_id == admin.id and detail["decision"] == "activeren"
    assert detail["note"] == reason and detail["review"]["students"] == 12


def test_a_decision_not_to_activate_is_recorded_too_and_a_failing_version_cannot_be_activated(
    client, auth, make, world
):
    near = _registered(world, Nearest(), "near")
    failing = _registered(world, Farthest(), "far")
    failing.metrics = json.dumps([{"name": "model", "kind": "model"}, _gate(False)])
    db.session.commit()
    auth.login(make.admin())
    client.post(f"/beheer/model/{near.id}/beoordelen",
                data={"besluit": "niet-activeren", "toelichting": "Eerst de groep 21+ bekijken."})  # fmt: skip
    db.session.expire_all()
    assert not db.session.get(ModelVersion, near.id).active
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "model.review"))
    refused = client.post(f"/beheer/model/{failing.id}/beoordelen",
                          data={"besluit": "activeren", "toelichting": "Toch maar proberen."})  # fmt: skip
    assert refused.status_code == 422
    db.session.expire_all()
    assert not db.session.get(ModelVersion, failing.id).active

"""The technical documentation (AI Act Annex IV) and the instructions for deployers (art. 13):
generated pages, per model version, in Dutch and English (issue 19 item 5).

Every figure a page shows is recomputed here from the version row's own JSON, independently of
the service that builds the page."""

from __future__ import annotations

import json

import pytest

from stagematch.extensions import db
from stagematch.matching.features import FEATURES, MONOTONE
from stagematch.models import ModelVersion


def _metrics(model: float, rule: float, distance: float, *, n: int, groups: dict, passed: bool):
    """Metrics rows shaped like `matching.model.train` and `ranking.gate.run_gate` store them."""

    def row(name, kind, ndcg, lo, hi, diff=None):
        r = {"name": name, "kind": kind, "n": n, "ndcg10": ndcg, "ndcg10_lo": lo, "ndcg10_hi": hi,
             "recall10": 0.5, "recall10_lo": 0.4, "recall10_hi": 0.6}  # fmt: skip
        if diff is not None:
            r.update(diff=round(model - ndcg, 4), diff_lo=diff[0], diff_hi=diff[1])
        return r

    checks = [
        {"check": "baseline", "name": "de regel (zonder model)", "diff": round(model - rule, 4),
         "diff_lo": round(model - rule - 0.012, 4), "diff_hi": round(model - rule + 0.013, 4),
         "passed": model - rule - 0.012 > 0},
        {"check": "metamorphic", "name": "nearer", "cases": 300, "failures": 0, "passed": True},
    ]  # fmt: skip
    for (group, value), (size, ours, theirs) in groups.items():
        checks.append({"check": "subgroup", "group": group, "value": value, "n": size,
                       "model": ours, "rule": theirs, "diff": round(ours - theirs, 4),
                       "margin": 0.02, "passed": ours - theirs >= -0.02})  # fmt: skip
    return [
        row("model (logistic regression (C=1))", "model", model, model - 0.02, model + 0.02),
        row("afstand (Stagemarkt)", "baseline", distance, distance - 0.02, distance + 0.02,
            diff=(round(model - distance - 0.017, 4), round(model - distance + 0.018, 4))),
        row("de regel (zonder model)", "baseline", rule, rule - 0.02, rule + 0.02,
            diff=(round(model - rule - 0.012, 4), round(model - rule + 0.013, 4))),
        {"name": "", "kind": "summary", "students": 1000, "fit": 600, "choose": 150, "report": n,
         "report_from": "2026-03-01", "candidates": 7.3, "good": 120},
        {"name": "", "kind": "gate", "passed": passed, "margin": 0.02, "min_group": 30,
         "checks": checks},
    ]  # fmt: skip


def _version(metrics, *, family: str, features=None, active=False, n_examples=700) -> ModelVersion:
    version = ModelVersion(
        family=family, n_examples=n_examples, date_from="2025-01-06", date_to="2026-02-27",
        features=json.dumps(features if features is not None else FEATURES),
        metrics=json.dumps(metrics), importances=json.dumps({"distance_km": 0.031, "sqi": 0.012}),
        artifact="none.joblib", active=active,
    )  # fmt: skip
    db.session.add(version)
    db.session.commit()
    return version


@pytest.fixture
def versions(app):
    first = _version(
        _metrics(0.801, 0.812, 0.79, n=250, groups={("level", "2"): (64, 0.7712, 0.7931)},
                 passed=False),
        family="logistic regression (C=0.1)", features=[f for f in FEATURES if f not in ("answer_rate", "competition")],
    )  # fmt: skip
    second = _version(
        _metrics(0.839, 0.834, 0.824, n=312, groups={("level", "2"): (71, 0.8101, 0.8044),
                                                     ("leerweg", "BBL"): (48, 0.852, 0.849)},
                 passed=True),
        family="logistic regression (C=1)", active=True, n_examples=900,
    )  # fmt: skip
    return first, second


def _nl(x: float, signed: bool = False) -> str:
    text = f"{x:+.3f}" if signed else f"{x:.3f}"
    return text.replace(".", ",")


def _figures(version: ModelVersion) -> dict:
    """What the page must show, from the row's JSON alone."""
    rows = json.loads(version.metrics)
    model = next(r for r in rows if r["kind"] == "model")
    rule = next(r for r in rows if r["kind"] == "baseline" and r["name"].startswith("de regel"))
    gate = next(r for r in rows if r["kind"] == "gate")
    groups = [c for c in gate["checks"] if c["check"] == "subgroup"]
    return {"ndcg": model["ndcg10"], "lead": rule["diff"], "lead_lo": rule["diff_lo"],
            "lead_hi": rule["diff_hi"], "groups": groups, "n": model["n"]}  # fmt: skip


def test_each_version_shows_its_own_figures(client, auth, make, versions):
    auth.login(make.admin())
    pages = {}
    for version in versions:
        response = client.get(f"/beheer/model/{version.id}/documentatie")
        assert response.status_code == 200
        pages[version.id] = response.text
    for version in versions:
        text, figures = pages[version.id], _figures(version)
        assert f"Versie {version.id}" in text and version.family in text
        assert _nl(figures["ndcg"]) in text
        lead = f"{_nl(figures['lead'], True)} [{_nl(figures['lead_lo'], True)}, {_nl(figures['lead_hi'], True)}]"
        assert lead in text
        for group in figures["groups"]:
            assert f"{group['value']}" in text
            assert f"{group['n']} studenten" in text
            assert _nl(group["model"]) in text and _nl(group["rule"]) in text
        assert f"{version.n_examples} studenten" in text
    first, second = versions
    # The newer version's figures do not leak into the older one's page.
    assert _nl(_figures(second)["ndcg"]) not in pages[first.id]
    # Features come from the version's own list, with their sign from the code.
    assert "competition" not in pages[first.id] and "competition" in pages[second.id]
    assert "answer_rate" in pages[second.id]
    # Changes: the second names the first and the features it added.
    assert f"versie {first.id}" in pages[second.id].lower()
    change = _nl(_figures(second)["ndcg"] - _figures(first)["ndcg"], True)
    assert change in pages[second.id]
    assert "eerste versie" in pages[first.id].lower()
    # Protected attributes are named as excluded; the log's period comes from the configuration.
    assert "geslacht" in pages[second.id]
    assert f"{client.application.config['RANKING_LOG_DAYS']} dagen" in pages[second.id]
    # The failed subgroup is a known limit of the first.
    assert "niveau 2" in pages[first.id]


def test_signs_of_features_follow_the_code(client, auth, make, versions):
    auth.login(make.admin())
    text = client.get(f"/beheer/model/{versions[1].id}/documentatie").text
    rising = sum(1 for f in FEATURES if MONOTONE[f] == 1)
    falling = sum(1 for f in FEATURES if MONOTONE[f] == -1)
    assert text.count("hoger is nooit slechter") == rising
    assert text.count("hoger is nooit beter") == falling


def test_a_version_without_metrics_still_renders(client, auth, make):
    version = _version([], family="gradient boosting (monotone)")
    bare = ModelVersion(family="x", n_examples=0, date_from="", date_to="", features="niet json",
                        metrics="", importances="", artifact="x.joblib")  # fmt: skip
    db.session.add(bare)
    db.session.commit()
    auth.login(make.admin())
    for v in (version, bare):
        response = client.get(f"/beheer/model/{v.id}/documentatie")
        assert response.status_code == 200
        assert "ontbreekt" in response.text
    assert client.get("/beheer/model/999999/documentatie").status_code == 404


def test_english_and_no_dutch_left(client, auth, make, versions):
    from tests.test_i18n import _data_values, _dutch_left

    auth.login(make.admin())
    client.set_cookie("taal", "en")
    version = versions[1]
    text = client.get(f"/beheer/model/{version.id}/documentatie").text
    assert '<html lang="en"' in text
    figures = _figures(version)
    assert f"{figures['ndcg']:.3f}" in text
    assert f"{figures['lead']:+.3f} [{figures['lead_lo']:+.3f}, {figures['lead_hi']:+.3f}]" in text
    assert "Technical documentation" in text
    assert _dutch_left(text, _data_values()) == []


def test_deployer_instructions_for_coordinators(client, auth, make, versions):
    coordinator = make.coordinator()
    auth.login(coordinator)
    home = client.get("/coordinator/").text
    assert "/coordinator/uitleg" in home
    response = client.get("/coordinator/uitleg")
    assert response.status_code == 200
    text = response.text
    active = versions[1]
    assert f"versie {active.id}" in text.lower()
    assert _nl(_figures(active)["ndcg"]) in text
    assert f"{client.application.config['RANKING_LOG_DAYS']} dagen" in text
    assert "bezwaar" in text.lower() and "zonder model" in text.lower()
    client.set_cookie("taal", "en")
    english = client.get("/coordinator/uitleg").text
    from tests.test_i18n import _data_values, _dutch_left

    assert "Instructions" in english
    assert _dutch_left(english, _data_values()) == []


def test_deployer_instructions_without_an_active_version_describe_the_rule(client, auth, make):
    _version([], family="gradient boosting (monotone)")
    auth.login(make.coordinator())
    text = client.get("/coordinator/uitleg").text
    assert "regel" in text and "35" in text  # the rule's weights, from the code


def test_the_model_card_links_every_version_to_its_documentation(client, auth, make, versions):
    auth.login(make.admin())
    card = client.get("/beheer/model").text
    for version in versions:
        assert f"/beheer/model/{version.id}/documentatie" in card


def test_students_and_companies_cannot_read_the_pages(client, auth, make, versions):
    auth.login(make.student())
    assert client.get(f"/beheer/model/{versions[0].id}/documentatie").status_code == 403
    assert client.get("/coordinator/uitleg").status_code == 403

"""The API's internship (issue 17, item 8): `GET /api/v1/internships/{id}` for its student, its
company and its school, with the agreement's status and versions and the approved hours; the
agreement's PDF for the school's token; 404 for ids outside a token's reach."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from stagematch.extensions import db
from stagematch.models import HoursEntry
from stagematch.services.tokens import create_token
from tests.test_bron import add_version, placement


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(make):
    internship = placement(make, leerweg="BBL")
    first = add_version(internship, signed_at=datetime(2026, 1, 5, 12))
    second = add_version(internship, signed_at=None, total_hours=900)  # an amendment waiting
    monday = internship.start_date - timedelta(days=internship.start_date.weekday())
    db.session.add_all([
        HoursEntry(internship=internship, week_start=monday + timedelta(weeks=1), hours=32,
                   entered_role="student", status="approved", approved_hours=32),
        HoursEntry(internship=internship, week_start=monday + timedelta(weeks=2), hours=30,
                   entered_role="student", status="corrected", approved_hours=28),
        HoursEntry(internship=internship, week_start=monday + timedelta(weeks=3), hours=20,
                   entered_role="student", status="submitted"),
    ])  # fmt: skip
    other = placement(make, number="999")  # another company, the same school
    deltion = make.school("Deltion College")
    tokens = {
        "student": create_token(internship.student.user, "t")[1],
        "company": create_token(make.company_user(internship.placement.company), "t")[1],
        "school": create_token(make.coordinator(internship.school), "t")[1],
        "other_student": create_token(other.student.user, "t")[1],
        "other_company": create_token(make.company_user(other.placement.company), "t")[1],
        "other_school": create_token(make.coordinator(deltion), "t")[1],
        "admin": create_token(make.admin(), "t")[1],
    }
    db.session.commit()
    return dict(internship=internship, first=first, second=second, tokens=tokens)


@pytest.mark.parametrize("who", ["student", "company", "school"])
def test_each_party_gets_the_internship_with_agreement_and_hours(client, world, who):
    internship, first, second = world["internship"], world["first"], world["second"]
    response = client.get(
        f"/api/v1/internships/{internship.id}", headers=_bearer(world["tokens"][who])
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["id"] == internship.id and body["company"]["id"] == internship.placement.company_id
    agreement = body["agreement"]
    assert agreement["status"] == "amendment_pending" and agreement["current_version"] == 1
    assert agreement["waiting_for"] == ["student", "company", "school"]
    assert agreement["next_party"] == "student"
    assert agreement["versions"] == [
        {"number": 1, "status": "signed", "reason": "", "signed_at": "2026-01-05T12:00:00",
         "content_hash": first.content_hash},
        {"number": 2, "status": "pending", "reason": "Andere einddatum", "signed_at": None,
         "content_hash": second.content_hash},
    ]  # fmt: skip
    assert body["hours"]["approved"] == 60  # 32 approved + 28 corrected; the submitted 20 not


@pytest.mark.parametrize("who", ["other_student", "other_company", "other_school"])
def test_an_internship_outside_the_tokens_reach_is_not_found(client, world, who):
    url = f"/api/v1/internships/{world['internship'].id}"
    response = client.get(url, headers=_bearer(world["tokens"][who]))
    assert response.status_code == 404 and response.json["error"]["status"] == 404
    assert (
        client.get(
            "/api/v1/internships/999999", headers=_bearer(world["tokens"]["school"])
        ).status_code
        == 404
    )
    assert client.get(url).status_code == 401
    assert client.get(url, headers=_bearer(world["tokens"]["admin"])).status_code == 403


def test_the_school_fetches_the_agreement_pdf(client, world):
    internship, headers = world["internship"], _bearer(world["tokens"]["school"])
    url = f"/api/v1/internships/{internship.id}/agreement.pdf"
    response = client.get(url, headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "praktijkovereenkomst-" in response.headers["Content-Disposition"]
    second = client.get(f"{url}?version=2", headers=headers)
    assert second.status_code == 200 and second.data.startswith(b"%PDF")
    assert client.get(f"{url}?version=7", headers=headers).status_code == 404
    assert client.get(f"{url}?version=een", headers=headers).status_code == 400


def test_only_the_schools_token_gets_the_pdf(client, world):
    url = f"/api/v1/internships/{world['internship'].id}/agreement.pdf"
    for who in ("student", "company"):  # parties, but the PDF is for the school's systems
        assert client.get(url, headers=_bearer(world["tokens"][who])).status_code == 403
    response = client.get(url, headers=_bearer(world["tokens"]["other_school"]))
    assert response.status_code == 404 and response.is_json


def test_a_placement_without_agreement_has_status_none_and_no_pdf(client, make):
    internship = placement(make)
    secret = create_token(make.coordinator(internship.school), "t")[1]
    db.session.commit()
    body = client.get(f"/api/v1/internships/{internship.id}", headers=_bearer(secret)).json
    assert body["agreement"] == {
        "status": "none",
        "current_version": None,
        "next_party": None,
        "waiting_for": [],
        "versions": [],
    }
    response = client.get(
        f"/api/v1/internships/{internship.id}/agreement.pdf", headers=_bearer(secret)
    )
    assert response.status_code == 404


def test_the_openapi_document_describes_both(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    one = paths["/internships/{internship_id}"]["get"]
    assert {"agreement", "hours"} <= set(
        one["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    )
    pdf = paths["/internships/{internship_id}/agreement.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert [p["name"] for p in pdf["parameters"]] == ["internship_id", "version"]

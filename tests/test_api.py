"""The open API: tokens, scoping per role, filters, pagination, error bodies, open data; and
schemathesis against the OpenAPI file (no server errors, no schema violations)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import ApiToken, Application, Qualification
from stagematch.services import applications as application_service
from stagematch.services.tokens import create_token


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def data(make):
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    company = make.company(qualifications=[kok])
    other_company = make.company(qualifications=[kok])
    meester = make.meester(company, capacity=5)
    zwolle = geo.find_town("Zwolle")
    near = make.placement(company, meester, title="Kok in Enschede", qualification=kok)
    far = make.placement(company, meester, title="Kok in Zwolle", qualification=kok, city=zwolle.name,
                         lat=zwolle.lat, lon=zwolle.lon)  # fmt: skip
    other = make.placement(
        other_company, make.meester(other_company), title="Andere plek", qualification=kok
    )
    student = make.student(qualification=kok, town="Enschede", skills="koken")
    application = Application(student=student.profile, placement=near, motivation="Ik kook graag")
    db.session.add(application)
    running = Application(
        student=make.student(qualification=kok, skills="x").profile, placement=far
    )
    db.session.add(running)
    db.session.commit()
    internship = application_service.accept(running.id)
    tokens = {
        "student": create_token(student, "test")[1],
        "company": create_token(make.company_user(company), "test")[1],
        "coordinator": create_token(make.coordinator(school=student.profile.school), "test")[1],
    }
    db.session.commit()
    return dict(tokens=tokens, near=near, far=far, other=other, student=student, application=application,
                internship=internship)  # fmt: skip


def test_token_is_created_used_and_revoked(client, auth, make):
    user = make.company_user()
    auth.login(user)
    page = client.post("/account/sleutels", data={"name": "Koppeling"}).get_data(as_text=True)
    secret = page.split('<code class="secret">')[1].split("</code>")[0]
    token = db.session.scalar(select(ApiToken))
    assert (
        token.token_hash != secret
        and secret not in token.token_hash
        and token.prefix == secret[:10]
    )
    assert client.get("/api/v1/company/places", headers=_bearer(secret)).status_code == 200
    first_use = db.session.get(ApiToken, token.id).last_used_at
    assert first_use is not None
    # Issue #20: no write on every call — "last used" is written at most once an hour.
    assert client.get("/api/v1/company/places", headers=_bearer(secret)).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == first_use
    db.session.get(ApiToken, token.id).last_used_at = first_use - timedelta(minutes=59)
    db.session.commit()
    assert client.get("/api/v1/company/places", headers=_bearer(secret)).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == first_use - timedelta(minutes=59)
    first_use -= timedelta(minutes=59)
    db.session.get(ApiToken, token.id).last_used_at = first_use - timedelta(minutes=2)
    db.session.commit()
    assert client.get("/api/v1/company/places", headers=_bearer(secret)).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at > first_use
    client.post(f"/account/sleutels/{token.id}/intrekken")
    revoked = client.get("/api/v1/company/places", headers=_bearer(secret))
    assert revoked.status_code == 401
    assert revoked.json["error"]["status"] == 401 and revoked.headers[
        "WWW-Authenticate"
    ].startswith("Bearer")


def test_missing_or_bad_token_gives_the_error_shape(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/places", headers=headers)
        assert response.status_code == 401 and set(response.json["error"]) == {
            "status",
            "title",
            "detail",
        }


def test_place_search_with_filters_and_pagination(client, data):
    headers = _bearer(data["tokens"]["student"])
    everything = client.get("/api/v1/places", headers=headers).json
    assert everything["total"] == 2 and {p["title"] for p in everything["items"]} == {
        "Kok in Enschede",
        "Andere plek",
    }
    near = client.get("/api/v1/places?town=Enschede&radius=10&crebo=25180", headers=headers).json
    assert {p["title"] for p in near["items"]} == {"Kok in Enschede", "Andere plek"}
    assert all(p["distance_km"] < 10 for p in near["items"])
    paged = client.get("/api/v1/places?per_page=1&page=2&sort=start", headers=headers).json
    assert paged["page"] == 2 and paged["pages"] == 2 and len(paged["items"]) == 1
    for query in (
        "per_page=0",
        "per_page=101",
        "page=0",
        "page=x",
        "radius=-5&town=Enschede",
        "town=Nergens",
    ):
        response = client.get(f"/api/v1/places?{query}", headers=headers)
        assert response.status_code == 400 and response.json["error"]["detail"], query


def test_place_detail_and_404(client, data):
    headers = _bearer(data["tokens"]["student"])
    place = client.get(f"/api/v1/places/{data['near'].id}", headers=headers).json
    assert place["crebos"] == ["25180"] and place["supervision"]["trained"] is True
    assert client.get("/api/v1/places/999999", headers=headers).json["error"]["status"] == 404


def test_company_sees_its_own_places_and_anonymous_applicants(client, data):
    headers = _bearer(data["tokens"]["company"])
    titles = {
        p["title"] for p in client.get("/api/v1/company/places", headers=headers).json["items"]
    }
    assert titles == {"Kok in Enschede", "Kok in Zwolle"}
    applicants = client.get("/api/v1/company/applicants", headers=headers).json["items"]
    mine = next(a for a in applicants if a["id"] == data["application"].id)
    assert mine["anonymous"] and mine["name"] is None and mine["email"] is None
    assert data["student"].name not in str(applicants)
    assert client.get("/api/v1/school/internships", headers=headers).status_code == 403


def test_school_sees_its_internships_and_student_matches_are_scoped(client, data, make):
    coordinator = _bearer(data["tokens"]["coordinator"])
    internships = client.get("/api/v1/school/internships?status=active", headers=coordinator).json
    assert [i["id"] for i in internships["items"]] == [data["internship"].id]
    assert (
        client.get("/api/v1/school/internships?status=bogus", headers=coordinator).status_code
        == 400
    )
    profile_id = data["student"].profile.id
    assert (
        client.get(f"/api/v1/students/{profile_id}/matches", headers=coordinator).status_code == 200
    )
    own = client.get(
        f"/api/v1/students/{profile_id}/matches", headers=_bearer(data["tokens"]["student"])
    ).json
    assert {m["title"] for m in own["items"]} == {"Kok in Enschede", "Andere plek"}
    stranger = make.student()
    secret = create_token(stranger, "x")[1]
    assert (
        client.get(f"/api/v1/students/{profile_id}/matches", headers=_bearer(secret)).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/students/{profile_id}/matches", headers=_bearer(data["tokens"]["company"])
        ).status_code
        == 403
    )


def test_open_data_export_and_statistics(client, data):
    exported = client.get("/api/v1/export/places.json").json
    assert exported["count"] == 2 and {p["id"] for p in exported["places"]} == {
        data["near"].id,
        data["other"].id,
    }
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/api/v1/export/places.csv").get_data(as_text=True)),
            delimiter=";",
        )
    )
    assert {int(r["id"]) for r in rows} == {data["near"].id, data["other"].id}
    stats = client.get("/api/v1/statistics").json["qualifications"]
    kok = next(s for s in stats if s["crebo"] == "25180")
    assert kok["seats_offered"] == 3 and kok["seats_filled"] == 1
    page = client.get("/statistieken").get_data(as_text=True)
    assert "25180" in page and "Kok" in page


def test_openapi_document_and_docs_page(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.") and "/places" in doc["paths"]
    assert "GET /places" in client.get("/api/v1/docs").get_data(as_text=True)


def test_schemathesis_finds_no_server_errors_or_schema_violations(app, data):
    """Every operation of the OpenAPI file, with generated parameters, checked by schemathesis'
    default checks (no 5xx, status codes and bodies as documented). One check is left out on
    purpose: "positive data acceptance" expects every schema-valid value to give 2xx, but a
    well-formed crebo that does not exist is rightly a 400 with an explanation."""
    from hypothesis import given
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = _bearer(data["tokens"]["coordinator"])  # a role that can call most endpoints
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()

"""The OpenAPI 3 description of /api/v1, written by hand next to the views it describes."""

from __future__ import annotations

from copy import deepcopy

from stagematch.geo import town_names
from stagematch.reference import sectors

ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["status", "title", "detail"], "properties": {
        "status": {"type": "integer"}, "title": {"type": "string"}, "detail": {"type": "string"}}}},
}  # fmt: skip
NULLABLE_INT = {"type": ["integer", "null"]}
TOWNS = town_names()
SECTORS = list(sectors())
NULLABLE_NUM = {"type": ["number", "null"]}
NULLABLE_STR = {"type": ["string", "null"]}

PLACE = {
    "type": "object",
    "required": ["id", "title", "leerweg", "level", "crebos", "company", "city", "start_date", "seats", "seats_free"],
    "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "status": {"type": "string"},
        "leerweg": {"type": "string", "enum": ["BOL", "BBL"]}, "level": {"type": "integer", "minimum": 1, "maximum": 4},
        "crebos": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{5}$"}},
        "company": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                     "sector": {"type": "string"}}},
        "city": {"type": "string"}, "lat": {"type": "number"}, "lon": {"type": "number"},
        "start_date": {"type": "string", "format": "date"}, "duration_weeks": {"type": "integer"},
        "hours_per_week": {"type": "number"}, "days_per_week": NULLABLE_INT,
        "pay_per_month": {"type": "integer", "minimum": 0}, "pay_kind": {"type": "string", "enum": ["stipend", "wage"]},
        "seats": {"type": "integer"}, "seats_free": {"type": "integer", "minimum": 0}, "tasks": {"type": "string"},
        "supervision": {"type": "object"}, "published_at": NULLABLE_STR, "url": {"type": "string"},
        "distance_km": {"type": "number"}, "sqi": {"type": ["object", "null"]},
        "for_switchers": {"type": "boolean", "description": "ook voor zij-instromers: adults without a school yet may apply (BBL)"},
    },
}  # fmt: skip

AGREEMENT_VERSION = {
    "type": "object", "required": ["number", "status", "signed_at", "content_hash"],
    "properties": {"number": {"type": "integer", "minimum": 1}, "status": {"type": "string", "enum": ["pending", "signed", "superseded"]},
                   "reason": {"type": "string"}, "signed_at": {**NULLABLE_STR, "description": "UTC, when the last party signed"},
                   "content_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of the signed content"}},
}  # fmt: skip
INTERNSHIP = {
    "type": "object",
    "required": ["id", "place_id", "company", "school", "start_date", "end_date", "status", "agreement", "hours"],
    "properties": {
        "id": {"type": "integer"}, "student_id": NULLABLE_INT, "place_id": {"type": "integer"}, "place_title": {"type": "string"},
        "leerweg": {"type": "string", "enum": ["BOL", "BBL"]},
        "company": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
        "school": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
        "meester": {"type": "string"}, "gezel": NULLABLE_STR,
        "start_date": {"type": "string", "format": "date"}, "end_date": {"type": "string", "format": "date"},
        "ended_at": {"type": ["string", "null"], "format": "date"},
        "status": {"type": "string", "enum": ["active", "completed", "terminated"]}, "outcome": NULLABLE_STR,
        "agreement": {"type": "object", "required": ["status", "versions"], "properties": {
            "status": {"type": "string", "enum": ["none", "pending", "signed", "amendment_pending"],
                       "description": "signed: a version is in force; amendment_pending: and a newer one waits for signatures"},
            "current_version": {**NULLABLE_INT, "description": "the number of the version in force"},
            "next_party": {"type": ["string", "null"], "enum": ["student", "guardian", "company", "school", None],
                           "description": "whose signature the waiting version needs next"},
            "waiting_for": {"type": "array", "items": {"type": "string", "enum": ["student", "guardian", "company", "school"]}},
            "versions": {"type": "array", "items": AGREEMENT_VERSION}}},
        "hours": {"type": "object", "required": ["approved"], "properties": {
            "approved": {"type": "number", "description": "hours approved (or corrected) by the meester"},
            "logged": NULLABLE_NUM, "planned": NULLABLE_NUM}},
    },
}  # fmt: skip


def page_of(item: dict) -> dict:
    return {"type": "object", "required": ["items", "page", "per_page", "total", "pages"], "properties": {
        "items": {"type": "array", "items": item}, "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer"}, "total": {"type": "integer", "minimum": 0},
        "pages": {"type": "integer", "minimum": 1}, "ranked_by": {"type": "string"}}}  # fmt: skip


PAGING = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
]
SEARCH = [
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}, "description": "Words in title, tasks or company."},
    {"name": "leerweg", "in": "query", "schema": {"type": "string", "enum": ["", "BOL", "BBL"]}},
    {"name": "crebo", "in": "query", "schema": {"type": "string", "pattern": "^([0-9]{5})?$"},
     "description": "A crebo code; places for other qualifications of the same dossier are included."},
    {"name": "level", "in": "query", "schema": {"type": "string", "enum": ["", "1", "2", "3", "4"]}},
    {"name": "town", "in": "query", "schema": {"type": "string", "enum": ["", *TOWNS]}, "description": "Dutch town to measure distance from."},
    {"name": "radius", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 300}},
    {"name": "sector", "in": "query", "schema": {"type": "string", "enum": ["", *SECTORS]}},
    {"name": "min_pay", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 10000}},
    {"name": "start_from", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "start_to", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "bbl_days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5}},
    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["relevance", "distance", "pay", "start", "kansrijk"]},
     "description": "kansrijk: places for occupations with a tight labour market first (an explicit choice; never part of relevance)."},
    {"name": "kansrijk", "in": "query", "schema": {"type": "string", "enum": ["", "y"]}, "description": "Only places for occupations with a tight labour market."},
    {"name": "zij_instromers", "in": "query", "schema": {"type": "string", "enum": ["", "y"]}, "description": "Only BBL places open to zij-instromers (adults, also without a school yet)."},
    {"name": "heel_nederland", "in": "query", "schema": {"type": "string", "enum": ["", "1"]}, "description": "1: no distance limit (the whole country)."},
]  # fmt: skip
ORDER = {
    "name": "order", "in": "query", "schema": {"type": "string", "enum": ["model", "distance", "start"]},
    "description": "model: ordered by the match model; distance or start: the same places nearest first or "
                   "earliest start first, without the model (no scores). Default: the order the token's account "
                   "chose on the site, else model. On /places an explicit sort wins.",
}  # fmt: skip


def _errors(*codes: int) -> dict:
    text = {400: "Invalid parameters", 401: "Missing or invalid token", 403: "Not allowed for this token",
            404: "Not found", 429: "Too many requests"}  # fmt: skip
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for c in codes}  # fmt: skip


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _get(
    summary: str,
    schema: dict,
    params: list | None = None,
    errors=(401, 429),
    secured: bool = True,
    tag: str = "",
) -> dict:
    op = {"summary": summary, "tags": [tag] if tag else [], "parameters": params or [],
          "responses": {"200": _json(schema), **_errors(*errors)}}  # fmt: skip
    if not secured:
        op["security"] = []
    return {"get": op}


def spec(server: str) -> dict:
    """The OpenAPI document, with the server URL of the running site."""
    return deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "StageMatch API", "version": "1.0.0",
                 "description": "Open places, supervision quality and matches for mbo internships (stage, BBL). "
                                "Create a personal token on your account page and send it as 'Authorization: Bearer <token>'. "
                                "Tokens act with the role of their account. Limit: 120 requests per minute per token."},
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Place": PLACE},
        },
        "paths": {
            "/places": _get("Search open places (the same filters as the site)", page_of({"$ref": "#/components/schemas/Place"}),
                            SEARCH + [ORDER] + PAGING, (400, 401, 429), tag="places"),
            "/places/{placement_id}": _get("One place, with its supervision quality index", {"$ref": "#/components/schemas/Place"},
                                           [{"name": "placement_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}],
                                           (401, 404, 429), tag="places"),
            "/students/{profile_id}/matches": _get(
                "A student's ranked matches (the student themself, or a coordinator of their school)",
                page_of({"type": "object", "properties": {"place_id": {"type": "integer"}, "title": {"type": "string"},
                                                          "score": NULLABLE_NUM, "label": NULLABLE_STR, "sqi": NULLABLE_NUM,
                                                          "distance_km": NULLABLE_NUM, "reasons": {"type": "array", "items": {"type": "string"}}}}),
                [{"name": "profile_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}, ORDER, *PAGING],
                (400, 401, 403, 404, 429), tag="students"),
            "/company/places": _get("The token's company: its places", page_of({"$ref": "#/components/schemas/Place"}), PAGING,
                                    (400, 401, 403, 429), tag="companies"),
            "/company/applicants": _get("The token's company: applications (anonymous until shortlisted)",
                                        page_of({"type": "object", "properties": {"id": {"type": "integer"}, "place_id": {"type": "integer"},
                                                                                  "status": {"type": "string"}, "anonymous": {"type": "boolean"},
                                                                                  "name": NULLABLE_STR, "email": NULLABLE_STR}}),
                                        PAGING, (400, 401, 403, 429), tag="companies"),
            "/school/internships": _get("The token's school: internships", page_of({"type": "object"}),
                                        [{"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "completed", "terminated"]}}, *PAGING],
                                        (400, 401, 403, 429), tag="schools"),
            "/school/flags": _get("The token's school: flags (open by default)", page_of({"type": "object"}),
                                  [{"name": "open", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}}, *PAGING],
                                  (400, 401, 403, 429), tag="schools"),
            "/internships/{internship_id}": _get(
                "One internship for its student, its company or its school: the agreement's status and versions "
                "and the hours approved so far", INTERNSHIP,
                [{"name": "internship_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}],
                (401, 403, 404, 429), tag="internships"),
            "/internships/{internship_id}/agreement.pdf": {"get": {
                "summary": "The praktijkovereenkomst as a PDF (school tokens only): the version in force, else the one "
                           "waiting for signatures, or ?version=n", "tags": ["internships"],
                "parameters": [{"name": "internship_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}},
                               {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}],
                "responses": {"200": {"description": "PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                              **_errors(400, 401, 403, 404, 429)}}},
            "/export/places.json": _get("Open data: every open place, with stable ids", {"type": "object", "required": ["count", "places"],
                                        "properties": {"count": {"type": "integer"}, "places": {"type": "array", "items": {"type": "object"}}}},
                                        errors=(429,), secured=False, tag="open data"),
            "/export/places.csv": {"get": {"summary": "Open data: every open place as CSV", "tags": ["open data"], "security": [],
                                           "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}, **_errors(429)}}},
            "/statistics": _get("Open data: seats offered and filled per qualification", {"type": "object"}, errors=(429,), secured=False,
                                tag="open data"),
        },
    })  # fmt: skip

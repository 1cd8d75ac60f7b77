"""API v1 views. Every answer is JSON; errors have one shape: {"error": {status, title, detail}}."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Response, abort, g, jsonify, render_template, request
from flask_limiter.util import get_remote_address
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from stagematch import exports
from stagematch.api import bp
from stagematch.api.openapi import spec
from stagematch.csvutil import to_csv
from stagematch.extensions import csrf, db, limiter
from stagematch.inputs import parse_int
from stagematch.models import (
    Application,
    Flag,
    Internship,
    Placement,
    StudentProfile,
    User,
)
from stagematch.models.enums import InternshipStatus, Role
from stagematch.services import statistics as statistics_service
from stagematch.services.capacity import place_rooms
from stagematch.services.eligibility import open_to_students, place_clause
from stagematch.services.placements import visible_in_search_clause
from stagematch.services.tokens import user_for_secret
from stagematch.urls import external_url

MAX_PER_PAGE = 100
MAX_PAGE = 100_000
csrf.exempt(bp)


def _rate_key() -> str:
    return request.headers.get("Authorization", "") or get_remote_address()


limiter.limit("120 per minute", key_func=_rate_key)(bp)


def api_error(status: int, title: str, detail: str, headers: dict | None = None):
    response = jsonify(error={"status": status, "title": title, "detail": detail})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def token_required(*roles: Role) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
            user = user_for_secret(secret)
            if user is None:
                return api_error(401, "Unauthorized", "Send a valid personal token: 'Authorization: Bearer <token>'.",
                                 {"WWW-Authenticate": 'Bearer realm="stagematch"'})  # fmt: skip
            if roles and not user.has_role(*roles):
                return api_error(
                    403, "Forbidden", "This token's account may not use this endpoint."
                )
            g.api_user = user
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _page_args() -> tuple[int, int]:
    page = parse_int(request.args.get("page", "1"), lo=1, hi=MAX_PAGE)
    per_page = parse_int(request.args.get("per_page", "20"), lo=1, hi=MAX_PER_PAGE)
    if page is None or per_page is None:
        abort(400, f"page and per_page must be whole numbers (digits 0-9): page between 1 and "
                   f"{MAX_PAGE}, per_page between 1 and {MAX_PER_PAGE}")  # fmt: skip
    return page, per_page


def _paged(items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": max(1, -(-total // per_page))}  # fmt: skip


def place_json(place: Placement, *, room=None, distance_km: float | None = None) -> dict:
    """A place as JSON; `room` (capacity.PlaceRoom) carries its seats and its meester's load."""
    room = room if room is not None else place_rooms([place.id])[place.id]
    meester = place.meester
    data = {
        "id": place.id, "title": place.title, "status": place.status, "leerweg": place.leerweg, "level": place.level,
        "crebos": [q.crebo for q in place.qualifications],
        "company": {"id": place.company_id, "name": place.company.name, "sector": place.company.sector},
        "city": place.city, "lat": place.lat, "lon": place.lon, "start_date": place.start_date.isoformat(),
        "duration_weeks": place.duration_weeks, "hours_per_week": place.hours_per_week,
        "days_per_week": place.days_per_week, "pay_per_month": place.pay_per_month,
        "pay_kind": "wage" if place.leerweg == "BBL" else "stipend", "seats": place.seats,
        "seats_free": room.seats_free, "tasks": place.tasks, "for_switchers": place.for_switchers,
        "supervision": {
            "meester_function": meester.function, "years_experience": meester.years_experience,
            "trained": meester.trained, "meestertitel": meester.meestertitel,
            "hours_per_week": meester.hours_per_week, "capacity": meester.capacity,
            "active_learners": room.meester_active, "gezel": place.gezel_id is not None,
        },
        "published_at": place.published_at.isoformat() if place.published_at else None,
        "url": external_url("places.detail", placement_id=place.id),
    }  # fmt: skip
    if distance_km is not None:
        data["distance_km"] = round(distance_km, 1)
    return data


def _order_arg() -> tuple[str | None, Response | None]:
    """`order=model|distance|start`: the list with or without the model; default the token
    user's remembered order (`User.list_order`), else the model's."""
    from stagematch.services import list_order

    value = request.args.get("order")
    if value is None or value == "":
        return list_order.order_of(g.api_user), None
    if not list_order.is_order(value):
        return None, api_error(400, "Bad Request", "order must be model, distance or start")
    return value, None


def _search_filters():
    from stagematch.forms import choices
    from stagematch.places.routes import filters_from_form
    from stagematch.reference import sectors
    from stagematch.students.forms import SearchForm

    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in ("per_page",)])
    form = SearchForm(args)
    form.sector.choices = choices([("", "")] + [(s, s) for s in sectors()])
    filters = filters_from_form(form) if form.validate() else None
    if filters is None:
        detail = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return None, api_error(400, "Bad Request", detail or "invalid search parameters")
    return filters, None


@bp.route("/places")
@token_required()
def places():
    from stagematch.ranking import log_shown, make_ranker
    from stagematch.services.search import search

    page, per_page = _page_args()
    filters, error = _search_filters()
    if error:
        return error
    order, error = _order_arg()
    if error:
        return error
    if not request.args.get("sort"):  # an explicit sort wins over the order
        from stagematch.services.list_order import SEARCH_SORT

        filters.sort = SEARCH_SORT[order]
    filters.page = page
    filters.anywhere = request.args.get("heel_nederland") == "1"
    profile = g.api_user.profile if g.api_user.role == Role.STUDENT else None
    filters.student = profile
    ranker = make_ranker(profile) if filters.sort == "relevance" else None
    result = search(filters, per_page=per_page, ranker=ranker)
    rooms = place_rooms([h.placement.id for h in result.hits])
    items = [
        place_json(h.placement, room=rooms[h.placement.id], distance_km=h.distance_km)
        for h in result.hits
    ]
    body = _paged(items, result.total, result.page, per_page)
    body["ranked_by"] = result.ranked_by
    log_shown(result, ranker, source="api_places", who=g.api_user.id)  # the ranking log commits
    return jsonify(body)


@bp.route("/places/<int:placement_id>")
@token_required()
def place(placement_id: int):
    from stagematch.ranking import meester_sqis

    placement = db.session.get(Placement, placement_id)
    own = placement is not None and g.api_user.company_id == placement.company_id
    if placement is None or (not open_to_students(placement) and not own):
        return api_error(404, "Not Found", "No open place with this id.")
    data = place_json(placement)
    sqi = meester_sqis([placement.meester_id]).get(placement.meester_id)
    data["sqi"] = sqi.as_dict() if sqi is not None else None
    return jsonify(data)


@bp.route("/students/<int:profile_id>/matches")
@token_required(Role.STUDENT, Role.COORDINATOR)
def student_matches(profile_id: int):
    from stagematch.ranking import log_shown, recommendations

    profile = db.session.get(StudentProfile, profile_id)
    user = g.api_user
    allowed = profile is not None and (
        (user.role == Role.STUDENT and profile.user_id == user.id)
        or (user.role == Role.COORDINATOR and profile.school_id == user.school_id)
    )
    if not allowed:
        return api_error(404, "Not Found", "No student with this id that this token may see.")
    page, per_page = _page_args()
    order, error = _order_arg()
    if error:
        return error
    result = recommendations(profile, limit=per_page, page=page, order=order)
    items = [
        {
            "place_id": h.placement.id,
            "title": h.placement.title,
            "score": h.score,
            "label": h.label,
            "sqi": h.sqi,
            "distance_km": round(h.distance_km, 1) if h.distance_km is not None else None,
            "reasons": h.reasons,
        }  # fmt: skip
        for h in result.hits
    ]
    body = _paged(items, result.total, result.page, per_page)
    body["ranked_by"] = result.ranked_by
    log_shown(result, source="api_matches", who=user.id)  # the ranking log commits
    return jsonify(body)


@bp.route("/company/places")
@token_required(Role.COMPANY)
def company_places():
    page, per_page = _page_args()
    stmt = (
        select(Placement)
        .where(Placement.company_id == g.api_user.company_id)
        .order_by(Placement.id)
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    rooms = place_rooms([p.id for p in rows])
    return jsonify(_paged([place_json(p, room=rooms[p.id]) for p in rows], total, page, per_page))


@bp.route("/company/applicants")
@token_required(Role.COMPANY)
def company_applicants():
    from stagematch.services.companies import applicant_view

    page, per_page = _page_args()
    stmt = (
        select(Application)
        .join(Placement)
        .where(Placement.company_id == g.api_user.company_id)
        .order_by(Application.id)
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = []
    for application in db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)):
        view = applicant_view(application)
        items.append({
            "id": application.id, "place_id": application.placement_id, "status": application.status,
            "submitted_at": application.created_at.isoformat(), "anonymous": not view.identity_visible,
            "name": view.name, "email": view.email, "qualification": view.qualification, "level": view.level,
            "skills": view.skills, "motivation": view.motivation,
            "distance_km": round(view.distance_km, 1) if view.distance_km is not None else None,
        })  # fmt: skip
    return jsonify(_paged(items, total, page, per_page))


@bp.route("/school/internships")
@token_required(Role.COORDINATOR)
def school_internships():
    page, per_page = _page_args()
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in InternshipStatus}:
        return api_error(400, "Bad Request", "status must be active, completed or terminated")
    stmt = (
        select(Internship)
        .where(Internship.school_id == g.api_user.school_id)
        .order_by(Internship.id)
    )
    if status:
        stmt = stmt.where(Internship.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = [
        {
            "id": i.id,
            "student_id": i.student_id,
            "student_number": i.student.student_number if i.student else None,
            "place_id": i.placement_id,
            "company": i.placement.company.name,
            "meester": i.meester.name,
            "start_date": i.start_date.isoformat(),
            "end_date": i.end_date.isoformat(),
            "status": i.status,
            "outcome": i.outcome,
        }  # fmt: skip
        for i in db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    ]
    return jsonify(_paged(items, total, page, per_page))


def _visible_internship(internship_id: int, *, school_only: bool = False) -> Internship | None:
    """The internship when the token's account is one of its parties (the student, an account of
    the leerbedrijf, a coordinator of the school; only the school with `school_only`)."""
    from stagematch.services import internships as internship_service

    internship = internship_service.load(internship_id)
    if internship is None:
        return None
    side = internship_service.side_of(internship, g.api_user)
    if side is None or (school_only and side != internship_service.Side.SCHOOL):
        return None
    return internship


def _agreement_json(internship: Internship) -> dict:
    from stagematch.services import agreements

    versions = list(internship.agreement_versions)
    signed = agreements.signed_versions(internship)
    pending = agreements.pending_version(internship)
    if not versions:
        status = "none"
    elif pending is None:
        status = "signed" if signed else "none"
    else:
        status = "amendment_pending" if signed else "pending"
    waiting: list[str] = []
    if pending is not None:
        done = {s.party for s in pending.signatures}
        waiting = [p for p in agreements.parties(pending) if p not in done]
    return {
        "status": status,
        "current_version": signed[-1].number if signed else None,
        "next_party": agreements.next_party(pending) if pending is not None else None,
        "waiting_for": [str(p) for p in waiting],
        "versions": [
            {
                "number": v.number,
                "status": v.status,
                "reason": v.reason,
                "signed_at": v.signed_at.isoformat() if v.signed_at else None,
                "content_hash": v.content_hash,
            }  # fmt: skip
            for v in versions
        ],
    }


def _hours_json(internship: Internship) -> dict:
    from stagematch.services import hours

    approved = hours.approved_total([internship.id]).get(internship.id, 0)
    totals = hours.totals(internship)
    logged, planned = getattr(totals, "logged", None), getattr(totals, "planned", None)
    return {"approved": float(approved), "logged": float(logged) if logged is not None else None,
            "planned": float(planned) if planned is not None else None}  # fmt: skip


@bp.route("/internships/<int:internship_id>")
@token_required(Role.STUDENT, Role.COMPANY, Role.COORDINATOR)
def internship(internship_id: int):
    found = _visible_internship(internship_id)
    if found is None:
        return api_error(404, "Not Found", "No internship with this id that this token may see.")
    placement = found.placement
    return jsonify({
        "id": found.id, "student_id": found.student_id, "place_id": placement.id,
        "place_title": placement.title, "leerweg": placement.leerweg,
        "company": {"id": placement.company_id, "name": placement.company.name},
        "school": {"id": found.school_id, "name": found.school.name} if found.school else None,
        "meester": found.meester.name, "gezel": found.gezel.name if found.gezel else None,
        "start_date": found.start_date.isoformat(), "end_date": found.end_date.isoformat(),
        "ended_at": found.ended_at.isoformat() if found.ended_at else None,
        "status": found.status, "outcome": found.outcome,
        "agreement": _agreement_json(found), "hours": _hours_json(found),
    })  # fmt: skip


@bp.route("/internships/<int:internship_id>/agreement.pdf")
@token_required(Role.COORDINATOR)
def internship_agreement_pdf(internship_id: int):
    """The agreement as a PDF for the school's system: the version in force (else the one
    waiting for signatures), or `?version=n`."""
    from stagematch.services import agreements

    found = _visible_internship(internship_id, school_only=True)
    if found is None:
        return api_error(404, "Not Found", "No internship with this id that this token may see.")
    if "version" in request.args:
        number = parse_int(request.args["version"], lo=1, hi=10_000)
        if number is None:
            return api_error(
                400, "Bad Request", "version must be a whole number from 1 (digits 0-9)"
            )
        version = next((v for v in found.agreement_versions if v.number == number), None)
    else:
        version = agreements.current_version(found)
    if version is None:
        return api_error(404, "Not Found", "This internship has no agreement (version) like that.")
    return Response(agreements.render_pdf(version), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="praktijkovereenkomst-{found.id}-v{version.number}.pdf"'})  # fmt: skip


@bp.route("/school/flags")
@token_required(Role.COORDINATOR)
def school_flags():
    page, per_page = _page_args()
    stmt = select(Flag).where(Flag.school_id == g.api_user.school_id).order_by(Flag.id.desc())
    if request.args.get("open", "true").lower() != "false":
        stmt = stmt.where(Flag.resolved_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = [
        {
            "id": f.id,
            "kind": f.kind,
            "message": f.message,
            "raised_at": f.raised_at.isoformat(),
            "internship_id": f.internship_id,
            "company_id": f.company_id,
            "resolved_at": f.resolved_at.isoformat() if f.resolved_at else None,
        }  # fmt: skip
        for f in db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    ]
    return jsonify(_paged(items, total, page, per_page))


# --- open data: no token needed ----------------------------------------------------------------

EXPORT_FIELDS = ["id", "title", "company_id", "company", "sector", "leerweg", "level", "crebos", "city",
                 "start_date", "duration_weeks", "hours_per_week", "days_per_week", "pay_per_month", "seats",
                 "seats_free", "published_at"]  # fmt: skip


def _export_count() -> int:
    return db.session.scalar(
        select(func.count(Placement.id)).where(visible_in_search_clause(), place_clause())
    )


def _export_rows() -> list[dict]:
    places = db.session.scalars(
        select(Placement).where(visible_in_search_clause(), place_clause()).order_by(Placement.id)
    ).all()
    rooms = place_rooms([p.id for p in places])
    return [
        {
            "id": p.id,
            "title": p.title,
            "company_id": p.company_id,
            "company": p.company.name,
            "sector": p.company.sector,
            "leerweg": p.leerweg,
            "level": p.level,
            "crebos": ";".join(q.crebo for q in p.qualifications),
            "city": p.city,
            "start_date": p.start_date.isoformat(),
            "duration_weeks": p.duration_weeks,
            "hours_per_week": p.hours_per_week,
            "days_per_week": p.days_per_week,
            "pay_per_month": p.pay_per_month,
            "seats": p.seats,
            "seats_free": rooms[p.id].seats_free,
            "published_at": p.published_at.isoformat() if p.published_at else None,
        }  # fmt: skip
        for p in places
    ]


exports.open_data_source(count=_export_count, rows=_export_rows, fields=EXPORT_FIELDS)


def _open_data_snapshot(fmt: str):
    """A large list comes from the worker's snapshot (stagematch/exports.py); 503 until the
    first one is made."""
    response = exports.open_data_snapshot(fmt)
    if response is None:
        return api_error(503, "Export in preparation", "The export is being prepared; try again "
                         "in a minute.", {"Retry-After": "60"})  # fmt: skip
    return response


@bp.route("/export/places.json")
def export_json():
    if exports.open_data_is_large():
        return _open_data_snapshot("json")
    rows = _export_rows()
    return jsonify({"count": len(rows), "places": rows})


@bp.route("/export/places.csv")
def export_csv():
    if exports.open_data_is_large():
        return _open_data_snapshot("csv")
    rows = _export_rows()
    text = to_csv(
        EXPORT_FIELDS, [[r[f] if r[f] is not None else "" for f in EXPORT_FIELDS] for r in rows]
    )
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="plekken.csv"'},
    )


def _api_root() -> str:
    return external_url("api.openapi").rsplit("/openapi.json", 1)[0]


@bp.route("/openapi.json")
def openapi():
    return jsonify(spec(_api_root()))


@bp.route("/docs")
def docs():
    return render_template(
        "api/docs.html",
        spec=spec(_api_root()),
    )


@bp.route("/statistics")
def statistics():
    return jsonify({"qualifications": statistics_service.qualification_stats(),
                    "students": db.session.scalar(select(func.count(User.id)).where(User.role == Role.STUDENT))})  # fmt: skip

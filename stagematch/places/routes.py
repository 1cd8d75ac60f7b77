"""Finding places: the search page (public, the URL holds the filters) and the place page."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from stagematch import geo
from stagematch.access import role_required
from stagematch.extensions import db
from stagematch.forms import choices, find_qualification
from stagematch.matching.features import place_sqi
from stagematch.models import Application, Company, Mentor, Placement, PlaceRotation
from stagematch.models.enums import PlacementStatus, Role
from stagematch.places import bp
from stagematch.ranking import load_places, log_shown, make_ranker, ranked_search
from stagematch.reference import sectors
from stagematch.services import DomainError, list_order
from stagematch.services import applications as application_service
from stagematch.services.eligibility import open_to_students, pair_reasons
from stagematch.services.favourites import saved_ids, saved_sql
from stagematch.services.interactions import log_event
from stagematch.services.networks import chain as supervision_chain
from stagematch.services.placements import stale_reason
from stagematch.services.responses import MIN_SHOWN
from stagematch.services.responses import summary as response_summary
from stagematch.services.search import SearchFilters
from stagematch.services.supervision import (
    MIN_STUDENTS_FOR_AVERAGES,
    averages_of,
    rating_averages_sql,
)
from stagematch.students.forms import SORTS, ApplyForm, SearchForm
from stagematch.students.routes import query_string_for


def _student_profile():
    return (
        current_user.profile
        if current_user.is_authenticated and current_user.role == Role.STUDENT
        else None
    )


@bp.route("/")
def search_page():
    profile = _student_profile()
    args = request.args
    # A student's remembered order stands in for a sort the URL does not give (the URL's wins).
    order = list_order.order_of(current_user) if profile is not None else list_order.MODEL
    fresh = not any(v for k, v in args.items() if k not in ("page", "sort"))
    if fresh and profile is not None and "alle" not in args:
        # A student starts from their own situation; every filter can be changed or cleared.
        args = MultiDict({"leerweg": profile.leerweg, "crebo": profile.qualification.label,
                          "sort": args.get("sort") or list_order.SEARCH_SORT[order], "page": args.get("page", "1")})  # fmt: skip
        if profile.city:
            args.update({"town": profile.city, "radius": str(profile.max_travel_km)})
    form_args = args
    if profile is not None and not args.get("sort"):
        form_args = MultiDict(args)
        form_args["sort"] = list_order.SEARCH_SORT[order]
    form = SearchForm(form_args)
    form.sector.choices = choices([("", _("Alle branches"))] + [(s, s) for s in sectors()])
    valid = form.validate()
    filters = filters_from_form(form) if valid else None
    page = ranker = None
    if filters is not None:
        filters.student = profile
        filters.anywhere = args.get("heel_nederland") == "1"  # "Heel Nederland": no distance limit
        ranker = make_ranker(profile) if filters.sort == "relevance" else None
        page = ranked_search(filters, ranker=ranker, nationwide=True)
    html = render_template(
        "places/search.html", form=form, page=page, sorts=SORTS, profile=profile,
        query_string=query_string_for(args), list_order=order, order_back=_without_sort(request),
        saved_ids=None if profile is None else saved_ids(profile, [h.placement.id for h in page.hits] if page else []),
    )  # fmt: skip
    # After rendering: the log commits. A ranker means a student searched (anonymous: no log).
    log_shown(page, ranker, source="search", who=getattr(current_user, "id", None))
    return html, 200 if page is not None else 422


def _without_sort(req) -> str:
    """This search's path without its sort and page: where a changed order comes back to."""
    rest = urlencode(
        [(k, v) for k, v in req.args.items(multi=True) if v and k not in ("page", "sort")]
    )
    return req.path + (f"?{rest}" if rest else "")


def filters_from_form(form: SearchForm) -> SearchFilters | None:
    """The search form's values as filters; None (with errors on the form) when they don't add up."""
    qualification = find_qualification(form.crebo.data) if form.crebo.data else None
    if form.crebo.data and qualification is None:
        form.crebo.errors = [
            *form.crebo.errors,
            _("Deze opleiding kennen we niet. Kies uit de lijst."),
        ]
        return None
    town = getattr(form.town, "town", None)
    if form.radius.data and town is None:
        form.town.errors = [*form.town.errors, _("Vul een plaats in om op afstand te zoeken.")]
        return None
    return SearchFilters(
        q=form.q.data or "", leerweg=form.leerweg.data or None, qualification=qualification,
        level=int(form.level.data) if form.level.data else None, town=town, radius_km=form.radius.data,
        sector=form.sector.data or None, min_pay=form.min_pay.data, start_from=form.start_from.data,
        start_to=form.start_to.data, bbl_days=form.bbl_days.data, sort=form.sort.data or "relevance",
        page=form.page.data or 1, kansrijk=bool(form.kansrijk.data),
        for_switchers=bool(form.zij_instromers.data),
    )  # fmt: skip


@bp.route("/<int:placement_id>")
def detail(placement_id: int):
    profile = _student_profile()
    found = _load_place(placement_id, profile)
    if found is None:
        abort(404)
    placement, application, saved, rotation_rows, ratings = found
    own_company = current_user.is_authenticated and current_user.company_id == placement.company_id
    if placement.status == PlacementStatus.DRAFT:
        # A draft is the company's own work in progress: to anyone else it does not exist.
        if not (own_company or current_user.has_role(Role.ADMIN)):
            abort(404)
    elif not open_to_students(placement) and not own_company and application is None:
        return render_template("places/gone.html", placement=placement), 410
    distance = None
    if profile is not None and profile.lat is not None:
        distance = geo.distance_km(profile.lat, profile.lon, placement.lat, placement.lon)
    # One statement for the numbers: seats and the meester's learners over this place's period
    # (services.capacity's SQL form), SQI facts, the company's answers, open applications.
    [place] = load_places([placement.id], loaded=placement)
    ratings = averages_of(ratings)
    blocked = (
        pair_reasons(profile, placement, place=place)
        if profile is not None and application is None
        else []
    )
    html = render_template(
        "places/detail.html", placement=placement, distance=distance, profile=profile, application=application,
        load=place.meester, blocked=blocked, ratings=ratings, min_students=MIN_STUDENTS_FOR_AVERAGES,
        seats_left=place.seats_free, stale=stale_reason(placement), show_names=current_user.is_authenticated,
        sqi=place_sqi(place), saved=saved, chain=supervision_chain(placement, rotation_rows=rotation_rows),
        responses=response_summary(placement, free_seats=place.seats_free, place=place), min_shown=MIN_SHOWN,
    )  # fmt: skip
    if profile is not None or not current_user.is_authenticated:  # students and visitors
        log_event("place_view", student_id=profile.id if profile else None, place_id=placement_id)
    return html


def _load_place(placement_id: int, profile):
    """The place with what its page shows of it, in one statement: its company (and the
    company's accreditations), meester, gezel, qualifications and rotation, the meester's
    ratings (`supervision.rating_averages_sql`); for a student also their application to it and
    whether they saved it. None: no such place."""
    statement = select(
        Placement, PlaceRotation, rating_averages_sql(Placement.meester_id).label("ratings")
    ).outerjoin(PlaceRotation, PlaceRotation.placement_id == Placement.id)
    if profile is not None:
        statement = statement.add_columns(
            Application, saved_sql(profile.id, Placement).label("saved")
        ).outerjoin(Application, and_(
            Application.placement_id == Placement.id, Application.student_id == profile.id,
        ))  # fmt: skip
    rows = db.session.execute(
        statement.where(Placement.id == placement_id).options(
            joinedload(Placement.company).joinedload(Company.accreditations),
            # The chain names the meester's and gezel's firms (a network partner's, maybe).
            joinedload(Placement.meester).joinedload(Mentor.company),
            joinedload(Placement.gezel).joinedload(Mentor.company),
            joinedload(Placement.qualifications), joinedload(PlaceRotation.company),
        )
    ).unique().all()  # fmt: skip
    if not rows:
        return None
    placement = rows[0].Placement
    application = saved = None
    if profile is not None:
        application = next((r.Application for r in rows if r.Application is not None), None)
        saved = bool(rows[0].saved)
    rotation_rows = {r.PlaceRotation for r in rows if r.PlaceRotation is not None}
    return placement, application, saved, rotation_rows, rows[0].ratings


@bp.route("/<int:placement_id>/solliciteren", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def apply(placement_id: int):
    placement = db.get_or_404(Placement, placement_id)
    if placement.status == PlacementStatus.DRAFT:
        abort(404)  # as on the place page: a draft does not exist outside its company
    profile = _student_profile()
    if profile is not None and db.session.scalar(select(Application.id).where(
        Application.student_id == profile.id, Application.placement_id == placement.id
    )):  # fmt: skip
        # Applied already: the place page shows the application and its status, not a new form.
        flash(_("Je hebt al op deze plek gesolliciteerd."), "info")
        return redirect(url_for("places.detail", placement_id=placement.id))
    form = ApplyForm()
    if form.validate_on_submit():
        try:
            application_service.apply(
                student=profile,
                placement=placement,
                motivation=form.motivation.data,
                anonymous=form.anonymous.data,
            )
        except DomainError as error:
            flash(error.message, "error")
            return redirect(url_for("places.detail", placement_id=placement.id))
        flash(
            _("Je sollicitatie is verstuurd! Je ziet de status bij 'Mijn sollicitaties'."),
            "success",
        )
        return redirect(url_for("students.applications"))
    return render_template(
        "places/apply.html", form=form, placement=placement
    ), 422 if form.errors else 200


# The search form's autocomplete, and "kansrijk beroep" on the pages.
from stagematch.places import suggestions, tightness  # noqa: E402,F401

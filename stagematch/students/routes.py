"""The student's pages: home, profile and CV, applications, reports, saved searches, favourites."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from stagematch.access import ensure, role_required
from stagematch.extensions import csrf, db
from stagematch.forms import qualification_labels, school_choices
from stagematch.geo import town_names
from stagematch.models import Application, Placement, SavedSearch, School, StudentProfile
from stagematch.models.enums import ApplicationStatus, PlacementStatus, Role
from stagematch.services import DomainError, alerts, early_ending, list_order
from stagematch.services import applications as application_service
from stagematch.services import favourites as favourite_service
from stagematch.services import internships as internship_service
from stagematch.services import students as student_service
from stagematch.services.audit import record
from stagematch.students import bp
from stagematch.students.forms import AcceptOfferForm, ProfileForm, ReportForm, SavedSearchForm
from stagematch.timeutil import utcnow
from stagematch.urls import safe_next


def profile_checklist(profile) -> list[tuple[str, bool]]:
    """What a good match needs, in the student's words; drives the progress bar."""
    return [
        (_("Opleiding en leerweg"), profile.qualification_id is not None),
        (_("Woonplaats en reisafstand"), profile.city is not None),
        (_("Vanaf wanneer je kunt beginnen"), profile.available_from is not None),
        (_("Wat je kunt (vaardigheden)"), bool(profile.skills.strip())),
        (_("Wat je leuk vindt (interesses)"), bool(profile.interests.strip())),
        (_("Iets over jezelf (motivatie)"), len(profile.motivation.strip()) >= 40),
    ]


def _profile() -> StudentProfile:
    profile = current_user.profile
    if profile is None:
        abort(404)
    return profile


@bp.route("/")
@role_required(Role.STUDENT)
def home():
    from stagematch.ranking import log_shown, recommendations

    profile = _profile()
    checklist = profile_checklist(profile)
    applications = db.session.scalars(
        select(Application)
        .where(Application.student_id == profile.id)
        .options(joinedload(Application.placement))  # the titles, in the same statement
        .order_by(Application.created_at.desc())
        .limit(5)
    ).all()
    from stagematch.services.allocation_rounds import rounds_for_student
    from stagematch.services.evaluations import due_for_student

    order = list_order.order_of(current_user)
    # With a running or coming placement the home page is about that placement; suggestions
    # for new places would only distract (issue 17).
    placement, ended = internship_service.for_home(profile)
    recommended = None if placement else recommendations(profile, limit=5, order=order)
    replacement = early_ending.replacement(ended) if ended else None
    html = render_template(
        "students/home.html", profile=profile, checklist=checklist, applications=applications,
        list_order=order, placement=placement, ended=ended, replacement=replacement,
        placement_phase=internship_service.phase(placement) if placement else None,
        recommended=recommended, due=due_for_student(profile), rounds=rounds_for_student(profile),
        saved_ids=favourite_service.saved_ids(
            profile, [h.placement.id for h in recommended.hits] if recommended else [],
            ranker=getattr(recommended, "ranker", None),
        ),
        saved_search_count=_saved_searches_and_unread(),
    )  # fmt: skip
    if recommended is not None:  # after rendering: the log commits
        log_shown(recommended, source="home", who=current_user.id)
    return html


def _saved_searches_and_unread() -> int:
    """The student's saved searches, counted in one statement with the unread notifications the
    menu shows (issue #20: few statements per page); the menu takes its count from the request."""
    from stagematch.notifications.routes import UNREAD_KEY
    from stagematch.services.notifications import unread_count_statement

    searches, unread = db.session.execute(select(
        alerts.search_count_statement(current_user).scalar_subquery(),
        unread_count_statement(current_user.id).scalar_subquery(),
    )).one()  # fmt: skip
    request.environ[UNREAD_KEY] = unread
    return searches


@bp.post("/volgorde")
@role_required(Role.STUDENT)
def set_list_order():
    """The order of the student's lists (home, search): the model's, distance or start date."""
    try:
        list_order.set_list_order(
            user=current_user._get_current_object(), order=request.form.get("order", "")
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("De volgorde is bewaard."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("students.home"))


@bp.route("/profiel", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def profile():
    profile = _profile()
    form = ProfileForm(obj=profile if request.method == "GET" else None)
    form.school.choices = school_choices(
        _("Kies je school") if profile.school_id else _("Nog geen school")
    )  # grouped by province
    if request.method == "GET":
        form.school.data = profile.school_id or 0
        form.qualification.data = profile.qualification.label
        form.town.data = profile.city
    if form.validate_on_submit():
        try:
            if form.cv.data and getattr(form.cv.data, "filename", ""):
                student_service.store_cv(profile, form.cv.data.stream)
            student_service.update_profile(
                profile,
                student_service.ProfileData(
                    school=db.session.get(School, form.school.data) if form.school.data else None,
                    qualification=form.qualification.qualification,
                    leerweg=form.leerweg.data, town=form.town.town, max_travel_km=form.max_travel_km.data,
                    available_from=form.available_from.data, skills=form.skills.data or "",
                    interests=form.interests.data or "", languages=form.languages.data or "",
                    bbl_days=form.bbl_days.data, motivation=form.motivation.data or "",
                    accessibility_needs=form.accessibility_needs.data or "", discoverable=form.discoverable.data,
                ),
            )  # fmt: skip
        except DomainError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [*field.errors, error.message]
            else:
                flash(error.message, "error")
        else:
            flash(_("Je profiel is opgeslagen."), "success")
            return redirect(url_for("students.home"))
    return render_template(
        "students/profile.html", form=form, profile=profile, checklist=profile_checklist(profile),
        qualification_options=qualification_labels(), town_options=town_names(),
        tag_options=_tag_suggestions(profile),
    ), 422 if form.errors else 200  # fmt: skip


def _tag_suggestions(profile) -> list[str]:
    """Skills that places for this student's dossier ask for most: suggestions for the tag fields."""
    from collections import Counter

    from stagematch.models import Placement, placement_qualification
    from stagematch.services.search import equivalent_qualification_ids

    ids = equivalent_qualification_ids(profile.qualification)
    texts = db.session.scalars(
        select(Placement.required_skills)
        .join(placement_qualification, placement_qualification.c.placement_id == Placement.id)
        .where(placement_qualification.c.qualification_id.in_(ids))
        .limit(300)
    )
    counts = Counter(t.strip() for text in texts for t in text.split(",") if t.strip())
    return [t for t, _count in counts.most_common(25)]


@bp.route("/cv")
@role_required(Role.STUDENT)
def own_cv():
    profile = _profile()
    if not profile.cv_filename:
        abort(404)
    return _send_cv(profile)


@bp.route("/cv/verwijderen", methods=["POST"])
@role_required(Role.STUDENT)
def delete_cv():
    student_service.delete_cv(_profile())
    flash(_("Je cv is verwijderd."), "success")
    return redirect(url_for("students.profile"))


@bp.route("/<int:profile_id>/cv")
@login_required
def cv(profile_id: int):
    """A student's CV for a company the student applied to (once it may see who it is)."""
    profile = db.get_or_404(StudentProfile, profile_id)
    ensure(student_service.may_read_cv(current_user, profile))
    if not profile.cv_filename:
        abort(404)
    record("student.cv_view", profile)
    db.session.commit()
    return _send_cv(profile)


def _send_cv(profile: StudentProfile):
    path = student_service.cv_folder() / profile.cv_filename
    if not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype="application/pdf", as_attachment=True, download_name="cv.pdf", max_age=0
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- applications ----------------------------------------------------------------------------


def _own_application(application_id: int) -> Application:
    application = db.get_or_404(Application, application_id)
    ensure(application.student_id == _profile().id)
    return application


def accept_offer_form(offer: Application, applications, formdata=None) -> AcceptOfferForm:
    """The accept form of one offer: the student's other open applications, all ticked until the
    student unticks some. With `formdata` (a submitted form; nothing ticked means withdraw
    nothing) any of the student's other applications is a valid choice: one decided since the
    page was shown is left alone by the service."""
    others = [a for a in applications if a.id != offer.id]
    prefix = f"aanbod{offer.id}"
    if formdata is None:
        form = AcceptOfferForm(prefix=prefix, withdraw=[a.id for a in others if a.is_open])
    else:
        form = AcceptOfferForm(prefix=prefix, formdata=formdata)
    form.withdraw.choices = [
        (a.id, _("%(title)s bij %(company)s", title=a.placement.title, company=a.placement.company.name))
        for a in others
        if a.is_open or formdata is not None
    ]  # fmt: skip
    return form


@bp.route("/sollicitaties")
@role_required(Role.STUDENT)
def applications():
    profile = _profile()
    items = db.session.scalars(
        select(Application)
        .where(Application.student_id == profile.id)
        .order_by(Application.created_at.desc())
    ).all()
    offers = [a for a in items if a.status == ApplicationStatus.OFFERED]
    return render_template(
        "students/applications.html",
        applications=items,
        accept_forms={a.id: accept_offer_form(a, items) for a in offers},
        expired={a.id for a in offers if application_service.offer_expired(a)},
        minor={
            a.id
            for a in offers
            if application_service.is_minor(profile, (a.offered_at or utcnow()).date())
        },
    )


@bp.route("/sollicitaties/<int:application_id>/intrekken", methods=["POST"])
@role_required(Role.STUDENT)
def withdraw(application_id: int):
    application = _own_application(application_id)
    try:
        application_service.withdraw(application, by=current_user._get_current_object())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Je sollicitatie is ingetrokken."), "success")
    return redirect(url_for("students.applications"))


@bp.route("/sollicitaties/<int:application_id>/melden", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def report(application_id: int):
    application = _own_application(application_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            student_service.report_discrimination(application, form.description.data)
        except DomainError as error:
            form.description.errors = [*form.description.errors, error.message]
            return render_template("students/report.html", form=form, application=application), 422
        flash(
            _(
                "Bedankt voor je melding. Je stagecoördinator neemt contact met je op. Het bedrijf krijgt dit niet te zien."
            ),
            "success",
        )
        return redirect(url_for("students.applications"))
    return render_template(
        "students/report.html", form=form, application=application
    ), 422 if form.errors else 200


# --- saved searches --------------------------------------------------------------------------


@bp.route("/zoekopdrachten", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def saved_searches():
    form = SavedSearchForm()
    if form.validate_on_submit():
        try:
            saved = alerts.save_search(
                current_user, name=form.name.data, query_string=form.query_string.data or ""
            )
        except DomainError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            message = _('Zoekopdracht "%(name)s" bewaard. Je krijgt een e-mail als er nieuwe plekken '
                        "bij komen. Je vindt hem onder 'Zoekopdrachten' in het menu.", name=saved.name)  # fmt: skip
            flash(message, "success")
            return redirect(
                safe_next(form.next.data, within="/plekken/") or url_for("students.saved_searches")
            )
    return render_template(
        "students/saved_searches.html", items=alerts.searches_of(current_user), form=form
    ), 422 if form.errors else 200


def _field_error(form, error: DomainError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _own_saved_search(search_id: int) -> SavedSearch:
    saved = db.get_or_404(SavedSearch, search_id)
    ensure(saved.user_id == current_user.id)
    return saved


@bp.route("/zoekopdrachten/<int:search_id>/verwijderen", methods=["POST"])
@role_required(Role.STUDENT)
def delete_saved_search(search_id: int):
    alerts.delete_search(_own_saved_search(search_id))
    flash(_("Zoekopdracht verwijderd."), "success")
    return redirect(url_for("students.saved_searches"))


@bp.route("/zoekopdrachten/<int:search_id>/mail", methods=["POST"])
@role_required(Role.STUDENT)
def toggle_alert(search_id: int):
    saved = _own_saved_search(search_id)
    on = request.form.get("alert") == "1"
    alerts.set_alert(saved, on)
    if on:
        flash(_('Je krijgt weer e-mail over "%(name)s".', name=saved.name), "success")
    else:
        flash(_('Je krijgt geen e-mail meer over "%(name)s".', name=saved.name), "success")
    return redirect(url_for("students.saved_searches"))


@bp.route("/zoekopdrachten/uit/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the key; mail programs POST here without a form (RFC 8058)
def unsubscribe_alert(token: str):
    """The link in the alert mail: no login needed (the signed token is the key). GET only
    shows a button (mail scanners open links); the button, or the mail program's one-click
    "Afmelden" (List-Unsubscribe-Post), switches the alert off."""
    genuine, saved = alerts.search_from_token(token)
    if not genuine:
        return render_template("students/unsubscribe.html", state="invalid"), 400
    if saved is None:
        return render_template("students/unsubscribe.html", state="gone")
    if request.method == "POST":
        alerts.set_alert(saved, False)
        return redirect(url_for("students.unsubscribe_alert", token=token))
    return render_template(
        "students/unsubscribe.html", state="on" if saved.alert else "off", saved=saved
    )


# --- favourites (bewaarde plekken) -------------------------------------------------------------


@bp.route("/bewaard")
@role_required(Role.STUDENT)
def favourites():
    return render_template(
        "students/favourites.html", items=favourite_service.favourites(_profile())
    )


def _back_to(placement_id: int) -> str:
    """Where the student pressed the button (a site path in the form), at the same card."""
    target = safe_next(request.form.get("next")) or url_for(
        "places.detail", placement_id=placement_id
    )
    return target.split("#", 1)[0] + f"#plek-{placement_id}"


@bp.route("/bewaard/<int:placement_id>", methods=["POST"])
@role_required(Role.STUDENT)
def save_place(placement_id: int):
    placement = db.get_or_404(Placement, placement_id)
    if placement.status == PlacementStatus.DRAFT:
        abort(404)  # as on the place page: a draft does not exist outside its company
    try:
        favourite_service.save(student=_profile(), placement=placement)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Bewaard. Je vindt deze plek onder 'Bewaard' in het menu."), "success")
    return redirect(_back_to(placement_id))


@bp.route("/bewaard/<int:placement_id>/verwijderen", methods=["POST"])
@role_required(Role.STUDENT)
def remove_place(placement_id: int):
    if favourite_service.remove(student=_profile(), placement_id=placement_id):
        flash(_("Niet meer bewaard."), "success")
    return redirect(_back_to(placement_id))


def query_string_for(args) -> str:
    return urlencode([(k, v) for k, v in args.items(multi=True) if v and k != "page"])


# --- evaluations -----------------------------------------------------------------------------


@bp.route("/evaluaties/<int:evaluation_id>", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def evaluation(evaluation_id: int):
    from stagematch.models import Evaluation
    from stagematch.services import evaluations as evaluation_service
    from stagematch.students.forms import StudentEvaluationForm

    item = db.get_or_404(Evaluation, evaluation_id)
    ensure(item.internship.student_id == _profile().id and item.author_role == "student")
    form = StudentEvaluationForm()
    if form.validate_on_submit():
        try:
            evaluation_service.submit_student(
                item, supervision_time=form.supervision_time.data, feedback=form.feedback.data,
                learning_tasks=form.learning_tasks.data, safety=form.safety.data, overall=form.overall.data,
                mostly_routine=form.mostly_routine.data, comment=form.comment.data or "",
            )  # fmt: skip
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Bedankt! Je school ziet je antwoorden."), "success")
            return redirect(url_for("students.home"))
    return render_template(
        "students/evaluation.html", form=form, evaluation=item
    ), 422 if form.errors else 200


# --- privacy ---------------------------------------------------------------------------------


@bp.route("/privacy", methods=["GET", "POST"])
@role_required(Role.STUDENT)
def privacy():
    from flask_login import logout_user

    from stagematch.services.privacy import anonymise_student
    from stagematch.students.forms import DeleteAccountForm

    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors = [_("Dit wachtwoord klopt niet.")]
        else:
            user = current_user._get_current_object()
            logout_user()
            anonymise_student(user, reason="op verzoek van de student", actor=user)
            flash(_("Je account is verwijderd. Je gegevens zijn gewist."), "success")
            return redirect(url_for("main.index"))
    return render_template("students/privacy.html", form=form), 422 if form.errors else 200


@bp.route("/mijn-gegevens.zip")
@role_required(Role.STUDENT)
def export_data():
    from flask import Response

    from stagematch.services.privacy import export_data as build

    return Response(
        build(current_user), mimetype="application/zip",
        headers={"Content-Disposition": 'attachment; filename="mijn-gegevens-stagematch.zip"', "Cache-Control": "no-store"},
    )  # fmt: skip


# Issue 18: "Wat kun je al?" (EVC) and choosing a school after being hired.
from stagematch.students import adults  # noqa: E402,F401

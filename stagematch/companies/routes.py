"""The leerbedrijf's pages: profile and accreditations, meesters and gezellen, places, applicants."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import func, select

from stagematch.access import ensure, role_required
from stagematch.companies import bp
from stagematch.companies.forms import (
    AcceptInvitationForm,
    AccreditationForm,
    ColleagueForm,
    CompanyProfileForm,
    ImportForm,
    MentorForm,
    OfferForm,
    PlacementForm,
    RejectForm,
)
from stagematch.csvutil import csv_response
from stagematch.extensions import db
from stagematch.forms import (
    choices,
    find_qualification,
    qualification_labels,
    suggest_qualifications,
)
from stagematch.geo import town_names
from stagematch.inputs import arg_int
from stagematch.models import (
    REJECTION_REASONS,
    Accreditation,
    Application,
    CompanyInvitation,
    Mentor,
    Placement,
    User,
)
from stagematch.models.enums import ApplicationStatus, MentorRole, PlacementStatus, Role
from stagematch.reference import sectors
from stagematch.services import DomainError
from stagematch.services import applications as application_service
from stagematch.services import companies as company_service
from stagematch.services import networks as network_service
from stagematch.services import placements as placement_service
from stagematch.services.accounts import email_taken
from stagematch.services.audit import record
from stagematch.services.capacity import filled_seats, mentor_loads
from stagematch.services.eligibility import supervisors_for
from stagematch.templating import format_date
from stagematch.timeutil import today
from stagematch.wages import table_date


def _company():
    return current_user.company


def _own_placement(placement_id: int) -> Placement:
    placement = db.get_or_404(Placement, placement_id)
    ensure(placement.company_id == current_user.company_id)
    return placement


def _own_mentor(mentor_id: int) -> Mentor:
    mentor = db.get_or_404(Mentor, mentor_id)
    ensure(mentor.company_id == current_user.company_id)
    return mentor


def _own_application(application_id: int) -> Application:
    application = db.get_or_404(Application, application_id)
    ensure(application.placement.company_id == current_user.company_id)
    return application


def _field_errors(form, error: DomainError) -> None:
    """Put a domain error on its form field (or flash it when it has none)."""
    problems = getattr(error, "problems", [error])
    for problem in problems:
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None:
            field.errors = [*field.errors, problem.message]
        else:
            flash(problem.message, "error")


@bp.route("/")
@role_required(Role.COMPANY)
def home():
    company = _company()
    places = db.session.scalars(
        select(Placement)
        .where(Placement.company_id == company.id)
        .order_by(Placement.start_date.desc())
    ).all()
    filled = filled_seats([p.id for p in places])
    open_counts = dict(
        db.session.execute(
            select(Application.placement_id, func.count(Application.id))
            .join(Placement)
            .where(
                Placement.company_id == company.id,
                Application.status.in_(application_service.OPEN_STATUSES),
            )
            .group_by(Application.placement_id)
        ).all()
    )
    mentors = placement_service.company_mentors(company)
    loads = mentor_loads([m.id for m in mentors])
    steps = company_service.onboarding_steps(company, mentors=mentors, places=places)
    from stagematch.services.allocation_rounds import rounds_for_company
    from stagematch.services.evaluations import due_for_company
    from stagematch.services.supervision import rating_averages

    ratings = rating_averages([m.id for m in mentors if m.role == MentorRole.MEESTER])
    return render_template(
        "companies/home.html", due=due_for_company(company.id), ratings=ratings, company=company, places=places, filled=filled, open_counts=open_counts,
        mentors=mentors, loads=loads, steps=steps, stale=placement_service.stale_reason,
        subsidy=placement_service.subsidy_eligible, rounds=rounds_for_company(company.id),
        invitations=network_service.open_invitations(company),
    )  # fmt: skip


# --- profile, accreditations, colleagues -----------------------------------------------------


@bp.route("/bedrijf", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def profile():
    company = _company()
    form = CompanyProfileForm(obj=company if request.method == "GET" else None)
    form.sector.choices = choices([("", _("Kies een branche"))] + [(s, s) for s in sectors()])
    if request.method == "GET":
        form.town.data = company.city
    if form.validate_on_submit():
        try:
            company_service.update_profile(
                company, name=form.name.data, kvk_number=form.kvk_number.data, sbb_id=form.sbb_id.data,
                town=form.town.town, sector=form.sector.data, size_band=form.size_band.data,
                description=form.description.data or "",
            )  # fmt: skip
        except DomainError as error:
            _field_errors(form, error)
        else:
            flash(_("Je bedrijfsgegevens zijn opgeslagen."), "success")
            return redirect(url_for("companies.profile"))
    accreditation_form = AccreditationForm(prefix="acc")
    return render_template(
        "companies/profile.html", form=form, company=company, accreditation_form=accreditation_form,
        town_options=town_names(),
        qualification_options=qualification_labels(), today=today(),
    )  # fmt: skip


@bp.route("/erkenningen", methods=["POST"])
@role_required(Role.COMPANY)
def add_accreditation():
    company = _company()
    form = AccreditationForm(prefix="acc")
    if form.validate_on_submit():
        qualification = find_qualification(form.qualification.data)
        if qualification is None:
            found = suggest_qualifications(form.qualification.data)
            if found:
                message = _(
                    "Deze opleiding kennen we niet. Bedoel je: %(options)s?",
                    options="; ".join(q.label for q in found),
                )
            else:
                message = _("Deze opleiding kennen we niet.")
            form.qualification.errors = [message]
        else:
            try:
                company_service.add_accreditation(
                    company,
                    qualification=qualification,
                    valid_from=form.valid_from.data,
                    valid_to=form.valid_to.data,
                )
            except DomainError as error:
                _field_errors(form, error)
            else:
                flash(_("Erkenning voor %(name)s toegevoegd.", name=qualification.name), "success")
                return redirect(url_for("companies.profile") + "#erkenningen")
    profile_form = CompanyProfileForm(obj=company)
    profile_form.sector.choices = choices([(s, s) for s in sectors()])
    profile_form.town.data = company.city
    return render_template(
        "companies/profile.html", form=profile_form, company=company, accreditation_form=form,
        town_options=town_names(),
        qualification_options=qualification_labels(), today=today(),
    ), 422  # fmt: skip


@bp.route("/erkenningen/<int:accreditation_id>/verwijderen", methods=["POST"])
@role_required(Role.COMPANY)
def remove_accreditation(accreditation_id: int):
    accreditation = db.get_or_404(Accreditation, accreditation_id)
    ensure(accreditation.company_id == current_user.company_id)
    try:
        company_service.remove_accreditation(accreditation)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Erkenning verwijderd."), "success")
    return redirect(url_for("companies.profile") + "#erkenningen")


@bp.route("/collegas")
@role_required(Role.COMPANY)
def colleagues():
    return _colleagues_page(ColleagueForm(prefix="col"))


def _colleagues_page(form: ColleagueForm, status: int = 200):
    company = _company()
    users = db.session.scalars(
        select(User).where(User.company_id == company.id).order_by(User.name)
    ).all()
    return render_template(
        "companies/colleagues.html", form=form, colleagues=users,
        invitations=company_service.open_invitations(company), expired=company_service.invitation_expired,
        days=company_service.INVITATION_DAYS, max_open=company_service.MAX_OPEN_INVITATIONS,
    ), status  # fmt: skip


@bp.route("/collegas", methods=["POST"])
@role_required(Role.COMPANY)
def add_colleague():
    form = ColleagueForm(prefix="col")
    if form.validate_on_submit():
        try:
            company_service.invite_colleague(
                _company(), name=form.name.data, email=form.email.data,
                invited_by=current_user._get_current_object(),
            )  # fmt: skip
        except DomainError as error:
            _field_errors(form, error)
        else:
            # The same answer whether or not the address has an account: the form tells nothing.
            flash(
                _(
                    "We hebben een uitnodiging gestuurd naar %(email)s. Met de link in de e-mail "
                    "maakt je collega een account (%(days)s dagen geldig).",
                    email=form.email.data.strip(),
                    days=company_service.INVITATION_DAYS,
                ),
                "success",
            )
            return redirect(url_for("companies.colleagues"))
    return _colleagues_page(form, 422)


@bp.route("/collegas/uitnodigingen/<int:invitation_id>/intrekken", methods=["POST"])
@role_required(Role.COMPANY)
def revoke_invitation(invitation_id: int):
    invitation = db.get_or_404(CompanyInvitation, invitation_id)
    ensure(invitation.company_id == current_user.company_id)
    company_service.revoke_invitation(invitation, by=current_user._get_current_object())
    flash(_("De uitnodiging voor %(email)s is ingetrokken.", email=invitation.email), "success")
    return redirect(url_for("companies.colleagues"))


@bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """A colleague's invitation link: their name and a password make their company account."""
    invitation = company_service.invitation_from_token(token)
    if invitation is None or not invitation.open:
        return render_template("companies/invitation.html", invitation=None, form=None), 410
    company = invitation.company
    if current_user.is_authenticated:
        # Making a second account while logged in would mix two people's sessions.
        return render_template("companies/invitation.html", invitation=invitation, company=company,
                               form=None, logged_in=True)  # fmt: skip
    if email_taken(invitation.email):
        return render_template("companies/invitation.html", invitation=invitation, company=company,
                               form=None, problem=company_service.ADDRESS_HAS_ACCOUNT)  # fmt: skip
    form = AcceptInvitationForm()
    if request.method == "GET":
        form.name.data = invitation.name
    if form.validate_on_submit():
        try:
            user = company_service.accept_invitation(
                invitation, name=form.name.data, password=form.password.data
            )
        except DomainError as error:
            return render_template("companies/invitation.html", invitation=invitation, company=company,
                                   form=None, problem=error.message)  # fmt: skip
        login_user(user)
        flash(_("Welkom bij %(company)s! Je account is klaar.", company=company.name), "success")
        return redirect(url_for("companies.home"))
    return render_template(
        "companies/invitation.html", invitation=invitation, company=company, form=form
    ), 422 if form.errors else 200


# --- mentors ---------------------------------------------------------------------------------


def _mentor_form(company, mentor: Mentor | None = None) -> MentorForm:
    form = MentorForm(obj=mentor if request.method == "GET" else None)
    meesters = [
        m
        for m in placement_service.company_mentors(company, MentorRole.MEESTER)
        if not mentor or m.id != mentor.id
    ]
    form.meester_id.choices = choices(
        [(0, _("– kies een meester –"))] + [(m.id, m.name) for m in meesters]
    )
    if request.method == "GET" and mentor is not None:
        form.meester_id.data = mentor.meester_id or 0
    return form


@bp.route("/begeleiders")
@role_required(Role.COMPANY)
def mentors():
    company = _company()
    all_mentors = placement_service.company_mentors(company, active_only=False)
    loads = mentor_loads([m.id for m in all_mentors])
    return render_template(
        "companies/mentors.html", company=company, mentors=all_mentors, loads=loads
    )


@bp.route("/begeleiders/nieuw", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def new_mentor():
    company = _company()
    form = _mentor_form(company)
    if request.method == "GET" and request.args.get("rol") == "gezel":
        form.role.data = "gezel"
    if form.validate_on_submit():
        try:
            mentor = company_service.save_mentor(company, form_data(form))
        except DomainError as error:
            _field_errors(form, error)
        else:
            if mentor.role == MentorRole.GEZEL:
                message = _("%(name)s staat erin als gezel.", name=mentor.name)
            else:
                message = _("%(name)s staat erin als meester.", name=mentor.name)
            flash(message, "success")
            return redirect(
                request.args.get("terug") == "plek"
                and url_for("companies.new_placement")
                or url_for("companies.mentors")
            )
    return render_template(
        "companies/mentor_form.html", form=form, mentor=None
    ), 422 if form.errors else 200


@bp.route("/begeleiders/<int:mentor_id>", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def edit_mentor(mentor_id: int):
    company = _company()
    mentor = _own_mentor(mentor_id)
    form = _mentor_form(company, mentor)
    if form.validate_on_submit():
        try:
            company_service.save_mentor(company, form_data(form), mentor=mentor)
        except DomainError as error:
            _field_errors(form, error)
        else:
            flash(_("Gegevens van %(name)s opgeslagen.", name=mentor.name), "success")
            return redirect(url_for("companies.mentors"))
    load = mentor_loads([mentor.id])[mentor.id]
    return render_template(
        "companies/mentor_form.html", form=form, mentor=mentor, load=load
    ), 422 if form.errors else 200


@bp.route("/begeleiders/<int:mentor_id>/actief", methods=["POST"])
@role_required(Role.COMPANY)
def toggle_mentor(mentor_id: int):
    mentor = _own_mentor(mentor_id)
    try:
        company_service.set_mentor_active(mentor, not mentor.active)
    except DomainError as error:
        flash(error.message, "error")
    else:
        if mentor.active:
            message = _("%(name)s is weer actief.", name=mentor.name)
        else:
            message = _("%(name)s is niet meer actief.", name=mentor.name)
        flash(message, "success")
    return redirect(url_for("companies.mentors"))


def form_data(form: MentorForm) -> dict:
    return dict(
        role=form.role.data, name=form.name.data, function=form.function.data or "",
        email=form.email.data or None, phone=form.phone.data or "",
        years_experience=form.years_experience.data,
        trained=form.trained.data, trained_on=form.trained_on.data if form.trained.data else None,
        meestertitel=form.meestertitel.data, hours_per_week=float(form.hours_per_week.data),
        capacity=form.capacity.data, meester_id=form.meester_id.data or None,
    )  # fmt: skip


# --- places ----------------------------------------------------------------------------------


def _placement_form(company, placement: Placement | None = None) -> PlacementForm:
    form = PlacementForm(obj=placement if request.method == "GET" and placement else None)
    current = company_service.current_accreditations(company)
    form.qualifications.choices = choices((q.id, q.label) for q in current)
    # Its own mentors and those of its leerbedrijf network (issue 18), with the firm's name.
    meesters = supervisors_for(company.id, MentorRole.MEESTER)
    loads = mentor_loads(
        [m.id for m in meesters], exclude_placement_id=placement.id if placement else None
    )
    form.meester.choices = choices(
        [(0, _("– kies een meester –"))]
        + [
            (
                m.id,
                _(
                    "%(name)s – nog ruimte voor %(free)s van %(capacity)s",
                    name=_mentor_label(m, company),
                    free=loads[m.id].free,
                    capacity=m.capacity,
                ),
            )
            for m in meesters
        ]
    )
    gezellen = supervisors_for(company.id, MentorRole.GEZEL)
    form.gezel.choices = choices(
        [(0, _("Geen gezel"))]
        + [
            (
                g.id,
                _(
                    "%(name)s (onder %(meester)s)",
                    name=_mentor_label(g, company),
                    meester=g.meester.name if g.meester else "–",
                ),
            )
            for g in gezellen
        ]
    )
    if request.method == "GET":
        if placement is not None:
            form.qualifications.data = [q.id for q in placement.qualifications]
            form.meester.data = placement.meester_id
            form.gezel.data = placement.gezel_id or 0
            form.town.data = placement.city
            form.wage_age.data = placement.wage_age or 0
        else:
            form.town.data = company.city
            if len(current) == 1:
                form.qualifications.data = [current[0].id]
            if len(meesters) == 1:
                form.meester.data = meesters[0].id
    return form


def _mentor_label(mentor: Mentor, company) -> str:
    if mentor.company_id == company.id:
        return mentor.name
    return _("%(name)s (%(company)s)", name=mentor.name, company=mentor.company.name)


def _render_placement_form(form, company, placement, status=200):
    meesters = supervisors_for(company.id, MentorRole.MEESTER)
    loads = mentor_loads(
        [m.id for m in meesters], exclude_placement_id=placement.id if placement else None
    )
    return render_template(
        "companies/placement_form.html", form=form, placement=placement, company=company,
        meesters=meesters, loads=loads, town_options=town_names(), wage_table_date=table_date(),
        has_accreditations=bool(form.qualifications.choices),
    ), status  # fmt: skip


def _flash_saved(placement: Placement, publish: bool, saved: str) -> None:
    db.session.refresh(placement)
    if placement.status == PlacementStatus.OPEN and publish:
        flash(_("De plek staat online."), "success")
    elif publish and placement.status == PlacementStatus.DRAFT:
        flash(_("De plek wacht op controle door de school: in de tekst staan woorden die "
                "iemand kunnen uitsluiten. Je hoort het als de school heeft besloten."), "info")  # fmt: skip
    else:
        flash(saved, "success")


@bp.route("/plekken/nieuw", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def new_placement():
    company = _company()
    form = _placement_form(company)
    if form.validate_on_submit():
        publish = request.form.get("action") == "publish"
        try:
            placement = placement_service.save_placement(
                company=company, data=form.to_data(), publish=publish, by=current_user
            )
        except DomainError as error:
            _field_errors(form, error)
            return _render_placement_form(form, company, None, 422)
        _flash_saved(placement, publish, _("De plek is opgeslagen als concept."))
        return redirect(url_for("companies.placement", placement_id=placement.id))
    return _render_placement_form(form, company, None, 422 if form.errors else 200)


@bp.route("/plekken/<int:placement_id>")
@role_required(Role.COMPANY)
def placement(placement_id: int):
    placement = _own_placement(placement_id)
    applications = db.session.scalars(
        select(Application)
        .where(Application.placement_id == placement.id)
        .order_by(Application.created_at.desc())
    ).all()
    problems = (
        placement_service.publish_problems(placement)
        if placement.status == PlacementStatus.DRAFT
        else []
    )
    from stagematch.ranking import log_suggested, suggested_students
    from stagematch.services import fair_ads

    suggestions = suggested_students(placement) if placement.status == PlacementStatus.OPEN else []
    html = render_template(
        "companies/placement.html", placement=placement, applications=applications, problems=problems,
        ad_check=fair_ads.latest_check(placement.id), explain_hits=fair_ads.explain,
        suggestions=suggestions, filled=filled_seats([placement.id]).get(placement.id, 0), stale=placement_service.stale_reason(placement),
        subsidy=placement_service.subsidy_eligible(placement), subsidy_amount=placement_service.SUBSIDY_PER_PLACE_EUR,
        today=today(),
    )  # fmt: skip
    log_suggested(suggestions, placement, who=current_user.id)  # after rendering: the log commits
    return html


@bp.route("/plekken/<int:placement_id>/bewerken", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def edit_placement(placement_id: int):
    company = _company()
    placement = _own_placement(placement_id)
    if placement.status == PlacementStatus.FILLED:
        flash(_("Deze plek is vol. Maak een kopie om een nieuwe plek te maken."), "info")
        return redirect(url_for("companies.placement", placement_id=placement.id))
    form = _placement_form(company, placement)
    if form.validate_on_submit():
        publish = request.form.get("action") == "publish"
        try:
            placement_service.save_placement(
                company=company, data=form.to_data(), placement=placement, publish=publish,
                by=current_user,
            )  # fmt: skip
        except DomainError as error:
            _field_errors(form, error)
            return _render_placement_form(form, company, placement, 422)
        _flash_saved(placement, publish, _("De plek is opgeslagen."))
        return redirect(url_for("companies.placement", placement_id=placement.id))
    return _render_placement_form(form, company, placement, 422 if form.errors else 200)


@bp.route("/plekken/<int:placement_id>/<action>", methods=["POST"])
@role_required(Role.COMPANY)
def placement_action(placement_id: int, action: str):
    placement = _own_placement(placement_id)
    try:
        if action == "publiceren":
            placement_service.publish(placement, by=current_user)
            _flash_saved(placement, True, "")
        elif action == "sluiten":
            placement_service.close(placement)
            flash(_("De plek is gesloten en staat niet meer online."), "success")
        elif action == "bevestigen":
            placement_service.confirm(placement)
            flash(_("Bedankt! De plek staat weer 60 dagen in de zoekresultaten."), "success")
        elif action == "kopieren":
            copy = placement_service.duplicate(placement)
            flash(_("Kopie gemaakt. Pas aan wat anders is en zet hem online."), "success")
            return redirect(url_for("companies.edit_placement", placement_id=copy.id))
        else:
            abort(404)
    except DomainError as error:
        for problem in getattr(error, "problems", [error]):
            flash(problem.message, "error")
    return redirect(url_for("companies.placement", placement_id=placement.id))


# --- applicants ------------------------------------------------------------------------------


@bp.route("/sollicitaties")
@role_required(Role.COMPANY)
def applications():
    company = _company()
    status = request.args.get("status", "open")
    stmt = (
        select(Application)
        .join(Placement)
        .where(Placement.company_id == company.id)
        .order_by(Application.created_at.desc())
    )
    if status == "open":
        stmt = stmt.where(Application.status.in_(application_service.OPEN_STATUSES))
    elif status in {s.value for s in ApplicationStatus}:
        stmt = stmt.where(Application.status == status)
    place_id = arg_int("plek")
    if place_id:
        stmt = stmt.where(Application.placement_id == place_id)
    page = db.paginate(stmt, per_page=25, error_out=False)
    places = db.session.scalars(
        select(Placement).where(Placement.company_id == company.id).order_by(Placement.title)
    ).all()
    return render_template(
        "companies/applications.html", page=page, status=status, place_id=place_id, places=places
    )


@bp.route("/sollicitaties/<int:application_id>")
@role_required(Role.COMPANY)
def application(application_id: int):
    application = _own_application(application_id)
    view = company_service.applicant_view(application, evc=True)
    record(
        "student.view", application.student, application=application.id
    ) if application.student else None
    db.session.commit()
    deciding = application.status in application_service.COMPANY_DECIDES
    return render_template(
        "companies/application.html",
        application=application,
        view=view,
        reject_form=RejectForm(),
        offer_form=OfferForm(respond_by=application_service.default_respond_by()),
        problems=application_service.pair_problems(application) if deciding else [],
        reasons=REJECTION_REASONS,
    )


@bp.route("/sollicitaties/<int:application_id>/aanbod", methods=["POST"])
@role_required(Role.COMPANY)
def make_offer(application_id: int):
    """Offer the place; the student answers before the date (no instant hire)."""
    application = _own_application(application_id)
    form = OfferForm()
    if not form.validate_on_submit():
        for error in form.respond_by.errors or [_("Probeer het opnieuw.")]:
            flash(str(error), "error")
        return redirect(url_for("companies.application", application_id=application.id))
    try:
        application_service.make_offer(
            application.id, respond_by=form.respond_by.data, by=current_user._get_current_object()
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            _("Je aanbod is verstuurd. De student kan reageren tot en met %(date)s; tot dan "
              "houden we de plaats voor hem of haar vrij.", date=format_date(form.respond_by.data)),
            "success",
        )  # fmt: skip
    return redirect(url_for("companies.application", application_id=application.id))


@bp.route("/sollicitaties/<int:application_id>/<action>", methods=["POST"])
@role_required(Role.COMPANY)
def application_action(application_id: int, action: str):
    application = _own_application(application_id)
    try:
        if action == "uitnodigen":
            application_service.shortlist(application, by=current_user._get_current_object())
            flash(
                _("De student staat op je shortlist. Je ziet nu de naam en contactgegevens."),
                "success",
            )
        elif action == "afwijzen":
            form = RejectForm()
            if not form.validate_on_submit():
                flash(_("Kies een reden om af te wijzen."), "error")
                return redirect(url_for("companies.application", application_id=application.id))
            application_service.reject(
                application,
                reason=form.reason.data,
                note=form.note.data or "",
                by=current_user._get_current_object(),
            )
            flash(_("De sollicitatie is afgewezen. De student krijgt bericht."), "success")
        else:
            abort(404)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("companies.application", application_id=application.id))
    return redirect(url_for("companies.application", application_id=application.id))


# --- import and export -----------------------------------------------------------------------


@bp.route("/plekken/importeren", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def import_placements():
    """The upload; the import itself runs as a job (its page shows progress and the report).
    `?fouten=<job id>` downloads the refused rows of one's own import."""
    from stagematch.importing import own_job, refused_csv
    from stagematch.services import place_import

    if "fouten" in request.args:
        job = own_job(request.args["fouten"], place_import.JOB_KIND, current_user)
        if job is None:
            abort(404)
        return csv_response(refused_csv(job.result or {}), "plekken-niet-geimporteerd.csv")
    form = ImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read(place_import.MAX_BYTES + 1)
        problem = place_import.check_upload(raw)
        if problem is None:
            job = place_import.start_import(
                company=_company(), raw=raw, by=current_user._get_current_object()
            )
            return redirect(url_for("main.job", job_id=job.id))
        form.file.errors = [problem]
    return render_template(
        "companies/import.html", form=form, columns=place_import.IMPORT_COLUMNS
    ), 422 if form.errors else 200


@bp.route("/plekken/export.csv")
@role_required(Role.COMPANY)
def export_placements():
    return csv_response(company_service.export_placements(_company()), "plekken.csv")


@bp.route("/sollicitaties/export.csv")
@role_required(Role.COMPANY)
def export_applications():
    return csv_response(company_service.export_applications(_company()), "sollicitaties.csv")


# --- evaluations -----------------------------------------------------------------------------


@bp.route("/evaluaties/<int:evaluation_id>", methods=["GET", "POST"])
@role_required(Role.COMPANY)
def evaluation(evaluation_id: int):
    from stagematch.companies.forms import MeesterEvaluationForm
    from stagematch.models import Evaluation
    from stagematch.services import evaluations as evaluation_service

    item = db.get_or_404(Evaluation, evaluation_id)
    ensure(evaluation_service.may_fill_in(current_user, item))
    form = MeesterEvaluationForm()
    if form.validate_on_submit():
        try:
            evaluation_service.submit_meester(item, progress=form.progress.data, attitude=form.attitude.data,
                                              comment=form.comment.data or "")  # fmt: skip
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Bedankt! De school en de leerling zien je beoordeling."), "success")
            return redirect(url_for("companies.home"))
    return render_template(
        "companies/evaluation.html", form=form, evaluation=item
    ), 422 if form.errors else 200


@bp.route("/plekken/<int:placement_id>/uitnodigen/<int:profile_id>", methods=["POST"])
@role_required(Role.COMPANY)
def invite_student(placement_id: int, profile_id: int):
    """Invite a suggested student to apply. The company still does not learn who the student is."""
    from stagematch.models import StudentProfile
    from stagematch.ranking import suggested_students

    placement = _own_placement(placement_id)
    if profile_id not in {s["profile_id"] for s in suggested_students(placement, limit=50)}:
        abort(404)
    profile = db.session.get(StudentProfile, profile_id)
    if not application_service.invite_to_apply(placement=placement, profile=profile,
                                               by=current_user._get_current_object()):  # fmt: skip
        flash(_("Deze student heeft al een uitnodiging voor deze plek."), "info")
    else:
        flash(
            _(
                "De student krijgt een uitnodiging om te solliciteren. Je ziet de naam als hij of zij solliciteert en je uitnodigt."
            ),
            "success",
        )
    return redirect(url_for("companies.placement", placement_id=placement.id))

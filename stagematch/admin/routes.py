"""Finding and acting on users and companies; the mail log and the jobs. Every action is a GET
confirmation page whose form POSTs back with `bevestigd=ja`; the services do the work."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from stagematch.access import role_required
from stagematch.admin import bp
from stagematch.admin.forms import ConfirmForm, JobCoachForm
from stagematch.extensions import db
from stagematch.models import Company, CompanyInvitation, User
from stagematch.models.enums import Role
from stagematch.pagination import page_arg
from stagematch.services import DomainError
from stagematch.services import admin as service

PER_PAGE = 25
# The URL's word for each action (users' words) and the service's name for it.
USER_ACTIONS = {"uitzetten": "deactivate", "aanzetten": "reactivate", "verwijderen": "remove",
                "uitnodiging": "invite"}  # fmt: skip
COMPANY_ACTIONS = {"uitzetten": "deactivate", "aanzetten": "reactivate", "verwijderen": "remove"}


def _confirmed(form: ConfirmForm) -> bool:
    return request.form.get("bevestigd") == "ja" and form.validate_on_submit()


# --- users -----------------------------------------------------------------------------------------


@bp.route("/gebruikers")
@role_required(Role.ADMIN)
def users():
    filters = service.UserFilters.from_args(request.args)
    page = db.paginate(service.users_statement(filters), page=page_arg(request), per_page=PER_PAGE,
                       error_out=False)  # fmt: skip
    return render_template("admin/users.html", page=page, filters=filters, roles=list(Role),
                           state_of=service.account_state, state_labels=service.STATE_LABELS)  # fmt: skip


@bp.route("/gebruikers/jobcoach", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_job_coach():
    """Invite a job coach (issue 18): an account with a link to choose a password."""
    form = JobCoachForm()
    if form.validate_on_submit():
        try:
            coach = service.invite_job_coach(name=form.name.data, email=form.email.data,
                                             organisation=form.organisation.data,
                                             by=current_user._get_current_object())  # fmt: skip
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            flash(_("%(name)s is uitgenodigd als jobcoach. De uitnodiging is verstuurd naar "
                    "%(email)s.", name=coach.name, email=coach.email), "success")  # fmt: skip
            return redirect(url_for("admin.user", user_id=coach.id))
    return render_template("admin/new_job_coach.html", form=form), 422 if form.errors else 200


@bp.route("/gebruikers/<int:user_id>")
@role_required(Role.ADMIN)
def user(user_id: int):
    found = db.get_or_404(User, user_id)
    actions = {
        word: service.user_action_refusal(name, found, by=current_user) is None
        for word, name in USER_ACTIONS.items()
    }
    return render_template("admin/user.html", user=found, actions=actions,
                           state=service.account_state(found), state_labels=service.STATE_LABELS)  # fmt: skip


@bp.route("/gebruikers/<int:user_id>/<action>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_action(user_id: int, action: str):
    found = db.get_or_404(User, user_id)
    name = USER_ACTIONS.get(action) or abort(404)
    form = ConfirmForm()
    if request.method == "POST" and _confirmed(form):
        admin = current_user._get_current_object()
        label = found.name
        try:
            if name == "deactivate":
                service.deactivate_user(found, by=admin)
                flash(_("%(name)s staat uit en is overal uitgelogd.", name=label), "success")
            elif name == "reactivate":
                service.reactivate_user(found, by=admin)
                flash(_("%(name)s staat weer aan.", name=label), "success")
            elif name == "remove":
                service.remove_user(found, by=admin)
                flash(_("Het account van %(name)s is verwijderd.", name=label), "success")
            elif service.resend_invitation(found, by=admin):
                flash(_("De uitnodiging is opnieuw verstuurd naar %(email)s.", email=found.email),
                      "success")  # fmt: skip
            else:
                flash(
                    _("De uitnodiging kon niet worden verstuurd. Kijk in het maillogboek."), "error"
                )
        except DomainError as error:
            flash(error.message, "error")
        return redirect(url_for("admin.user", user_id=user_id))
    refusal = service.user_action_refusal(name, found, by=current_user)
    return render_template("admin/confirm_user.html", user=found, action=action, form=form,
                           refusal=refusal)  # fmt: skip


# --- companies -------------------------------------------------------------------------------------


@bp.route("/bedrijven")
@role_required(Role.ADMIN)
def companies():
    from stagematch.pagination import paginate_rows

    filters = service.CompanyFilters.from_args(request.args)
    page = paginate_rows(service.companies_statement(filters), page_arg(request), per_page=PER_PAGE)
    return render_template("admin/companies.html", page=page, filters=filters)


@bp.route("/bedrijven/<int:company_id>")
@role_required(Role.ADMIN)
def company(company_id: int):
    found = db.get_or_404(Company, company_id)
    facts = service.company_facts(found)
    actions = {
        word: service.company_action_refusal(name, found, facts) is None
        for word, name in COMPANY_ACTIONS.items()
    }
    return render_template("admin/company.html", company=found, facts=facts, actions=actions,
                           state_of=service.account_state, state_labels=service.STATE_LABELS)  # fmt: skip


@bp.route("/bedrijven/<int:company_id>/<action>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def company_action(company_id: int, action: str):
    found = db.get_or_404(Company, company_id)
    name = COMPANY_ACTIONS.get(action) or abort(404)
    form = ConfirmForm()
    if request.method == "POST" and _confirmed(form):
        admin = current_user._get_current_object()
        label = found.name
        try:
            if name == "deactivate":
                service.deactivate_company(found, by=admin)
                flash(_("%(name)s staat uit: de plekken zijn van de site en niemand van het bedrijf "
                        "kan inloggen.", name=label), "success")  # fmt: skip
            elif name == "reactivate":
                service.reactivate_company(found, by=admin)
                flash(_("%(name)s staat weer aan.", name=label), "success")
            else:
                service.remove_company(found, by=admin)
                flash(_("%(name)s is verwijderd.", name=label), "success")
                return redirect(url_for("admin.companies"))
        except DomainError as error:
            flash(error.message, "error")
        return redirect(url_for("admin.company", company_id=company_id))
    facts = service.company_facts(found)
    refusal = service.company_action_refusal(name, found, facts)
    return render_template("admin/confirm_company.html", company=found, facts=facts, action=action,
                           form=form, refusal=refusal)  # fmt: skip


@bp.route("/uitnodigingen/<int:invitation_id>/opnieuw", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def resend_invitation(invitation_id: int):
    invitation = db.get_or_404(CompanyInvitation, invitation_id)
    form = ConfirmForm()
    if request.method == "POST" and _confirmed(form):
        try:
            queued = service.resend_colleague_invitation(
                invitation, by=current_user._get_current_object()
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            if queued:
                flash(_("De uitnodiging is opnieuw verstuurd naar %(email)s.", email=invitation.email),
                      "success")  # fmt: skip
            else:
                flash(
                    _("De uitnodiging kon niet worden verstuurd. Kijk in het maillogboek."), "error"
                )
        return redirect(url_for("admin.company", company_id=invitation.company_id))
    return render_template("admin/confirm_invitation.html", invitation=invitation, form=form)


# --- mail and jobs ---------------------------------------------------------------------------------


@bp.route("/mail")
@role_required(Role.ADMIN)
def mail_log():
    filters = service.MailFilters.from_args(request.args)
    page = db.paginate(service.mail_statement(filters), page=page_arg(request), per_page=PER_PAGE,
                       error_out=False)  # fmt: skip
    return render_template("admin/mail.html", page=page, filters=filters)


@bp.route("/taken")
@role_required(Role.ADMIN)
def jobs():
    status = request.args.get("status", "")
    status = status if status in service.JOB_STATES else ""
    page = db.paginate(service.jobs_statement(status), page=page_arg(request), per_page=PER_PAGE,
                       error_out=False)  # fmt: skip
    # Messages are Dutch msgids (or plain text): translated here, escaped by the template.
    messages = {job.id: _(job.message) for job in page.items if job.message}
    return render_template("admin/jobs.html", page=page, status=status, messages=messages)


# --- the ranking log -------------------------------------------------------------------------------

RANKING_LOG_PER_PAGE = 50


@bp.route("/ranglijsten")
@role_required(Role.ADMIN)
def ranking_log():
    from stagematch.models import School
    from stagematch.pagination import paginate_rows
    from stagematch.services import ranking_log as log_service

    messages = {
        "school": _("Kies een school uit de lijst."),
        "date": _("Vul een bestaande datum in, bijvoorbeeld 31-01-2026."),
        "student": _("Een studentnummer in StageMatch is een getal."),
    }
    filters = log_service.LogFilters.from_args(request.args, messages)
    page = paginate_rows(
        log_service.lists_statement(filters), page_arg(request), per_page=RANKING_LOG_PER_PAGE
    )
    schools = db.session.execute(select(School.id, School.name).order_by(School.name)).all()
    rows = [item[0] for item in page.items]
    return render_template(
        "admin/ranking_log.html", page=page, filters=filters, schools=schools,
        sources=log_service.SOURCES, names=log_service.user_names(rows),
        candidates_of=log_service.candidates_of, is_student_list=log_service.is_student_list,
    ), 422 if filters.errors else 200  # fmt: skip


# --- the monitoring report -------------------------------------------------------------------------


@bp.route("/monitoring")
@role_required(Role.ADMIN)
def monitoring():
    from datetime import datetime, time

    from stagematch.csvutil import csv_response, to_csv
    from stagematch.models import School
    from stagematch.services import monitoring as monitoring_service
    from stagematch.services.objections import counts as objection_counts

    messages = {
        "versie": _("Kies een modelversie uit de lijst."),
        "school": _("Kies een school uit de lijst."),
        "date": _("Vul een bestaande datum in, bijvoorbeeld 31-01-2026."),
    }
    filters = monitoring_service.Filters.from_args(request.args, messages)
    found = monitoring_service.report(model_version_id=filters.model_version_id,
                                      school_id=filters.school_id, since=filters.since,
                                      until=filters.until)  # fmt: skip
    if request.args.get("formaat") == "csv" and not filters.errors:
        text = to_csv(monitoring_service.CSV_HEADER, monitoring_service.csv_rows(found))
        return csv_response(text, "monitoring.csv")
    schools = db.session.execute(select(School.id, School.name).order_by(School.name)).all()
    since = datetime.combine(filters.since, time.min) if filters.since else None
    return render_template(
        "admin/monitoring.html", report=found, filters=filters, schools=schools,
        versions=monitoring_service.versions(), service=monitoring_service,
        objections=objection_counts(school=filters.school_id, since=since),
    ), 422 if filters.errors else 200  # fmt: skip

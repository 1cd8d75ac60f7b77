from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from stagematch.auth import bp, throttle
from stagematch.auth.forms import (
    ChangePasswordForm,
    CompanyRegisterForm,
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
    StudentRegisterForm,
    TokenForm,
)
from stagematch.extensions import db, limiter
from stagematch.forms import choices, qualification_labels, school_choices
from stagematch.geo import town_names
from stagematch.models import School
from stagematch.models.enums import Role
from stagematch.reference import sectors
from stagematch.services import DomainError, accounts
from stagematch.urls import safe_next


def _apply_domain_error(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _form_email() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _form_email_and_client() -> str:
    """Per address *and* client: a limit on one address alone would let anyone block its owner."""
    return f"{_form_email()}:{request.remote_addr}"


def _redirected(response) -> bool:
    return response.status_code == 302


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        wait = throttle.wait_seconds(form.email.data)
        if wait:
            form.password.errors = [
                _(
                    "Je hebt het te vaak geprobeerd. Probeer het over %(wait)s opnieuw, of vraag "
                    "een nieuw wachtwoord aan.",
                    wait=throttle.describe_wait(wait),
                )
            ]
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            user = accounts.authenticate(email=form.email.data, password=form.password.data)
        except DomainError as error:  # the right password, the address not confirmed yet
            _apply_domain_error(form, error)
        else:
            if user is None:
                throttle.record_failure(form.email.data)
                form.password.errors = [_("Dit e-mailadres en wachtwoord passen niet bij elkaar.")]
            else:
                throttle.record_success(form.email.data)
                login_user(user, remember=form.remember.data)
                return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/uitloggen", methods=["POST"])
@login_required
def logout():
    user = current_user._get_current_object()
    logout_user()
    accounts.end_sessions(user)  # copies of this browser's cookies stop working too
    flash(_("Je bent uitgelogd."), "info")
    return redirect(url_for("main.index"))


def _had_remember_cookie() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


@bp.route("/", methods=["GET", "POST"])
@login_required
def account():
    """The account page: change the password, end every session, API keys."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(
                user, current=form.current_password.data, new=form.password.data
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            # Every other session has ended; this browser stays logged in, on the new version.
            login_user(user, remember=_had_remember_cookie())
            flash(
                _("Je wachtwoord is gewijzigd. Op andere apparaten moet je opnieuw inloggen."),
                "success",
            )
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html", form=form, notification_rows=_notification_rows()
    ), 422 if form.errors else 200


def _notification_rows(posted=None) -> list:
    from stagematch.services.notifications import settings_rows

    return settings_rows(current_user._get_current_object(), posted)


@bp.route("/meldingen", methods=["POST"])
@login_required
def notification_settings():
    """Per kind of notification: a mail at once, the daily overview, or only in the site."""
    from stagematch.services.notifications import save_settings

    user = current_user._get_current_object()
    rows = _notification_rows(request.form)
    if any(row.error for row in rows):
        return render_template(
            "auth/account.html", form=ChangePasswordForm(formdata=None), notification_rows=rows
        ), 422
    save_settings(user=user, choices={row.kind: row.channel for row in rows})
    flash(_("Je keuzes voor meldingen zijn bewaard."), "success")
    return redirect(url_for("auth.account", _anchor="meldingen"))


@bp.route("/overal-uitloggen", methods=["POST"])
@login_required
def logout_everywhere():
    user = current_user._get_current_object()
    logout_user()
    accounts.end_sessions(user, everywhere=True)
    flash(
        _("Je bent overal uitgelogd, ook hier. Log opnieuw in op de apparaten die je gebruikt."),
        "info",
    )
    return redirect(url_for("main.index"))


@bp.route("/registreren")
def register():
    return render_template("auth/register_choice.html")


# Registering with a known address mails its owner: at most this many mails per address and
# client. Only finished registrations count, not forms sent back with errors.
REGISTER_LIMIT = "3 per hour"


@bp.route("/registreren/student", methods=["GET", "POST"])
@limiter.limit(
    REGISTER_LIMIT, key_func=_form_email_and_client, methods=["POST"], deduct_when=_redirected
)
def register_student():
    form = StudentRegisterForm()
    form.school.choices = school_choices(_("Kies je school"))  # grouped by province
    if form.validate_on_submit():
        try:
            accounts.register_student(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                school=None if form.no_school.data else db.session.get(School, form.school.data),
                qualification=form.qualification.qualification,
                leerweg=form.leerweg.data,
                town=form.town.town,
                next_path=safe_next(request.args.get("next")),  # the place a student came from
                switcher=accounts.Switcher(
                    birth_date=form.birth_date.data,
                    work_experience=form.work_experience.data or "",
                    work_experience_years=form.work_experience_years.data,
                )
                if form.no_school.data
                else None,
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:  # a new account or a known address: the same answer (no probing for accounts)
            return redirect(url_for("auth.check_mail"))
    return render_template(
        "auth/register_student.html",
        form=form,
        qualification_options=qualification_labels(),
        town_options=town_names(),
    )


@bp.route("/registreren/leerbedrijf", methods=["GET", "POST"])
@limiter.limit(
    REGISTER_LIMIT, key_func=_form_email_and_client, methods=["POST"], deduct_when=_redirected
)
def register_company():
    form = CompanyRegisterForm()
    form.sector.choices = choices([("", _("Kies een branche"))] + [(s, s) for s in sectors()])
    if form.validate_on_submit():
        try:
            accounts.register_company(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                company_name=form.company_name.data,
                kvk_number=form.kvk_number.data,
                town=form.town.town,
                sector=form.sector.data,
                size_band=form.size_band.data,
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            return redirect(url_for("auth.check_mail"))
    return render_template("auth/register_company.html", form=form, town_options=town_names())


@bp.route("/kijk-in-je-mail")
def check_mail():
    return render_template("auth/check_mail.html")


WELCOME = {
    Role.STUDENT: _l("Welkom! Je account is klaar. Vul nu je profiel aan voor betere matches."),
    Role.COMPANY: _l(
        "Je leerbedrijf staat erin. Voeg nu je meester toe, of leid samen op in een netwerk met "
        "de meester van een ander bedrijf. Zet daarna je eerste plek online."
    ),
}


@bp.route("/bevestigen/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The link from the registration mail. GET shows a button and changes nothing (mail scanners
    open links); the button confirms the address and logs the new user in."""
    user = accounts.user_from_confirmation_token(token)
    target = safe_next(request.args.get("next"))  # e.g. the apply page of the place they came from
    if user is None or not accounts.can_reset_password(user):
        return render_template("auth/confirm_email.html", state="invalid", next=target)
    if not user.awaiting_confirmation:
        return render_template("auth/confirm_email.html", state="done", next=target)
    if request.method == "POST":
        accounts.confirm_email(user)
        login_user(user)
        flash(str(WELCOME.get(Role(user.role), _("Welkom!"))), "success")
        return redirect(target or url_for("main.home"))
    return render_template("auth/confirm_email.html", state="confirm", user=user)


@bp.route("/wachtwoord/<token>", methods=["GET", "POST"])
def set_password(token: str):
    user = accounts.user_from_password_token(token)
    if user is None:
        flash(_("Deze link werkt niet meer. Vraag een nieuwe aan."), "error")
        return redirect(url_for("auth.login"))
    form = SetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data)  # ends every session of the account
        login_user(user)
        flash(_("Je wachtwoord is ingesteld. Welkom!"), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/set_password.html", form=form, user=user)


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_form_email_and_client, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.send_password_reset(form.email.data)
        # The same answer whether or not the address has an account: no one can probe for accounts.
        flash(
            _(
                "Als er een account is met dit adres, krijg je binnen een paar minuten een e-mail met een link."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/sleutels", methods=["GET", "POST"])
@login_required
def tokens():
    """Personal API tokens: create (the secret is shown once), list, revoke."""
    from stagematch.models import ApiToken
    from stagematch.services import tokens as token_service

    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            _token, secret = token_service.create_token(current_user, form.name.data)
        except DomainError as error:
            form.name.errors = [error.message]
    items = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("auth/tokens.html", form=form, items=items, secret=secret)


@bp.route("/sleutels/<int:token_id>/intrekken", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    from stagematch.access import ensure
    from stagematch.models import ApiToken
    from stagematch.services import tokens as token_service

    token = db.get_or_404(ApiToken, token_id)
    ensure(token.user_id == current_user.id)
    token_service.revoke(token)
    flash(_("De sleutel is ingetrokken en werkt niet meer."), "success")
    return redirect(url_for("auth.tokens"))

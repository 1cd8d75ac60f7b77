from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from stagematch import mailer
from stagematch.auth import bp
from stagematch.auth.forms import (
    CompanyRegisterForm,
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
    StudentRegisterForm,
    TokenForm,
)
from stagematch.extensions import db, limiter
from stagematch.forms import choices, qualification_labels
from stagematch.geo import town_names
from stagematch.models import School, User
from stagematch.reference import sectors
from stagematch.services import DomainError, accounts


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: no scheme, no host, no protocol-relative '//' or backslash tricks."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
    ):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


def _apply_domain_error(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _form_email() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


LOGIN_LIMITS = ("10 per minute", "5 per 15 minutes")  # per IP address, per account


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS[0], methods=["POST"])
@limiter.limit(LOGIN_LIMITS[1], key_func=_form_email, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(email=form.email.data, password=form.password.data)
        if user is None:
            form.password.errors = [_("Dit e-mailadres en wachtwoord passen niet bij elkaar.")]
        else:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/uitloggen", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("Je bent uitgelogd."), "info")
    return redirect(url_for("main.index"))


@bp.route("/registreren")
def register():
    return render_template("auth/register_choice.html")


@bp.route("/registreren/student", methods=["GET", "POST"])
def register_student():
    form = StudentRegisterForm()
    form.school.choices = choices(
        [(0, _("Kies je school"))]
        + [(s.id, s.name) for s in db.session.scalars(select(School).order_by(School.name))]
    )
    if form.validate_on_submit():
        try:
            user = accounts.register_student(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                school=db.session.get(School, form.school.data),
                qualification=form.qualification.qualification,
                leerweg=form.leerweg.data,
                town=form.town.town,
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            login_user(user)
            flash(
                _("Welkom! Je account is klaar. Vul nu je profiel aan voor betere matches."),
                "success",
            )
            return redirect(url_for("main.home"))
    return render_template(
        "auth/register_student.html",
        form=form,
        qualification_options=qualification_labels(),
        town_options=town_names(),
    )


@bp.route("/registreren/leerbedrijf", methods=["GET", "POST"])
def register_company():
    form = CompanyRegisterForm()
    form.sector.choices = choices([("", _("Kies een branche"))] + [(s, s) for s in sectors()])
    if form.validate_on_submit():
        try:
            user = accounts.register_company(
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
            login_user(user)
            flash(
                _(
                    "Je leerbedrijf staat erin. Voeg nu je meester toe en zet je eerste plek online."
                ),
                "success",
            )
            return redirect(url_for("main.home"))
    return render_template("auth/register_company.html", form=form, town_options=town_names())


@bp.route("/wachtwoord/<token>", methods=["GET", "POST"])
def set_password(token: str):
    user = accounts.user_from_password_token(token)
    if user is None:
        flash(_("Deze link werkt niet meer. Vraag een nieuwe aan."), "error")
        return redirect(url_for("auth.login"))
    form = SetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data)
        login_user(user)
        flash(_("Je wachtwoord is ingesteld. Welkom!"), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/set_password.html", form=form, user=user)


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_form_email, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(User.email == accounts.normalise_email(form.email.data))
        )
        if user is not None and user.is_active:
            link = url_for("auth.set_password", token=accounts.password_token(user), _external=True)
            mailer.send(
                user.email, _l("nieuw wachtwoord kiezen"), "password_reset", user=user, link=link
            )
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

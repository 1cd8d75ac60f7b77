"""Accounts: registering students and leerbedrijven (confirmed through a mailed link), creating
staff accounts, logging in, sessions that can be ended, passwords and password links.

Nothing here tells a visitor whether an address has an account: registering with a known address
answers like a new one (its owner gets a mail instead), and logging in with an unknown address
does the same password-hash work as with a known one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from stagematch import geo, mailer
from stagematch.extensions import db
from stagematch.models import Company, Qualification, School, StudentProfile, User
from stagematch.models.enums import Leerweg, Role, SizeBand
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import utcnow
from stagematch.urls import external_url

MAX_ID = 2**31 - 1


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_taken(email: str) -> bool:
    return _account_for(email) is not None


def _account_for(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _new_user(*, email: str, password: str, name: str, role: Role) -> User:
    if email_taken(email):
        raise DomainError(
            _("Er is al een account met dit e-mailadres. Log in of kies een ander adres."), "email"
        )
    user = User(email=normalise_email(email), name=name.strip(), role=role)
    user.set_password(password)
    return user


# --- registration ----------------------------------------------------------------------------


def _unconfirmed_user(*, email: str, password: str, name: str, role: Role) -> User:
    """A new account that cannot log in until its address is confirmed (see confirm_email)."""
    user = User(email=normalise_email(email), name=name.strip(), role=role)
    user.set_password(password)
    user.is_active_account = False
    return user


def _tell_owner(user: User, password: str) -> None:
    """Someone registered with an address that has an account. They get the same answer as for a
    new address and the owner gets a mail; the password is hashed anyway, so the answer takes as
    long as creating an account."""
    generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    mailer.send(
        user.email,
        _l("je hebt al een account"),
        "account_exists",
        user=user,
        login_link=external_url("auth.login"),
        reset_link=external_url("auth.forgot_password"),
    )


def _finish_registration(
    user: User, *, email: str, password: str, action: str, next_path: str | None = None
) -> User | None:
    """Store the new account and mail the confirmation link; if the address got an account
    meanwhile (two registrations at once), treat it as an existing address."""
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = _account_for(email)
        if existing is None:
            if user.role == Role.COMPANY:  # the KvK number, registered at the same moment
                raise _kvk_taken() from None
            raise
        _tell_owner(existing, password)
        return None
    record(action, user.company if user.role == Role.COMPANY else user, actor=user)
    db.session.commit()
    send_confirmation(user, next_path=next_path)
    return user


@dataclass(frozen=True)
class Switcher:
    """What a zij-instromer without a school gives at registration."""

    birth_date: date | None
    work_experience: str = ""
    work_experience_years: int | None = None


def register_student(
    *,
    email: str,
    password: str,
    name: str,
    school: School | None,
    qualification: Qualification,
    leerweg: str,
    town: geo.Town | None = None,
    next_path: str | None = None,
    switcher: Switcher | None = None,
) -> User | None:
    """The student's account, unconfirmed, with the confirmation link mailed. None when the
    address already has an account: its owner is mailed instead. Callers answer the same way in
    both cases ("kijk in je mail"). `next_path`, a checked site path (a place's apply page), rides
    along in the confirmation link: confirming goes on there.

    A zij-instromer (`switcher`) registers without a school (issue 18): BBL, the target
    qualification, their birth date and work experience; they choose a school later."""
    if school is None and switcher is None:
        raise DomainError(_("Kies je school."), "school")
    if school is None and leerweg != "BBL":
        raise DomainError(
            _("Zonder school kies je BBL: je werkt bij een leerbedrijf en kiest daarna samen een school."),
            "leerweg",
        )  # fmt: skip
    if not qualification.offers(leerweg):
        raise DomainError(
            _(
                "%(qualification)s kun je niet in de %(leerweg)s volgen. Kies %(leerwegen)s.",
                qualification=qualification.name,
                leerweg=leerweg,
                leerwegen=qualification.leerwegen,
            ),
            "leerweg",
        )
    existing = _account_for(email)
    if existing is not None:
        _tell_owner(existing, password)
        return None
    user = _unconfirmed_user(email=email, password=password, name=name, role=Role.STUDENT)
    user.school = school
    user.profile = StudentProfile(
        school=school,
        qualification=qualification,
        level=qualification.level,
        leerweg=Leerweg(leerweg),
        city=town.name if town else None,
        lat=town.lat if town else None,
        lon=town.lon if town else None,
    )
    if switcher is not None and school is None:
        user.profile.birth_date = switcher.birth_date
        user.profile.work_experience = switcher.work_experience.strip()[:4000]
        user.profile.work_experience_years = switcher.work_experience_years
    return _finish_registration(
        user, email=email, password=password, action="user.register", next_path=next_path
    )


def register_company(
    *,
    email: str,
    password: str,
    name: str,
    company_name: str,
    kvk_number: str,
    town: geo.Town,
    sector: str,
    size_band: str,
) -> User | None:
    """Like register_student: the company user and the leerbedrijf, or None for a known address."""
    kvk_number = kvk_number.strip()
    if db.session.scalar(select(Company.id).where(Company.kvk_number == kvk_number)):
        raise _kvk_taken()
    SizeBand(size_band)
    existing = _account_for(email)
    if existing is not None:
        _tell_owner(existing, password)
        return None
    user = _unconfirmed_user(email=email, password=password, name=name, role=Role.COMPANY)
    user.company = Company(
        name=company_name.strip(),
        kvk_number=kvk_number,
        city=town.name,
        lat=town.lat,
        lon=town.lon,
        sector=sector,
        size_band=size_band,
    )
    return _finish_registration(user, email=email, password=password, action="company.register")


def _kvk_taken() -> DomainError:
    return DomainError(
        _("Dit KvK-nummer staat al bij ons ingeschreven. Vraag een collega om je toe te voegen."),
        "kvk_number",
    )


def create_staff_user(
    *, email: str, password: str, name: str, role: Role, school: School | None = None
) -> User:
    """Coordinators and admins are created by an admin (CLI), never by self-registration."""
    if role not in (Role.COORDINATOR, Role.ADMIN):
        raise DomainError(_("Alleen coördinatoren en beheerders maak je zo aan."), "role")
    if role == Role.COORDINATOR and school is None:
        raise DomainError(_("Een coördinator hoort bij een school."), "school")
    user = _new_user(email=email, password=password, name=name, role=role)
    user.school = school
    db.session.add(user)
    db.session.flush()
    record("user.create", user)
    db.session.commit()
    return user


# --- confirming the address --------------------------------------------------------------------

CONFIRM_TOKEN_MAX_AGE = 3 * 24 * 3600  # seconds


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-email")


def confirmation_token(user: User) -> str:
    """A signed link token for this account and password (a password reset voids it)."""
    return _confirm_serializer().dumps({"id": user.id, "h": user.password_hash[-12:]})


def user_from_confirmation_token(token: str, max_age: int = CONFIRM_TOKEN_MAX_AGE) -> User | None:
    """The account a confirmation link is for (confirmed or not), or None for a bad or old link."""
    try:
        data = _confirm_serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    user = db.session.get(User, data["id"]) if 0 < data["id"] <= MAX_ID else None
    if user is None or user.password_hash[-12:] != data.get("h"):
        return None
    return user


def send_confirmation(user: User, *, next_path: str | None = None) -> None:
    extra = {"next": next_path} if next_path else {}
    link = external_url("auth.confirm_email", token=confirmation_token(user), **extra)
    mailer.send(user.email, _l("bevestig je e-mailadres"), "confirm_email", user=user, link=link)


def confirm_email(user: User) -> None:
    """The owner of the address clicked the link: the account can log in from now on."""
    if not user.awaiting_confirmation:
        return
    user.is_active_account = True
    user.last_login_at = utcnow()
    record("user.confirm_email", user, actor=user)
    db.session.commit()


# --- logging in and out ----------------------------------------------------------------------


@cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password made with the configured method (once per process): checking
    an unknown address against it costs what checking a real account costs."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def authenticate(*, email: str, password: str) -> User | None:
    """The account for this address and password, or None. The right password of an account
    whose address is not confirmed yet mails a new confirmation link and raises DomainError."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not user.check_password(password):
        return None
    if user.awaiting_confirmation:
        send_confirmation(user)
        raise DomainError(
            _(
                "Je hebt je e-mailadres nog niet bevestigd. We hebben je een nieuwe link gestuurd: "
                "kijk in je mail (ook in de map met ongewenste mail)."
            )
        )
    if not user.is_active:
        # The right password: the owner may know why (an administrator switched it off).
        if user.is_active_account:
            raise DomainError(_("Je leerbedrijf is uitgezet op StageMatch, dus je kunt niet inloggen. "
                                "Neem contact op met de beheerder van StageMatch."))  # fmt: skip
        raise DomainError(_("Je account is uitgezet, dus je kunt niet inloggen. Neem contact op met "
                            "de beheerder van StageMatch."))  # fmt: skip
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def _number(text: str) -> int | None:
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def user_load_options() -> list:
    """What almost every page of a signed-in user reads, loaded with the user in one statement:
    the student's profile and qualification, the school, the company (its deactivation decides
    `is_active`). Issue #20: these were four more statements per request."""
    from sqlalchemy.orm import joinedload

    return [
        joinedload(User.profile).joinedload(StudentProfile.qualification),
        joinedload(User.school),
        joinedload(User.company),
    ]


def session_user(session_id: str) -> User | None:
    """The user a session or remember cookie names ("<id>:<session version>"), or None when that
    session was ended (logout, password change, "overal uitloggen") or the account is inactive.
    Cookies from before versions existed carry only the id: they count as version 0."""
    id_text, colon, version_text = (session_id or "").partition(":")
    user_id = _number(id_text)
    version = _number(version_text) if colon else 0
    if user_id is None or version is None:
        return None
    user = db.session.get(User, user_id, options=user_load_options())
    if user is None or (user.session_version or 0) != version or not user.is_active:
        return None
    return user


def _end_sessions(user: User) -> None:
    user.session_version = User.session_version + 1  # in SQL: two at once both count


def end_sessions(user: User, *, everywhere: bool = False) -> None:
    """Every session and remember cookie of this user stops working, copies of them included.
    Sessions are versioned per account, so a logout ends the other devices' sessions too."""
    _end_sessions(user)
    if everywhere:
        record("user.logout_everywhere", user, actor=user)
    db.session.commit()


def change_password(user: User, *, current: str, new: str) -> None:
    """Ends every session; the caller logs this browser in again with the new version."""
    if not user.check_password(current):
        raise DomainError(_("Dit wachtwoord klopt niet."), "current_password")
    user.set_password(new)
    _end_sessions(user)
    record("user.change_password", user, actor=user)
    db.session.commit()


# --- password links (invitations and resets) ---------------------------------------------------

PASSWORD_TOKEN_MAX_AGE = 3 * 24 * 3600  # seconds


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def password_token(user: User) -> str:
    """A signed link token that stops working once the password changes (single use)."""
    return _serializer().dumps({"id": user.id, "h": user.password_hash[-12:]})


def can_reset_password(user: User) -> bool:
    """Active accounts, and accounts still waiting for their address to be confirmed (the reset
    link proves the address too); never an anonymised one."""
    return user.is_active or user.awaiting_confirmation


def send_password_reset(email: str) -> bool:
    """Mail a set-password link to the account with this address, if it may reset (an account
    mail, not a notification). The caller answers the same either way, so no one can probe for
    accounts; returns whether a mail went out."""
    user = _account_for(normalise_email(email))
    if user is None or not can_reset_password(user):
        return False
    link = external_url("auth.set_password", token=password_token(user))
    return mailer.send(
        user.email, _l("nieuw wachtwoord kiezen"), "password_reset", user=user, link=link
    )


def user_from_password_token(token: str, max_age: int = PASSWORD_TOKEN_MAX_AGE) -> User | None:
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or user.password_hash[-12:] != data.get("h") or not can_reset_password(user):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """A new password through a link (which proves the address): ends every session, and
    confirms an account that was waiting for that."""
    user.set_password(password)
    _end_sessions(user)
    if user.awaiting_confirmation:
        user.is_active_account = True
        record("user.confirm_email", user, actor=user)
    user.last_login_at = utcnow()  # the caller logs them in
    record("user.set_password", user, actor=user)
    db.session.commit()

"""Registering students and leerbedrijven, creating staff accounts, logging in."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import Company, Qualification, School, StudentProfile, User
from stagematch.models.enums import Leerweg, Role, SizeBand
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import utcnow


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_taken(email: str) -> bool:
    return (
        db.session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None
    )


def _new_user(*, email: str, password: str, name: str, role: Role) -> User:
    if email_taken(email):
        raise DomainError(
            _("Er is al een account met dit e-mailadres. Log in of kies een ander adres."), "email"
        )
    user = User(email=normalise_email(email), name=name.strip(), role=role)
    user.set_password(password)
    return user


def register_student(
    *,
    email: str,
    password: str,
    name: str,
    school: School,
    qualification: Qualification,
    leerweg: str,
    town: geo.Town | None = None,
) -> User:
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
    user = _new_user(email=email, password=password, name=name, role=Role.STUDENT)
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
    db.session.add(user)
    db.session.flush()
    record("user.register", user, actor=user)
    db.session.commit()
    return user


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
) -> User:
    kvk_number = kvk_number.strip()
    if db.session.scalar(select(Company.id).where(Company.kvk_number == kvk_number)):
        raise DomainError(
            _(
                "Dit KvK-nummer staat al bij ons ingeschreven. Vraag een collega om je toe te voegen."
            ),
            "kvk_number",
        )
    SizeBand(size_band)
    user = _new_user(email=email, password=password, name=name, role=Role.COMPANY)
    user.company = Company(
        name=company_name.strip(),
        kvk_number=kvk_number,
        city=town.name,
        lat=town.lat,
        lon=town.lon,
        sector=sector,
        size_band=size_band,
    )
    db.session.add(user)
    db.session.flush()
    record("company.register", user.company, actor=user)
    db.session.commit()
    return user


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


def authenticate(*, email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    if user is None or not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


# --- password links (invitations, and resets later) -------------------------------------------

PASSWORD_TOKEN_MAX_AGE = 3 * 24 * 3600  # seconds


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def password_token(user: User) -> str:
    """A signed link token that stops working once the password changes (single use)."""
    return _serializer().dumps({"id": user.id, "h": user.password_hash[-12:]})


def user_from_password_token(token: str, max_age: int = PASSWORD_TOKEN_MAX_AGE) -> User | None:
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or user.password_hash[-12:] != data.get("h") or not user.is_active:
        return None
    return user


def set_password(user: User, password: str) -> None:
    user.set_password(password)
    record("user.set_password", user, actor=user)
    db.session.commit()

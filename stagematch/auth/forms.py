from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp

from stagematch.forms import (
    MIN_PASSWORD_LENGTH,
    NotCommonPassword,
    QualificationRef,
    RadioField,
    SelectField,
    TownName,
    choices,
)
from stagematch.models.enums import SizeBand

REQUIRED = "Vul dit in."


class LoginForm(FlaskForm):
    email = EmailField("E-mailadres", validators=[DataRequired(REQUIRED)])
    password = PasswordField("Wachtwoord", validators=[DataRequired(REQUIRED)])
    remember = BooleanField("Ingelogd blijven op dit apparaat")


class _PasswordFields(FlaskForm):
    password = PasswordField(
        "Wachtwoord",
        description=f"Minstens {MIN_PASSWORD_LENGTH} tekens.",
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Kies een wachtwoord van minstens {MIN_PASSWORD_LENGTH} tekens.",
            ),
            NotCommonPassword(),
        ],
    )
    password2 = PasswordField(
        "Wachtwoord nog een keer",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", "De wachtwoorden zijn niet gelijk."),
        ],
    )


class _AccountFields(_PasswordFields):
    name = StringField("Je naam", validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(
        "E-mailadres",
        validators=[
            DataRequired(REQUIRED),
            Length(max=254),
            Email("Dit is geen geldig e-mailadres, bijvoorbeeld naam@voorbeeld.nl."),
        ],
    )


class StudentRegisterForm(_AccountFields):
    school = SelectField("Je school", coerce=int, validators=[DataRequired("Kies je school.")])
    qualification = StringField(
        "Je opleiding",
        description="Typ het crebo-nummer of de naam van je opleiding, bijvoorbeeld 25180 of Kok.",
        validators=[DataRequired(REQUIRED), QualificationRef()],
    )
    leerweg = RadioField(
        "Leerweg",
        choices=choices(
            [
                ("BOL", "BOL – je gaat naar school en loopt stage"),
                ("BBL", "BBL – je werkt en gaat 1 dag per week naar school"),
            ]
        ),
        validators=[DataRequired("Kies BOL of BBL.")],
    )
    town = StringField(
        "Je woonplaats",
        description="Hiermee rekenen we de reisafstand naar een leerbedrijf uit.",
        validators=[DataRequired(REQUIRED), Length(max=80), TownName()],
    )


class CompanyRegisterForm(_AccountFields):
    company_name = StringField(
        "Naam van het bedrijf", validators=[DataRequired(REQUIRED), Length(max=160)]
    )
    kvk_number = StringField(
        "KvK-nummer",
        description="8 cijfers, staat op je uittreksel van de Kamer van Koophandel.",
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^\s*\d{8}\s*$", message="Een KvK-nummer is 8 cijfers."),
        ],
    )
    town = StringField("Plaats", validators=[DataRequired(REQUIRED), Length(max=80), TownName()])
    sector = SelectField("Branche", validators=[DataRequired("Kies een branche.")])
    size_band = SelectField(
        "Aantal medewerkers",
        choices=choices(
            (s.value, f"{s.value} {'persoon' if s.value == '1' else 'personen'}") for s in SizeBand
        ),
        validators=[DataRequired("Kies het aantal medewerkers.")],
    )


class SetPasswordForm(_PasswordFields):
    """Choosing a (new) password from an invitation or reset link."""


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "E-mailadres",
        validators=[
            DataRequired(REQUIRED),
            Email("Dit is geen geldig e-mailadres, bijvoorbeeld naam@voorbeeld.nl."),
        ],
    )


class TokenForm(FlaskForm):
    name = StringField(
        "Waarvoor is deze sleutel?",
        description="Bijvoorbeeld: koppeling met ons studentvolgsysteem.",
        validators=[DataRequired(REQUIRED), Length(max=80)],
    )

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from stagematch.forms import (
    MIN_PASSWORD_LENGTH,
    DateField,
    IntegerField,
    NotCommonPassword,
    QualificationRef,
    RadioField,
    SelectField,
    TownName,
    choices,
)
from stagematch.models.enums import SizeBand
from stagematch.timeutil import age_on, today

REQUIRED = _l("Vul dit in.")


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(REQUIRED)])
    remember = BooleanField(_l("Ingelogd blijven op dit apparaat"))


class _PasswordFields(FlaskForm):
    password = PasswordField(
        _l("Wachtwoord"),
        description=_l("Minstens %(n)s tekens.", n=MIN_PASSWORD_LENGTH),
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Kies een wachtwoord van minstens %(n)s tekens.", n=MIN_PASSWORD_LENGTH),
            ),
            NotCommonPassword(),
        ],
    )
    password2 = PasswordField(
        _l("Wachtwoord nog een keer"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", _l("De wachtwoorden zijn niet gelijk.")),
        ],
    )


class _AccountFields(_PasswordFields):
    name = StringField(_l("Je naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=254),
            Email(_l("Dit is geen geldig e-mailadres, bijvoorbeeld naam@voorbeeld.nl.")),
        ],
    )


ADULT_AGE = 18  # a zij-instromer without a school registers as an adult


class StudentRegisterForm(_AccountFields):
    no_school = BooleanField(_l("Ik zit nog niet op een school (zij-instromer / volwassene)"))
    school = SelectField(
        _l("Je school"),
        coerce=int,
        description=_l(
            'Zit je nog niet op een school? Zet dan hieronder het vinkje bij "Nog geen school?".'
        ),
        validators=[Optional()],
    )
    birth_date = DateField(
        _l("Je geboortedatum"),
        description=_l(
            "Alleen als je nog geen school hebt. Nodig voor het minimumloon: vanaf 21 jaar "
            "geldt het volwassen minimumloon."
        ),
        # Asked of a learner without a school before Optional() ends the chain on an empty field.
        validators=[lambda form, field: form.check_birth_date(field), Optional()],
    )
    work_experience = TextAreaField(
        _l("Je werkervaring"),
        description=_l("Alleen als je nog geen school hebt. Waar heb je gewerkt en wat deed je?"),
        validators=[Optional(), Length(max=4000, message=_l("Gebruik hooguit 4000 tekens."))],
    )
    work_experience_years = IntegerField(
        _l("Hoeveel jaar werkervaring heb je?"),
        validators=[Optional(), NumberRange(0, 60, message=_l("Vul een aantal jaren tussen 0 en 60 in."))],
    )  # fmt: skip
    qualification = StringField(
        _l("Je opleiding"),
        description=_l(
            "Typ het crebo-nummer of de naam van je opleiding, bijvoorbeeld 25180 of Kok."
        ),
        validators=[DataRequired(REQUIRED), QualificationRef()],
    )
    leerweg = RadioField(
        _l("Leerweg"),
        choices=choices(
            [
                ("BOL", _l("BOL – je gaat naar school en loopt stage")),
                ("BBL", _l("BBL – je werkt en gaat 1 dag per week naar school")),
            ]
        ),
        validators=[DataRequired(_l("Kies BOL of BBL."))],
    )
    town = StringField(
        _l("Je woonplaats"),
        description=_l("Hiermee rekenen we de reisafstand naar een leerbedrijf uit."),
        validators=[DataRequired(REQUIRED), Length(max=80), TownName()],
    )

    def validate_school(self, field) -> None:
        if not self.no_school.data and not field.data:
            raise ValidationError(_l("Kies je school."))

    def check_birth_date(self, field) -> None:
        if not self.no_school.data:
            return
        if field.data is None:
            field.errors[:] = []  # not also "not a valid date" for an empty field
            raise StopValidation(_l("Vul je geboortedatum in."))
        if not field.data < today():
            raise ValidationError(_l("Vul een geboortedatum in het verleden in."))
        if age_on(field.data, today()) < ADULT_AGE:
            raise ValidationError(
                _l("Ben je jonger dan 18? Kies dan je school; die helpt je verder.")
            )

    def validate_leerweg(self, field) -> None:
        if self.no_school.data and field.data == "BOL":
            raise ValidationError(
                _l("Zonder school kies je BBL: je werkt bij een leerbedrijf en kiest daarna samen een school.")
            )  # fmt: skip


class CompanyRegisterForm(_AccountFields):
    company_name = StringField(
        _l("Naam van het bedrijf"), validators=[DataRequired(REQUIRED), Length(max=160)]
    )
    kvk_number = StringField(
        _l("KvK-nummer"),
        description=_l("8 cijfers, staat op je uittreksel van de Kamer van Koophandel."),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^\s*\d{8}\s*$", message=_l("Een KvK-nummer is 8 cijfers.")),
        ],
    )
    town = StringField(
        _l("Plaats"), validators=[DataRequired(REQUIRED), Length(max=80), TownName()]
    )
    sector = SelectField(_l("Branche"), validators=[DataRequired(_l("Kies een branche."))])
    size_band = SelectField(
        _l("Aantal medewerkers"),
        choices=choices(
            (
                s.value,
                _l("%(size)s persoon", size=s.value)
                if s.value == "1"
                else _l("%(size)s personen", size=s.value),
            )
            for s in SizeBand
        ),
        validators=[DataRequired(_l("Kies het aantal medewerkers."))],
    )


class SetPasswordForm(_PasswordFields):
    """Choosing a (new) password from an invitation or reset link."""


class ChangePasswordForm(_PasswordFields):
    """On the account page: the current password, then the new one twice."""

    current_password = PasswordField(
        _l("Je huidige wachtwoord"), validators=[DataRequired(REQUIRED)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.label.text = _l("Nieuw wachtwoord")
        self.password2.label.text = _l("Nieuw wachtwoord nog een keer")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Dit is geen geldig e-mailadres, bijvoorbeeld naam@voorbeeld.nl.")),
        ],
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Waarvoor is deze sleutel?"),
        description=_l("Bijvoorbeeld: koppeling met ons studentvolgsysteem."),
        validators=[DataRequired(REQUIRED), Length(max=80)],
    )

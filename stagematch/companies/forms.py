from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from stagematch.auth.forms import SetPasswordForm
from stagematch.forms import (
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TownName,
    choices,
)
from stagematch.models import REJECTION_REASONS
from stagematch.models.enums import SizeBand
from stagematch.services.school_contacts import PHONE
from stagematch.timeutil import today

REQUIRED = _l("Vul dit in.")


def _number(message: str = _l("Vul een getal in.")) -> dict:
    return {"message": message}


class CompanyProfileForm(FlaskForm):
    name = StringField(
        _l("Naam van het bedrijf"), validators=[DataRequired(REQUIRED), Length(max=160)]
    )
    kvk_number = StringField(
        _l("KvK-nummer"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^\s*\d{8}\s*$", message=_l("Een KvK-nummer is 8 cijfers.")),
        ],
    )
    sbb_id = StringField(
        _l("Erkenningsnummer SBB"),
        description=_l("Staat in je erkenningsbrief van SBB, bijvoorbeeld 100123456."),
        validators=[
            Optional(),
            Length(max=20),
            Regexp(r"^[A-Za-z0-9-]+$", message=_l("Alleen letters en cijfers.")),
        ],
    )
    town = StringField(
        _l("Plaats"), validators=[DataRequired(REQUIRED), Length(max=80), TownName()]
    )
    sector = SelectField(_l("Branche"), validators=[DataRequired(_l("Kies een branche."))])
    size_band = SelectField(
        _l("Aantal medewerkers"),
        choices=choices((s.value, s.value) for s in SizeBand),
        validators=[DataRequired(_l("Kies het aantal medewerkers."))],
    )
    description = TextAreaField(
        _l("Over het bedrijf"),
        description=_l(
            "Wat doen jullie, en hoe is het om bij jullie te leren? Een paar zinnen is genoeg."
        ),
        validators=[Optional(), Length(max=3000)],
    )


class AccreditationForm(FlaskForm):
    qualification = StringField(
        _l("Opleiding (crebo)"),
        description=_l("Typ het crebo-nummer of de naam, bijvoorbeeld 25180 of Kok."),
        validators=[DataRequired(REQUIRED)],
    )
    valid_from = DateField(_l("Erkend vanaf"), validators=[DataRequired(_l("Vul een datum in."))])
    valid_to = DateField(
        _l("Erkend tot"),
        description=_l("Leeg laten als er geen einddatum is."),
        validators=[Optional()],
    )

    def validate_valid_to(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_("De einddatum ligt vóór de begindatum."))


class MentorForm(FlaskForm):
    role = RadioField(
        _l("Rol"),
        choices=choices(
            [
                ("meester", _l("Meester – is verantwoordelijk voor de leerling en tekent af")),
                ("gezel", _l("Gezel – werkt elke dag met de leerling, onder een meester")),
            ]
        ),
        default="meester",
        validators=[DataRequired(_l("Kies meester of gezel."))],
    )
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    function = StringField(
        _l("Functie"),
        description=_l("Bijvoorbeeld eigenaar, chef-kok, teamleider."),
        validators=[Optional(), Length(max=120)],
    )
    email = EmailField(
        _l("E-mailadres"),
        description=_l("Voor herinneringen om de leerling te beoordelen."),
        validators=[Optional(), Email(_l("Dit is geen geldig e-mailadres.")), Length(max=254)],
    )
    phone = StringField(
        _l("Telefoonnummer"),
        description=_l("Zo kan de leerling (en de school) hem of haar bellen. Mag leeg blijven."),
        filters=[lambda value: value.strip() if value else value],
        validators=[
            Optional(),
            Length(max=30, message=_l("Gebruik hooguit 30 tekens.")),
            Regexp(PHONE, message=_l("Vul een telefoonnummer in met alleen cijfers (en + of -).")),
        ],
    )  # fmt: skip
    years_experience = IntegerField(
        _l("Jaren ervaring in het vak"),
        validators=[
            InputRequired(_l("Vul een aantal jaren in.")),
            NumberRange(0, 60, _l("Tussen 0 en 60 jaar.")),
        ],
    )
    trained = BooleanField(_l("Heeft de cursus praktijkopleider gedaan"))
    trained_on = DateField(_l("Cursus gedaan op"), validators=[Optional()])
    meestertitel = BooleanField(_l("Heeft de Meestertitel"))
    hours_per_week = DecimalField(
        _l("Uren per week voor begeleiding"),
        description=_l("Hoeveel tijd per week hij vrijmaakt voor leerlingen samen."),
        places=1,
        validators=[
            InputRequired(_l("Vul een aantal uren in.")),
            NumberRange(0, 40, _l("Tussen 0 en 40 uur.")),
        ],
    )
    capacity = IntegerField(
        _l("Maximaal aantal leerlingen tegelijk"),
        validators=[
            InputRequired(_l("Vul een aantal in.")),
            NumberRange(1, 20, _l("Tussen 1 en 20 leerlingen.")),
        ],
    )
    meester_id = SelectField(_l("Werkt onder meester"), coerce=int, validators=[Optional()])

    def validate_trained_on(self, field):
        from wtforms.validators import ValidationError

        from stagematch.timeutil import today

        if field.data and field.data > today():
            raise ValidationError(_("Deze datum ligt in de toekomst."))


class PlacementForm(FlaskForm):
    title = StringField(
        _l("Titel van de plek"),
        description=_l("Bijvoorbeeld: Leerling-kok in ons restaurant."),
        validators=[DataRequired(REQUIRED), Length(max=160)],
    )
    leerweg = RadioField(
        _l("Soort plek"),
        choices=choices(
            [
                ("BOL", _l("Stage (BOL) – de student komt stage lopen")),
                ("BBL", _l("BBL – de leerling komt bij je in dienst")),
            ]
        ),
        default="BOL",
        validators=[DataRequired(_l("Kies stage of BBL."))],
    )
    qualifications = SelectMultipleField(
        _l("Voor welke opleiding(en)"),
        coerce=int,
        not_a_choice=_l(
            "Je bedrijf heeft (nu) geen erkenning voor deze opleiding. Voeg de erkenning van SBB toe bij je bedrijfsgegevens."
        ),
        description=_l("Alleen opleidingen waarvoor je bedrijf erkend is. Je mag er meer kiezen."),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Kies minstens één opleiding."))],
    )
    tasks = TextAreaField(
        _l("Wat gaat de leerling doen en leren?"),
        description=_l(
            "Schrijf de leertaken op, niet alleen het werk. Bijvoorbeeld: 'Je leert zelfstandig de koude kant te draaien.'"
        ),
        validators=[
            DataRequired(_l("Beschrijf wat de leerling gaat doen en leren.")),
            Length(min=20, max=4000, message=_l("Schrijf minstens een paar zinnen (20 tekens).")),
        ],
    )
    description = TextAreaField(_l("Meer over de plek"), validators=[Optional(), Length(max=4000)])
    town = StringField(
        _l("Plaats van de plek"), validators=[DataRequired(REQUIRED), Length(max=80), TownName()]
    )
    start_date = DateField(
        _l("Startdatum"), validators=[DataRequired(_l("Vul een geldige datum in."))]
    )
    duration_weeks = IntegerField(
        _l("Duur in weken"),
        default=20,
        validators=[
            InputRequired(_l("Vul een aantal weken in.")),
            NumberRange(1, 104, _l("Tussen 1 en 104 weken.")),
        ],
    )
    hours_per_week = DecimalField(
        _l("Uren per week"),
        default=32,
        places=1,
        validators=[
            InputRequired(_l("Vul een aantal uren in.")),
            NumberRange(4, 60, _l("Tussen 4 en 60 uur.")),
        ],
    )
    days_per_week = IntegerField(
        _l("Dagen per week bij jou (BBL)"),
        validators=[Optional(), NumberRange(1, 5, _l("Tussen 1 en 5 dagen."))],
    )
    pay_per_month = IntegerField(
        _l("Vergoeding of loon per maand (€)"),
        description=_l(
            "Stage: de stagevergoeding (0 mag, dan staat er 'geen vergoeding'). BBL: het bruto maandloon."
        ),
        validators=[
            InputRequired(_l("Vul een bedrag in (0 mag bij een stage).")),
            NumberRange(0, 10000, _l("Tussen € 0 en € 10.000.")),
        ],
    )
    wage_age = SelectField(
        _l("Loon geldt voor leeftijd (BBL)"),
        coerce=int,
        choices=choices(
            [(0, "–")]
            + [(a, _l("%(age)s jaar", age=a)) for a in range(15, 21)]
            + [(21, _l("21 jaar of ouder"))]
        ),
        description=_l("We controleren het loon tegen het wettelijk minimum(jeugd)loon."),
        validators=[Optional()],
    )
    seats = IntegerField(
        _l("Aantal plaatsen"),
        default=1,
        validators=[
            InputRequired(_l("Vul een aantal in.")),
            NumberRange(1, 50, _l("Tussen 1 en 50 plaatsen.")),
        ],
    )
    meester = SelectField(
        _l("Meester (verantwoordelijk)"),
        coerce=int,
        validators=[DataRequired(_l("Kies een meester."))],
    )
    gezel = SelectField(
        _l("Gezel (werkt dagelijks met de leerling)"), coerce=int, validators=[Optional()]
    )
    required_skills = StringField(
        _l("Wat moet de leerling al kunnen?"),
        description=_l("Gescheiden door komma's. Leeg = niets."),
        validators=[Optional(), Length(max=500)],
    )
    languages = StringField(
        _l("Talen"), default="Nederlands", validators=[Optional(), Length(max=200)]
    )
    # Issue 18: specialist crafts recruit in the whole country.
    national = BooleanField(_l("Landelijk: de leerling mag uit het hele land komen"))
    # Issue 18: adults and career switchers, also before they have a school (BBL only).
    for_switchers = BooleanField(
        _l("Ook voor zij-instromers: volwassenen die dit vak willen leren, ook zonder school")
    )
    lodging_allowance = IntegerField(
        _l("Bijdrage in reis- of verblijfskosten (€ per maand)"),
        description=_l("Bijvoorbeeld voor een kamer in de buurt. Leeg of 0 = geen bijdrage."),
        validators=[Optional(), NumberRange(0, 5000, _l("Tussen € 0 en € 5.000."))],
    )

    def validate_start_date(self, field):
        from stagematch.matching.eligibility import MAX_START_AHEAD

        if field.data is not None and not (
            today() - timedelta(days=366) <= field.data <= today() + MAX_START_AHEAD
        ):
            raise ValidationError(_l("Kies een startdatum binnen twee jaar vanaf vandaag."))

    def to_data(self):
        """The validated form as the placement service's input."""
        from stagematch.extensions import db
        from stagematch.models import Mentor, Qualification
        from stagematch.services.placements import PlacementData

        qualifications = [db.session.get(Qualification, q) for q in self.qualifications.data]
        return PlacementData(
            title=self.title.data, description=self.description.data or "", tasks=self.tasks.data,
            leerweg=self.leerweg.data, qualifications=[q for q in qualifications if q is not None],
            town=self.town.town, start_date=self.start_date.data, duration_weeks=self.duration_weeks.data,
            hours_per_week=float(self.hours_per_week.data), days_per_week=self.days_per_week.data,
            pay_per_month=self.pay_per_month.data, wage_age=self.wage_age.data or None,
            seats=self.seats.data, meester=db.session.get(Mentor, self.meester.data),
            gezel=db.session.get(Mentor, self.gezel.data) if self.gezel.data else None,
            required_skills=self.required_skills.data or "", languages=self.languages.data or "",
            national=bool(self.national.data), lodging_allowance=self.lodging_allowance.data or 0,
            for_switchers=bool(self.for_switchers.data),
        )  # fmt: skip


class RejectForm(FlaskForm):
    reason = SelectField(
        _l("Reden"),
        choices=choices(
            [("", _l("Kies een reden"))]
            + [(key, _l(text)) for key, text in REJECTION_REASONS.items()]
        ),
        validators=[DataRequired(_l("Kies een reden."))],
    )
    note = TextAreaField(
        _l("Toelichting voor de student"), validators=[Optional(), Length(max=1000)]
    )


class OfferForm(FlaskForm):
    """An offer instead of an instant hire: the student answers before `respond_by`."""

    respond_by = DateField(
        _l("Reageren uiterlijk op"),
        description=_l(
            "De student kan tot en met deze dag ja of nee zeggen: 1 tot 30 dagen vanaf vandaag."
        ),
        validators=[InputRequired(_l("Kies een datum."))],
    )

    def validate_respond_by(self, field):
        from stagematch.services.applications import OFFER_DAYS_MAX, OFFER_DAYS_MIN

        first = today() + timedelta(days=OFFER_DAYS_MIN)
        last = today() + timedelta(days=OFFER_DAYS_MAX)
        if field.data is not None and not first <= field.data <= last:
            raise ValidationError(_l("Kies een datum van 1 tot 30 dagen vanaf vandaag."))


class ColleagueForm(FlaskForm):
    """Someone invited by name and e-mail address (a colleague; the administrator's job-coach
    invitation adds the organisation)."""

    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Dit is geen geldig e-mailadres.")),
            Length(max=254),
        ],
    )


class AcceptInvitationForm(SetPasswordForm):
    """A colleague makes their account from an invitation: their name and a password (with the
    same rules as every other password)."""

    name = StringField(_l("Je naam"), validators=[DataRequired(REQUIRED), Length(max=120)])


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV-bestand"),
        validators=[
            FileRequired(_l("Kies een bestand.")),
            FileAllowed(["csv", "txt"], _l("Kies een .csv-bestand.")),
        ],
    )


RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class MeesterEvaluationForm(FlaskForm):
    progress = RadioField(
        _l("Hoe gaat de leerling vooruit op de leertaken?"),
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired(_l("Kies een cijfer van 1 tot 5."))],
    )
    attitude = RadioField(
        _l("Hoe is de werkhouding (op tijd, inzet, samenwerken)?"),
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired(_l("Kies een cijfer van 1 tot 5."))],
    )
    comment = TextAreaField(
        _l("Toelichting"),
        description=_l("Wat gaat goed, wat kan beter? De school en de leerling lezen dit."),
        validators=[Optional(), Length(max=2000)],
    )

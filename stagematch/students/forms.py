from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from stagematch.forms import (
    DateField,
    IntegerField,
    QualificationRef,
    RadioField,
    SelectField,
    TownName,
    choices,
)
from stagematch.models.enums import Leerweg

REQUIRED = "Vul dit in."
LEERWEG_CHOICES = [("BOL", "BOL (stage)"), ("BBL", "BBL (werken en leren)")]


class ProfileForm(FlaskForm):
    school = SelectField("School", coerce=int, validators=[DataRequired("Kies je school.")])
    qualification = StringField(
        "Opleiding",
        description="Typ het crebo-nummer of de naam, bijvoorbeeld 25180 of Kok.",
        validators=[DataRequired(REQUIRED), QualificationRef()],
    )
    leerweg = RadioField(
        "Leerweg", choices=choices(LEERWEG_CHOICES), validators=[DataRequired("Kies BOL of BBL.")]
    )
    town = StringField(
        "Woonplaats", validators=[DataRequired(REQUIRED), Length(max=80), TownName()]
    )
    max_travel_km = IntegerField(
        "Hoe ver wil je reizen? (km)",
        description="Hemelsbreed vanaf je woonplaats. 25 km is ongeveer een half uur met de bus of trein.",
        validators=[InputRequired(REQUIRED), NumberRange(1, 300, "Kies tussen 1 en 300 km.")],
    )
    available_from = DateField("Vanaf wanneer kun je beginnen?", validators=[Optional()])
    skills = StringField(
        "Wat kun je al?",
        description="Een paar woorden, gescheiden door komma's. Bijvoorbeeld: kassa, klantcontact, Excel.",
        validators=[Optional(), Length(max=500)],
    )
    interests = StringField(
        "Wat vind je leuk?",
        description="Bijvoorbeeld: koken, auto's, met kinderen werken.",
        validators=[Optional(), Length(max=500)],
    )
    languages = StringField(
        "Welke talen spreek je?", default="Nederlands", validators=[Optional(), Length(max=200)]
    )
    bbl_days = IntegerField(
        "Hoeveel dagen per week wil je werken? (BBL)",
        validators=[Optional(), NumberRange(1, 5, "Tussen 1 en 5 dagen.")],
    )
    motivation = TextAreaField(
        "Vertel kort iets over jezelf",
        description="Wat wil je leren? Waar ben je goed in? 3 of 4 zinnen is genoeg.",
        validators=[Optional(), Length(max=2000)],
    )
    accessibility_needs = TextAreaField(
        "Heb je iets nodig om goed te kunnen werken?",
        description="Bijvoorbeeld: een rustige werkplek, geen trappen. Dit gebruiken we nooit om plekken te sorteren. "
        "Alleen je school en het bedrijf dat je aanneemt zien het.",
        validators=[Optional(), Length(max=1000)],
    )
    discoverable = BooleanField("Leerbedrijven mogen mij (anoniem) voorstellen zien")
    cv = FileField("Je cv (pdf, maximaal 2 MB)", validators=[Optional()])

    def validate_leerweg(self, field):
        q = getattr(self.qualification, "qualification", None)
        if q is not None and field.data and not q.offers(field.data):
            raise ValidationError(f"{q.name} kun je niet in de {field.data} volgen.")


class ApplyForm(FlaskForm):
    motivation = TextAreaField(
        "Waarom wil je hier stage lopen?",
        description="Schrijf 2 of 3 zinnen: wat wil je hier leren, en waarom past deze plek bij jou?",
        validators=[
            DataRequired("Schrijf een korte motivatie."),
            Length(min=20, max=2000, message="Schrijf minstens één zin (20 tekens)."),
        ],
    )
    anonymous = BooleanField(
        "Anoniem solliciteren (het bedrijf ziet je naam pas als het je uitnodigt)", default=True
    )


class ReportForm(FlaskForm):
    description = TextAreaField(
        "Wat is er gebeurd?",
        description="Je melding gaat naar je stagecoördinator op school, niet naar het bedrijf.",
        validators=[
            DataRequired("Vertel kort wat er gebeurd is."),
            Length(min=10, max=4000, message="Schrijf minstens 10 tekens."),
        ],
    )


class SavedSearchForm(FlaskForm):
    name = StringField(
        "Naam voor deze zoekopdracht", validators=[DataRequired(REQUIRED), Length(max=120)]
    )
    query_string = StringField(validators=[Optional(), Length(max=2000)])


SORTS = [
    ("relevance", "Beste match"),
    ("distance", "Dichtbij"),
    ("pay", "Hoogste vergoeding"),
    ("start", "Eerste start"),
]


class SearchForm(FlaskForm):
    """GET form: the URL holds the search, so it can be shared and bookmarked."""

    class Meta:
        csrf = False

    q = StringField("Zoekwoorden", validators=[Optional(), Length(max=100)])
    leerweg = SelectField(
        "Soort plek",
        choices=choices(
            [("", "Stage en BBL")]
            + [(lw.value, "Stage (BOL)" if lw == Leerweg.BOL else "BBL") for lw in Leerweg]
        ),
        validators=[Optional()],
    )
    crebo = StringField("Opleiding (crebo of naam)", validators=[Optional(), Length(max=200)])
    level = SelectField(
        "Niveau",
        coerce=str,
        choices=choices([("", "Alle niveaus")] + [(str(n), f"niveau {n}") for n in range(1, 5)]),
        validators=[Optional()],
    )
    town = StringField("Vanaf plaats", validators=[Optional(), Length(max=80), TownName()])
    radius = IntegerField(
        "Maximale afstand (km)",
        validators=[Optional(), NumberRange(1, 300, "Kies tussen 1 en 300 km.")],
    )
    sector = SelectField("Branche", validators=[Optional()])
    min_pay = IntegerField(
        "Minimale vergoeding (€ per maand)",
        validators=[Optional(), NumberRange(0, 10000, "Tussen € 0 en € 10.000.")],
    )
    start_from = DateField("Start vanaf", validators=[Optional()])
    start_to = DateField("Start uiterlijk", validators=[Optional()])
    bbl_days = IntegerField(
        "Dagen per week (BBL)", validators=[Optional(), NumberRange(1, 5, "Tussen 1 en 5 dagen.")]
    )
    sort = SelectField(
        "Sorteren", choices=choices(SORTS), default="relevance", validators=[Optional()]
    )
    page = IntegerField(
        "Pagina",
        default=1,
        validators=[Optional(), NumberRange(1, 10_000, "Die pagina bestaat niet.")],
    )


RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class StudentEvaluationForm(FlaskForm):
    supervision_time = RadioField(
        "Heeft je meester of gezel genoeg tijd voor je?",
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired("Kies een cijfer van 1 tot 5.")],
    )
    feedback = RadioField(
        "Krijg je goede uitleg en feedback?",
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired("Kies een cijfer van 1 tot 5.")],
    )
    learning_tasks = RadioField(
        "Leer je echt iets (en doe je niet alleen routinewerk)?",
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired("Kies een cijfer van 1 tot 5.")],
    )
    safety = RadioField(
        "Voel je je veilig op je werk?",
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired("Kies een cijfer van 1 tot 5.")],
    )
    overall = RadioField(
        "Welk cijfer geef je je stage?",
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired("Kies een cijfer van 1 tot 5.")],
    )
    mostly_routine = BooleanField(
        "Ik doe vooral routinewerk (zoals vegen, schoonmaken, vakken vullen)"
    )
    comment = TextAreaField(
        "Wil je nog iets zeggen?",
        description="Je school leest dit. Het bedrijf ziet alleen gemiddelden van minstens 3 studenten, nooit jouw antwoorden.",
        validators=[Optional(), Length(max=2000)],
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Je wachtwoord, ter bevestiging", validators=[DataRequired("Vul je wachtwoord in.")]
    )
    confirm = BooleanField(
        "Ik begrijp dat dit niet terug te draaien is",
        validators=[DataRequired("Vink aan dat je het begrijpt.")],
    )

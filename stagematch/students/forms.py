from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
from wtforms.widgets import CheckboxInput, ListWidget

from stagematch.forms import (
    DateField,
    IntegerField,
    QualificationRef,
    RadioField,
    SelectField,
    SelectMultipleField,
    TownName,
    choices,
)
from stagematch.models.enums import Leerweg

REQUIRED = _l("Vul dit in.")
LEERWEG_CHOICES = [("BOL", _l("BOL (stage)")), ("BBL", _l("BBL (werken en leren)"))]


class _SchoolField(SelectField):
    not_a_choice = _l("Kies je school.")  # also for an id that is no school (other digits)


class ProfileForm(FlaskForm):
    # Optional for a zij-instromer without a school yet; services.students refuses going back
    # to no school once one is chosen.
    school = _SchoolField(_l("School"), coerce=int, validators=[Optional()])
    qualification = StringField(
        _l("Opleiding"),
        description=_l("Typ het crebo-nummer of de naam, bijvoorbeeld 25180 of Kok."),
        validators=[DataRequired(REQUIRED), QualificationRef()],
    )
    leerweg = RadioField(
        _l("Leerweg"),
        choices=choices(LEERWEG_CHOICES),
        validators=[DataRequired(_l("Kies BOL of BBL."))],
    )
    town = StringField(
        _l("Woonplaats"), validators=[DataRequired(REQUIRED), Length(max=80), TownName()]
    )
    max_travel_km = IntegerField(
        _l("Hoe ver wil je reizen? (km)"),
        description=_l(
            "Hemelsbreed vanaf je woonplaats. 25 km is ongeveer een half uur met de bus of trein."
        ),
        validators=[InputRequired(REQUIRED), NumberRange(1, 300, _l("Kies tussen 1 en 300 km."))],
    )
    available_from = DateField(_l("Vanaf wanneer kun je beginnen?"), validators=[Optional()])
    skills = StringField(
        _l("Wat kun je al?"),
        description=_l(
            "Een paar woorden, gescheiden door komma's. Bijvoorbeeld: kassa, klantcontact, Excel."
        ),
        validators=[Optional(), Length(max=500)],
    )
    interests = StringField(
        _l("Wat vind je leuk?"),
        description=_l("Bijvoorbeeld: koken, auto's, met kinderen werken."),
        validators=[Optional(), Length(max=500)],
    )
    languages = StringField(
        _l("Welke talen spreek je?"), default="Nederlands", validators=[Optional(), Length(max=200)]
    )
    bbl_days = IntegerField(
        _l("Hoeveel dagen per week wil je werken? (BBL)"),
        validators=[Optional(), NumberRange(1, 5, _l("Tussen 1 en 5 dagen."))],
    )
    motivation = TextAreaField(
        _l("Vertel kort iets over jezelf"),
        description=_l("Wat wil je leren? Waar ben je goed in? 3 of 4 zinnen is genoeg."),
        validators=[Optional(), Length(max=2000)],
    )
    accessibility_needs = TextAreaField(
        _l("Heb je iets nodig om goed te kunnen werken?"),
        description=_l(
            "Bijvoorbeeld: een rustige werkplek, geen trappen. Dit gebruiken we nooit om plekken te sorteren. "
            "Alleen je school en het bedrijf dat je aanneemt zien het."
        ),
        validators=[Optional(), Length(max=1000)],
    )
    discoverable = BooleanField(_l("Leerbedrijven mogen mij (anoniem) voorstellen zien"))
    cv = FileField(_l("Je cv (pdf, maximaal 2 MB)"), validators=[Optional()])

    def validate_leerweg(self, field):
        q = getattr(self.qualification, "qualification", None)
        if q is not None and field.data and not q.offers(field.data):
            raise ValidationError(
                _(
                    "%(qualification)s kun je niet in de %(leerweg)s volgen.",
                    qualification=q.name,
                    leerweg=field.data,
                )
            )


class ApplyForm(FlaskForm):
    motivation = TextAreaField(
        _l("Waarom wil je hier stage lopen?"),
        description=_l(
            "Schrijf 2 of 3 zinnen: wat wil je hier leren, en waarom past deze plek bij jou?"
        ),
        validators=[
            DataRequired(_l("Schrijf een korte motivatie.")),
            Length(min=20, max=2000, message=_l("Schrijf minstens één zin (20 tekens).")),
        ],
    )
    anonymous = BooleanField(
        _l("Anoniem solliciteren (het bedrijf ziet je naam pas als het je uitnodigt)"), default=True
    )


class ReportForm(FlaskForm):
    description = TextAreaField(
        _l("Wat is er gebeurd?"),
        description=_l(
            "Je melding gaat naar je stagecoördinator op school, niet naar het bedrijf."
        ),
        validators=[
            DataRequired(_l("Vertel kort wat er gebeurd is.")),
            Length(min=10, max=4000, message=_l("Schrijf minstens 10 tekens.")),
        ],
    )


class SavedSearchForm(FlaskForm):
    # Optional: without a name the search is named after its words and town (services.alerts).
    name = StringField(
        _l("Naam voor deze zoekopdracht"),
        description=_l("Leeg laten mag: dan heet hij naar je zoekwoorden en plaats."),
        validators=[Optional(), Length(max=120, message=_l("Gebruik hooguit 120 tekens."))],
    )
    query_string = StringField(validators=[Optional(), Length(max=2000)])
    next = StringField(validators=[Optional(), Length(max=2000)])


SORTS = [
    ("relevance", _l("Beste match")),
    ("distance", _l("Dichtbij")),
    ("pay", _l("Hoogste vergoeding")),
    ("start", _l("Eerste start")),
    ("kansrijk", _l("Kansrijk beroep eerst")),
]


class SearchForm(FlaskForm):
    """GET form: the URL holds the search, so it can be shared and bookmarked."""

    class Meta:
        csrf = False

    q = StringField(_l("Zoekwoorden"), validators=[Optional(), Length(max=100)])
    leerweg = SelectField(
        _l("Soort plek"),
        choices=choices(
            [("", _l("Stage en BBL"))]
            + [(lw.value, _l("Stage (BOL)") if lw == Leerweg.BOL else "BBL") for lw in Leerweg]
        ),
        validators=[Optional()],
    )
    crebo = StringField(_l("Opleiding (crebo of naam)"), validators=[Optional(), Length(max=200)])
    level = SelectField(
        _l("Niveau"),
        coerce=str,
        choices=choices(
            [("", _l("Alle niveaus"))]
            + [(str(n), _l("niveau %(level)s", level=n)) for n in range(1, 5)]
        ),
        validators=[Optional()],
    )
    town = StringField(_l("Vanaf plaats"), validators=[Optional(), Length(max=80), TownName()])
    radius = IntegerField(
        _l("Maximale afstand (km)"),
        validators=[Optional(), NumberRange(1, 300, _l("Kies tussen 1 en 300 km."))],
    )
    sector = SelectField(_l("Branche"), validators=[Optional()])
    min_pay = IntegerField(
        _l("Minimale vergoeding (€ per maand)"),
        validators=[Optional(), NumberRange(0, 10000, _l("Tussen € 0 en € 10.000."))],
    )
    start_from = DateField(_l("Start vanaf"), validators=[Optional()])
    start_to = DateField(_l("Start uiterlijk"), validators=[Optional()])
    bbl_days = IntegerField(
        _l("Dagen per week (BBL)"),
        validators=[Optional(), NumberRange(1, 5, _l("Tussen 1 en 5 dagen."))],
    )
    zij_instromers = BooleanField(
        _l("Alleen plekken ook voor zij-instromers"),
        description=_l("BBL-plekken waar volwassenen ook zonder school kunnen beginnen."),
    )
    kansrijk = BooleanField(
        _l("Alleen kansrijke beroepen"),
        description=_l(
            "Beroepen met meer vacatures dan werkzoekenden (cijfers van UWV). Dit verandert de "
            "volgorde van Beste match niet."
        ),
    )
    sort = SelectField(
        _l("Sorteren"), choices=choices(SORTS), default="relevance", validators=[Optional()]
    )
    page = IntegerField(
        _l("Pagina"),
        default=1,
        validators=[Optional(), NumberRange(1, 10_000, _l("Die pagina bestaat niet."))],
    )


RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class StudentEvaluationForm(FlaskForm):
    supervision_time = RadioField(
        _l("Heeft je meester of gezel genoeg tijd voor je?"),
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired(_l("Kies een cijfer van 1 tot 5."))],
    )
    feedback = RadioField(
        _l("Krijg je goede uitleg en feedback?"),
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired(_l("Kies een cijfer van 1 tot 5."))],
    )
    learning_tasks = RadioField(
        _l("Leer je echt iets (en doe je niet alleen routinewerk)?"),
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired(_l("Kies een cijfer van 1 tot 5."))],
    )
    safety = RadioField(
        _l("Voel je je veilig op je werk?"),
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired(_l("Kies een cijfer van 1 tot 5."))],
    )
    overall = RadioField(
        _l("Welk cijfer geef je je stage?"),
        coerce=int,
        choices=choices(RATING_CHOICES),
        validators=[DataRequired(_l("Kies een cijfer van 1 tot 5."))],
    )
    mostly_routine = BooleanField(
        _l("Ik doe vooral routinewerk (zoals vegen, schoonmaken, vakken vullen)")
    )
    comment = TextAreaField(
        _l("Wil je nog iets zeggen?"),
        description=_l(
            "Je school leest dit. Het bedrijf ziet alleen gemiddelden van minstens 3 studenten, nooit jouw antwoorden."
        ),
        validators=[Optional(), Length(max=2000)],
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Je wachtwoord, ter bevestiging"), validators=[DataRequired(_l("Vul je wachtwoord in."))]
    )
    confirm = BooleanField(
        _l("Ik begrijp dat dit niet terug te draaien is"),
        validators=[DataRequired(_l("Vink aan dat je het begrijpt."))],
    )


class AcceptOfferForm(FlaskForm):
    """Taking an offer: which of the student's other open applications to withdraw (all ticked
    by default; the student may keep some open). Choices are set by the view."""

    withdraw = SelectMultipleField(
        _l("Deze sollicitaties trek ik in"),
        coerce=int,
        description=_l("Haal het vinkje weg bij een sollicitatie die je open wilt houden."),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )

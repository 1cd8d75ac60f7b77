from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from stagematch.forms import DateField, SelectField, choices


class StudentListForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Naam, e-mail of studentnummer"), validators=[Optional(), Length(max=100)])
    qualification = SelectField(_l("Opleiding"), coerce=int, validators=[Optional()])
    level = SelectField(
        _l("Niveau"),
        choices=choices(
            [("", _l("Alle niveaus"))]
            + [(str(n), _l("niveau %(level)s", level=n)) for n in range(1, 5)]
        ),
        validators=[Optional()],
    )
    leerweg = SelectField(
        _l("Leerweg"),
        choices=choices([("", _l("BOL en BBL")), ("BOL", "BOL"), ("BBL", "BBL")]),
        validators=[Optional()],
    )
    status = SelectField(_l("Status"), validators=[Optional()])
    place = SelectField(
        _l("Plek"),
        choices=choices(
            [("", _l("Met en zonder plek")), ("met", _l("Met plek")), ("zonder", _l("Zonder plek"))]
        ),
        validators=[Optional()],
    )


class CompanyListForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Naam of plaats"), validators=[Optional(), Length(max=100)])
    sector = SelectField(_l("Sector"), validators=[Optional()])
    open_flags = BooleanField(_l("Alleen met open signalen"))


INTERNSHIP_STATUSES = {
    "active": _l("Lopend"),
    "completed": _l("Afgerond"),
    "terminated": _l("Gestopt"),
    "all": _l("Alle"),
}


class InternshipListForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"), choices=choices(INTERNSHIP_STATUSES.items()), validators=[Optional()]
    )
    company = StringField(_l("Leerbedrijf"), validators=[Optional(), Length(max=100)])
    meester = StringField(_l("Meester"), validators=[Optional(), Length(max=100)])


FLAG_STATES = {"open": _l("Open"), "afgehandeld": _l("Afgehandeld"), "alle": _l("Alle")}
FLAG_OWNERS = {"": _l("Iedereen"), "mij": _l("Van mij"), "niemand": _l("Zonder eigenaar")}


class FlagListForm(FlaskForm):
    class Meta:
        csrf = False

    toon = SelectField(_l("Tonen"), choices=choices(FLAG_STATES.items()), validators=[Optional()])
    soort = SelectField(_l("Soort"), validators=[Optional()])
    van = SelectField(_l("Eigenaar"), choices=choices(FLAG_OWNERS.items()), validators=[Optional()])
    prioriteit = SelectField(_l("Prioriteit"), validators=[Optional()])


class CaseNoteForm(FlaskForm):
    text = TextAreaField(
        _l("Notitie (alleen voor coördinatoren)"),
        validators=[
            DataRequired(_l("Schrijf een notitie van minstens 3 tekens.")),
            Length(min=3, max=2000, message=_l("Schrijf tussen 3 en 2000 tekens.")),
        ],
    )


class CaseMessageForm(FlaskForm):
    message = TextAreaField(
        _l("Bericht aan de student"),
        description=_l("De student leest dit bij de melding op de pagina Mijn sollicitaties."),
        validators=[
            DataRequired(_l("Schrijf een bericht van minstens 3 tekens.")),
            Length(min=3, max=2000, message=_l("Schrijf tussen 3 en 2000 tekens.")),
        ],
    )


class CaseOwnerForm(FlaskForm):
    owner = SelectField(
        _l("Eigenaar"), coerce=int, validators=[InputRequired(_l("Kies een eigenaar of niemand."))]
    )


class CasePriorityForm(FlaskForm):
    priority = SelectField(
        _l("Prioriteit"), validators=[InputRequired(_l("Kies laag, normaal of hoog."))]
    )


class CaseReopenForm(FlaskForm):
    reason = TextAreaField(_l("Waarom heropen je het?"), validators=[Optional(), Length(max=2000)])


class FlagResolveForm(FlaskForm):
    note = TextAreaField(
        _l("Wat heb je gedaan?"),
        validators=[DataRequired(_l("Schrijf kort wat je gedaan hebt.")), Length(min=3, max=2000)],
    )


class VisitForm(FlaskForm):
    visited_on = DateField(
        _l("Datum van bezoek of gesprek"),
        validators=[DataRequired(_l("Vul een geldige datum in."))],
    )
    note = TextAreaField(
        _l("Verslag"), validators=[DataRequired(_l("Schrijf een kort verslag.")), Length(max=5000)]
    )


class StudentImportForm(FlaskForm):
    file = FileField(
        _l("CSV-bestand"),
        validators=[
            FileRequired(_l("Kies een bestand.")),
            FileAllowed(["csv", "txt"], _l("Kies een .csv-bestand.")),
        ],
    )


class AccreditationCheckForm(FlaskForm):
    """The 'Klopt' and 'Afkeuren' buttons of one accreditation (the page writes the fields)."""

    verdict = StringField(
        _l("Oordeel"),
        validators=[
            AnyOf(["verified", "rejected"], message=_l("Kies of de erkenning klopt of niet."))
        ],
    )
    note = TextAreaField(
        _l("Waarom keur je de erkenning af?"), validators=[Optional(), Length(max=2000)]
    )
    next = StringField(validators=[Optional(), Length(max=500)])

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from stagematch.forms import DateField, SelectField, choices


class StudentListForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Naam of studentnummer"), validators=[Optional(), Length(max=100)])
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

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from stagematch.forms import DateField, SelectField, choices


class StudentListForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Naam of studentnummer", validators=[Optional(), Length(max=100)])
    qualification = SelectField("Opleiding", coerce=int, validators=[Optional()])
    level = SelectField(
        "Niveau",
        choices=choices([("", "Alle niveaus")] + [(str(n), f"niveau {n}") for n in range(1, 5)]),
        validators=[Optional()],
    )
    leerweg = SelectField(
        "Leerweg",
        choices=choices([("", "BOL en BBL"), ("BOL", "BOL"), ("BBL", "BBL")]),
        validators=[Optional()],
    )
    status = SelectField("Status", validators=[Optional()])


class FlagResolveForm(FlaskForm):
    note = TextAreaField(
        "Wat heb je gedaan?",
        validators=[DataRequired("Schrijf kort wat je gedaan hebt."), Length(min=3, max=2000)],
    )


class VisitForm(FlaskForm):
    visited_on = DateField(
        "Datum van bezoek of gesprek", validators=[DataRequired("Vul een geldige datum in.")]
    )
    note = TextAreaField(
        "Verslag", validators=[DataRequired("Schrijf een kort verslag."), Length(max=5000)]
    )


class StudentImportForm(FlaskForm):
    file = FileField(
        "CSV-bestand",
        validators=[
            FileRequired("Kies een bestand."),
            FileAllowed(["csv", "txt"], "Kies een .csv-bestand."),
        ],
    )

"""Form pieces shared by several blueprints: towns, qualifications, passwords."""

from __future__ import annotations

from functools import cache

import wtforms
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import Field, Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import Qualification

MIN_PASSWORD_LENGTH = 8


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, from the list the zxcvbn package ships."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


class NotCommonPassword:
    message = _l(
        "Dit wachtwoord wordt heel vaak gebruikt en is makkelijk te raden. Kies een ander wachtwoord."
    )

    def __call__(self, form: Form, field: Field) -> None:
        value = (field.data or "").lower()
        if value in _common_passwords() or len(set(value)) <= 2:
            raise ValidationError(str(self.message))  # str: the reader's language, now


def choices(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants Choice objects instead of (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


class TownName:
    """Validates a Dutch town name against the shipped list and stores the Town on the field."""

    def __call__(self, form: Form, field: Field) -> None:
        field.town = None
        if not field.data:
            return
        town = geo.find_town(field.data)
        if town is None:
            suggestions = geo.suggest_towns(field.data)
            message = _("We kennen de plaats ‘%(town)s’ niet.", town=field.data)
            if suggestions:
                towns = suggestions[0]
                for town_name in suggestions[1:]:
                    towns = _("%(first)s of %(second)s", first=towns, second=town_name)
                message += " " + _("Bedoel je %(towns)s?", towns=towns)
            raise ValidationError(message)
        field.town = town
        field.data = town.name


def find_qualification(text: str | None) -> Qualification | None:
    """A qualification from what a person typed: a crebo, a datalist label '25180 – Kok (niveau 2)',
    or an exact name when that name is unique."""
    if not text:
        return None
    text = text.strip()
    crebo = text.split()[0].strip("–-")
    if crebo.isdigit() and len(crebo) == 5:
        return db.session.scalar(select(Qualification).where(Qualification.crebo == crebo))
    matches = db.session.scalars(
        select(Qualification).where(Qualification.name.ilike(text)).limit(2)
    ).all()
    return matches[0] if len(matches) == 1 else None


def suggest_qualifications(text: str, limit: int = 3) -> list[Qualification]:
    words = [w for w in text.replace("–", " ").split() if not w.isdigit()][:3]
    if not words:
        return []
    stmt = (
        select(Qualification)
        .where(or_(*(Qualification.name.ilike(f"%{w}%") for w in words)))
        .order_by(Qualification.name)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


class QualificationRef:
    """Validates a typed crebo or name and stores the Qualification on the field."""

    def __call__(self, form: Form, field: Field) -> None:
        field.qualification = None
        if not field.data:
            return
        qualification = find_qualification(field.data)
        if qualification is None:
            found = suggest_qualifications(field.data)
            message = _(
                "Deze opleiding kennen we niet. Typ het crebo-nummer (5 cijfers) of kies uit de lijst."
            )
            if found:
                labels = "; ".join(q.label for q in found)
                message += " " + _("Bedoel je: %(qualifications)s?", qualifications=labels)
            raise ValidationError(message)
        field.qualification = qualification
        field.data = qualification.label


def qualification_labels() -> list[str]:
    """Labels for the qualification datalist (a few hundred; the browser filters as you type)."""
    return [q.label for q in db.session.scalars(select(Qualification).order_by(Qualification.name))]


# Number and date fields whose parse errors speak Dutch (WTForms' own are English).


class IntegerField(wtforms.IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Vul een heel getal in, zonder letters.")) from error


class DecimalField(wtforms.DecimalField):
    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].replace(",", ".")]  # Dutch decimal comma
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Vul een getal in, bijvoorbeeld 4 of 4,5.")) from error


class DateField(wtforms.DateField):
    def __init__(self, label=None, validators=None, format=("%Y-%m-%d", "%d-%m-%Y"), **kwargs):
        super().__init__(label, validators, format=list(format), **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Vul een geldige datum in, bijvoorbeeld 01-02-2027.")) from error


class SelectField(wtforms.SelectField):
    not_a_choice = _l("Kies een van de mogelijkheden uit de lijst.")

    def process_formdata(self, valuelist):
        # Whitespace is no choice; stripped, so the Optional validator (which stops the check of
        # the choice) lets through only what code can use, never " ".
        super().process_formdata([v.strip() for v in valuelist] if valuelist else valuelist)

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except wtforms.validators.ValidationError as error:
            raise wtforms.validators.ValidationError(str(self.not_a_choice)) from error


class SelectMultipleField(wtforms.SelectMultipleField):
    not_a_choice = _l("Kies alleen uit de lijst.")

    def __init__(self, *args, not_a_choice: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not_a_choice:
            self.not_a_choice = not_a_choice

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except wtforms.validators.ValidationError as error:
            raise wtforms.validators.ValidationError(str(self.not_a_choice)) from error


class RadioField(wtforms.RadioField):
    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except wtforms.validators.ValidationError as error:
            raise wtforms.validators.ValidationError(_("Kies een van de mogelijkheden.")) from error

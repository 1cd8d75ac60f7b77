"""Form pieces shared by several blueprints: towns, qualifications, passwords."""

from __future__ import annotations

import decimal
import re
from datetime import date

import wtforms
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import Field, Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from stagematch import geo
from stagematch.extensions import db
from stagematch.inputs import MAX_ID, coerce_id, parse_int
from stagematch.models import Qualification
from stagematch.passwords import is_common_password

MIN_PASSWORD_LENGTH = 8
# Longer than anything a person types in a name field: not looked up (SQLite refuses a LIKE
# pattern over 50 KB, and no qualification or town is named like a book).
MAX_TYPED = 300


class NotCommonPassword:
    message = _l(
        "Dit wachtwoord wordt heel vaak gebruikt en is makkelijk te raden. Kies een ander wachtwoord."
    )

    def __call__(self, form: Form, field: Field) -> None:
        if is_common_password(field.data or ""):
            raise ValidationError(str(self.message))  # str: the reader's language, now


def choices(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants Choice objects instead of (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


def school_choices(placeholder) -> list[SelectChoice]:
    """Every school, grouped by province (an <optgroup> each, in alphabetical order) and by
    name within it, after a placeholder; a school without a province (added by hand) last."""
    from stagematch.reference import school_rows_by_province

    other = _("Overig")
    return [SelectChoice(0, placeholder)] + [
        SelectChoice(id_, name, optgroup=province or other)
        for id_, name, province in school_rows_by_province()
    ]


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
    text = (text or "").strip()
    if not text or len(text) > MAX_TYPED:
        return None
    crebo = text.split()[0].strip("–-")
    if crebo.isdigit() and len(crebo) == 5:
        return db.session.scalar(select(Qualification).where(Qualification.crebo == crebo))
    matches = db.session.scalars(
        select(Qualification).where(Qualification.name.ilike(text)).limit(2)
    ).all()
    return matches[0] if len(matches) == 1 else None


def suggest_qualifications(text: str, limit: int = 3) -> list[Qualification]:
    words = [w for w in text[:MAX_TYPED].replace("–", " ").split() if not w.isdigit()][:3]
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


def qualification_labels() -> tuple[str, ...]:
    """Labels of every qualification (a few hundred), cached per process (`reference.cached`)."""
    from stagematch.reference import qualification_labels as labels

    return labels()


# Number, date and choice fields whose parse errors speak Dutch (WTForms' own are English), and
# that read numbers as `stagematch.inputs.parse_int` does: ASCII digits only ('²', '٣' and '３'
# are refused, though Python's int() reads the last two), and only values the database can store.

NOT_A_WHOLE_NUMBER = _l("Vul een heel getal in, zonder letters.")
OTHER_DIGITS = _l("Gebruik alleen de cijfers 0 tot en met 9.")
TOO_BIG = _l("Dit getal is te groot.")
_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"-?([0-9]+([.,][0-9]*)?|[.,][0-9]+)", re.ASCII)
_MAX_DIGITS = 30  # longer is refused before any conversion


def _number_error(text: str, pattern: re.Pattern) -> str:
    """Why `text` is no number: too long, written with other digits, or simply not a number."""
    if pattern.fullmatch(text):
        return str(TOO_BIG)
    if any(c.isdigit() or c.isnumeric() for c in text if not c.isascii()):
        return str(OTHER_DIGITS)
    return ""


def _has_range(field: Field) -> bool:
    return any(isinstance(v, wtforms.validators.NumberRange) for v in field.validators)


class IntegerField(wtforms.IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        # A plain number beyond the column's range is kept, so the field's NumberRange names the
        # range ("Tussen 1 en 20."); pre_validate refuses it where there is no NumberRange.
        self.data = parse_int(text, lo=-(10**_MAX_DIGITS), hi=10**_MAX_DIGITS)
        if self.data is None:
            raise ValueError(_number_error(text, _NUMBER) or str(NOT_A_WHOLE_NUMBER))

    def pre_validate(self, form):
        if self.data is not None and not -MAX_ID <= self.data <= MAX_ID and not _has_range(self):
            raise wtforms.validators.ValidationError(str(TOO_BIG))


class DecimalField(wtforms.DecimalField):
    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        self.data = None
        # ASCII digits with a decimal point or the Dutch decimal comma; no exponent, NaN or
        # Infinity (Decimal() reads them all, and '١٫٥' too).
        if _DECIMAL.fullmatch(text) and len(text) <= _MAX_DIGITS:
            self.data = decimal.Decimal(text.replace(",", "."))
        else:
            raise ValueError(
                _number_error(text, _DECIMAL) or _("Vul een getal in, bijvoorbeeld 4 of 4,5.")
            )


class DateField(wtforms.DateField):
    """A date as 2027-02-01 or 01-02-2027, in ASCII digits, between the years 1900 and 9999."""

    FIRST, LAST = date(1900, 1, 1), date(9999, 12, 31)

    def __init__(self, label=None, validators=None, format=("%Y-%m-%d", "%d-%m-%Y"), **kwargs):
        super().__init__(label, validators, format=list(format), **kwargs)

    def process_formdata(self, valuelist):
        message = _("Vul een geldige datum in, bijvoorbeeld 01-02-2027.")
        text = " ".join(str(v) for v in valuelist).strip() if valuelist else ""
        if valuelist and (not text.isascii() or len(text) > 40):  # strptime reads '٢٠٢٧'
            self.data = None
            raise ValueError(message)
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(message) from error
        if self.data is not None and not self.FIRST <= self.data <= self.LAST:
            self.data = None
            raise ValueError(message)


class _StrictChoices:
    """Choice fields with `coerce=int` read ids with `coerce_id` (ASCII digits, within the
    database's integer), and say in Dutch when a value is no choice."""

    not_a_choice = _l("Kies een van de mogelijkheden uit de lijst.")

    def __init__(self, *args, **kwargs):
        if kwargs.get("coerce") is int:
            kwargs["coerce"] = coerce_id
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(self.not_a_choice)) from error

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except wtforms.validators.ValidationError as error:
            raise wtforms.validators.ValidationError(str(self.not_a_choice)) from error


class SelectField(_StrictChoices, wtforms.SelectField):
    def process_formdata(self, valuelist):
        # Whitespace is no choice; stripped, so the Optional validator (which stops the check of
        # the choice) lets through only what code can use, never " ".
        super().process_formdata([v.strip() for v in valuelist] if valuelist else valuelist)


class SelectMultipleField(_StrictChoices, wtforms.SelectMultipleField):
    not_a_choice = _l("Kies alleen uit de lijst.")

    def __init__(self, *args, not_a_choice: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not_a_choice:
            self.not_a_choice = not_a_choice


class RadioField(_StrictChoices, wtforms.RadioField):
    not_a_choice = _l("Kies een van de mogelijkheden.")

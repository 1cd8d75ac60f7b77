"""Forms of the administrator's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length

from stagematch.auth.forms import REQUIRED


class ConfirmForm(FlaskForm):
    """The confirmation step of an action: the POST carries the CSRF token and `bevestigd=ja`
    (the button); a POST without it shows the confirmation page again."""


class JobCoachForm(FlaskForm):
    """Inviting a job coach (issue 18): the account gets a link to choose a password."""

    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Dit is geen geldig e-mailadres.")),
            Length(max=254),
        ],
    )
    organisation = StringField(
        _l("Organisatie"),
        description=_l(
            "Bijvoorbeeld: Gemeente Enschede, UWV, VluchtelingenWerk. Leerlingen zoeken hierop."
        ),
        validators=[DataRequired(REQUIRED), Length(max=120)],
    )

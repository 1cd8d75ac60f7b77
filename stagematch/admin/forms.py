"""Forms of the administrator's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from stagematch.auth.forms import REQUIRED
from stagematch.companies.forms import ColleagueForm


class ConfirmForm(FlaskForm):
    """The confirmation step of an action: the POST carries the CSRF token and `bevestigd=ja`
    (the button); a POST without it shows the confirmation page again."""


class JobCoachForm(ColleagueForm):
    """Inviting a job coach (issue 18): name and e-mail address as for a colleague, and the
    organisation; the account gets a link to choose a password."""

    organisation = StringField(
        _l("Organisatie"),
        description=_l(
            "Bijvoorbeeld: Gemeente Enschede, UWV, VluchtelingenWerk. Leerlingen zoeken hierop."
        ),
        validators=[DataRequired(REQUIRED), Length(max=120)],
    )

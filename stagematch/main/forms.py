"""Forms of the administrator's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class SbbRegisterForm(FlaskForm):
    file = FileField(
        _l("Register van SBB (CSV)"),
        validators=[
            FileRequired(_l("Kies een bestand.")),
            FileAllowed(["csv", "txt"], _l("Kies een .csv-bestand.")),
        ],
    )

"""Forms of the administrator's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """The confirmation step of an action: the POST carries the CSRF token and `bevestigd=ja`
    (the button); a POST without it shows the confirmation page again."""

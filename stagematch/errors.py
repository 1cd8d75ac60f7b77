"""Error pages in the reader's language. Nothing here may raise: a broken error page hides the real
error."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.http import HTTP_STATUS_CODES

from stagematch.extensions import db

MESSAGES = {
    400: (
        _l("Er ging iets mis met je verzoek"),
        _l("Controleer wat je hebt ingevuld en probeer het opnieuw."),
    ),
    403: (
        _l("Geen toegang"),
        _l("Deze pagina is niet voor jouw account. Ben je met het goede account ingelogd?"),
    ),
    404: (
        _l("Pagina niet gevonden"),
        _l("Deze pagina bestaat niet (meer). Misschien is de plek al weg."),
    ),
    405: (_l("Dat kan hier niet"), _l("Deze actie werkt niet op deze pagina.")),
    413: (_l("Bestand te groot"), _l("Het bestand is te groot. Kies een kleiner bestand.")),
    429: (
        _l("Even wachten"),
        _l("Je hebt het te vaak geprobeerd. Wacht even en probeer het dan opnieuw."),
    ),
    500: (
        _l("Er ging iets mis bij ons"),
        _l("Het ligt niet aan jou. Probeer het over een paar minuten opnieuw."),
    ),
}


def render_error(code: int, detail: str | None = None, api_detail: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/api/"):
        phrase = HTTP_STATUS_CODES.get(code, "Error")
        return {"error": {"status": code, "title": phrase, "detail": api_detail or phrase}}, code
    return render_template(
        "error.html", code=code, title=str(title), text=str(detail or text)
    ), code


def register(app: Flask) -> None:
    for code in MESSAGES:
        if code == 500:
            continue
        app.register_error_handler(
            code,
            lambda e, code=code: render_error(code, api_detail=getattr(e, "description", None)),
        )

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(
            400,
            _(
                "Het formulier was verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens."
            ),
        )

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return render_error(500)

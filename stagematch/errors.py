"""Error pages in the reader's language. Nothing here may raise: a broken error page hides the real
error.

An error page must not need the database either: when it is away (a restart, a failover, SQLite
locked past its timeout), every request fails on its first query, and the page that says so
must render without one. Flask-Login loads the user (for the menu, and the language of their
account) from the database, so the outage page is rendered as a visitor, in the language that is
known without asking the database; `Retry-After` tells browsers, crawlers and API clients when
to try again."""

from __future__ import annotations

import contextlib
import sqlite3
import time

import psycopg
from flask import Flask, current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc, inspect
from werkzeug.http import HTTP_STATUS_CODES

from stagematch.extensions import db
from stagematch.i18n import COOKIE, LOCALES, select_locale

RETRY_AFTER_SECONDS = 30

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
    503: (
        _l("Even niet bereikbaar"),
        _l(
            "StageMatch kan even niet bij de gegevens. Het ligt niet aan jou. "
            "Probeer het over een halve minuut opnieuw."
        ),
    ),
}

# SQLSTATE classes that pass if you wait: connection exceptions (08), transaction rolled back for
# a conflict (40), insufficient resources such as too many connections (53), operator
# intervention: shutting down, starting up, statement cancelled (57); and lock not available.
TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")
TRANSIENT_SQLSTATES = ("55P03",)
SQLITE_TRANSIENT = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
)


def is_database_outage(error: BaseException) -> bool:
    """True when `error` says the database is (briefly) unreachable or too busy, rather than that
    our code or data is wrong: the request may succeed when tried again shortly."""
    if isinstance(error, exc.TimeoutError):  # no free connection in the pool in time
        return True
    if isinstance(error, exc.PendingRollbackError):
        # The session's connection was invalidated by an earlier disconnect in this request.
        return getattr(error, "code", None) == "8s2b"
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, psycopg.InterfaceError):  # "the connection is closed"
        return True
    if isinstance(error, psycopg.OperationalError):
        state = error.sqlstate
        return (
            state is None  # client side: connection refused, server closed the connection
            or state[:2] in TRANSIENT_SQLSTATE_CLASSES
            or state in TRANSIENT_SQLSTATES
        )
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower().startswith(SQLITE_TRANSIENT)
    return False


def render_error(code: int, detail: str | None = None, api_detail: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if code == 503 else {}
    if request.path.startswith("/api/"):
        phrase = HTTP_STATUS_CODES.get(code, "Error")
        return (
            {"error": {"status": code, "title": phrase, "detail": api_detail or phrase}},
            code,
            headers,
        )
    try:
        page = render_template("error.html", code=code, title=str(title), text=str(detail or text))
    except Exception as error:
        # The page's menu needs the user, who comes from the database: if that is away, the
        # honest answer is the outage page (which needs no database), not a 500.
        if code == 503 or not is_database_outage(error):
            raise
        return database_unavailable(error)
    return page, code, headers


def database_unavailable(error: BaseException | None = None):
    """The 503 page (or JSON for the API) for a database outage, rendered without the database."""
    if error is not None:
        _log_outage(error)
    account_locale = _loaded_user_locale()
    _forget_transaction()
    # From here on nobody asks the database for the user: not the menu, not the language
    # choice, not the request log.
    g._login_user = current_app.login_manager.anonymous_user()
    with force_locale(_reader_locale(account_locale)):
        detail = None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            detail = " ".join((str(MESSAGES[503][1]), _(
                "Wat je net verstuurde, is misschien niet opgeslagen. "
                "Kijk het na zodra StageMatch weer werkt."
            )))  # fmt: skip
        try:
            return render_error(
                503,
                detail,
                api_detail=f"The database is unavailable. Retry after {RETRY_AFTER_SECONDS} seconds.",
            )
        except Exception:  # the page itself still wanted the database: the plainest answer
            current_app.logger.exception("The 503 page could not be rendered")
            return PLAIN_503, 503, {"Retry-After": str(RETRY_AFTER_SECONDS),
                                    "Content-Type": "text/plain; charset=utf-8"}  # fmt: skip


PLAIN_503 = (
    "StageMatch is even niet bereikbaar. Probeer het over een halve minuut opnieuw.\n"
    "StageMatch is briefly unavailable. Please try again in half a minute.\n"
)


_outage_log = {"at": 0.0, "suppressed": 0}
OUTAGE_LOG_EVERY = 10  # seconds: an outage fails every request; the log needs a line, not a flood


def _log_outage(error: BaseException) -> None:
    now = time.monotonic()
    if now - _outage_log["at"] < OUTAGE_LOG_EVERY:
        _outage_log["suppressed"] += 1
        return
    suppressed, _outage_log["suppressed"], _outage_log["at"] = _outage_log["suppressed"], 0, now
    origin = getattr(error, "orig", None) or error
    # Only the driver's first line: the SQL and its parameters may hold personal data.
    message = (str(origin).strip().splitlines() or [""])[0]
    current_app.logger.warning(
        "Database unavailable, answering 503 (%s %s): %s: %s%s",
        request.method,
        request.path,
        type(origin).__name__,
        message,
        f" ({suppressed} more since the last line)" if suppressed else "",
    )


def _loaded_user_locale() -> str | None:
    """The account's language if the user was loaded before the outage (never loads it)."""
    user = g.get("_login_user")
    if user is None:
        return None
    state = inspect(user, raiseerr=False)
    if state is None:  # the anonymous visitor
        return None
    return state.dict.get("locale")


def _reader_locale(account_locale: str | None) -> str:
    """i18n.select_locale's order (cookie, account, browser) with the account's language only as
    far as it is known without the database."""
    chosen = getattr(g.get("_flask_babel"), "babel_locale", None)
    if chosen is not None:  # already chosen in this request, before the outage
        return str(chosen)
    if request.cookies.get(COOKIE) in LOCALES:
        return request.cookies[COOKIE]
    if account_locale in LOCALES:
        return account_locale
    return select_locale()  # the visitor's: cookie or Accept-Language


def _forget_transaction() -> None:
    """Roll back, and give the connection back to the pool (which throws a broken one away)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a dead connection may fail to roll back; drop it then
        with contextlib.suppress(Exception):  # nothing more to do: the pool replaces it
            db.session.invalidate()


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

    def database_error(e):
        if not is_database_outage(e):
            raise e  # a bug, not an outage: Flask logs it and answers 500 (or re-raises in tests)
        return database_unavailable(e)

    for error_class in (exc.DBAPIError, exc.TimeoutError, exc.PendingRollbackError, psycopg.Error):
        app.register_error_handler(error_class, database_error)

    @app.teardown_appcontext
    def close_session(error):
        """Runs before Flask-SQLAlchemy's own teardown (teardowns run last-registered first):
        a request that finished just as the server went away must not become a 500 because
        closing its session could not roll back on the dead connection."""
        try:
            db.session.remove()
        except Exception as close_error:
            if not is_database_outage(close_error):
                raise
            _forget_transaction()
            with contextlib.suppress(Exception):
                db.session.remove()

    @app.errorhandler(500)
    def server_error(e):
        original = getattr(e, "original_exception", None)
        if original is not None and is_database_outage(original):
            return database_unavailable(original)
        _forget_transaction()
        return render_error(500)

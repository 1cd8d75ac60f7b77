"""Languages: Dutch is the source language and the default; English comes from the catalogue in
`stagematch/translations/en/LC_MESSAGES/messages.po`.

The choice is remembered: in a cookie for everyone, and on the account (`User.locale`) for people who
are logged in, so it follows them to another device. Order of precedence: the account, the cookie,
then the browser's Accept-Language, then Dutch.

Strings are marked with `_()` (`gettext`) in views and services, `_l()` (`lazy_gettext`) where they
are defined at import time (form labels, module constants), and `{{ _('...') }}` in templates.
Catalogue workflow (see README): `pybabel extract -F babel.cfg -o messages.pot .`, then
`pybabel update -i messages.pot -d stagematch/translations`, translate, `pybabel compile`.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel, get_locale
from flask_login import current_user

LOCALES = {"nl": "Nederlands", "en": "English"}
DEFAULT_LOCALE = "nl"
COOKIE = "taal"

babel = Babel()


def select_locale() -> str:
    user_locale = getattr(current_user, "locale", None) if _has_user() else None
    if user_locale in LOCALES:
        return user_locale
    cookie = request.cookies.get(COOKIE)
    if cookie in LOCALES:
        return cookie
    return request.accept_languages.best_match(list(LOCALES), default=DEFAULT_LOCALE)


def _has_user() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # outside a request or before Flask-Login is set up
        return False


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["LOCALES"] = LOCALES
    app.jinja_env.globals["get_locale"] = lambda: str(get_locale() or DEFAULT_LOCALE)

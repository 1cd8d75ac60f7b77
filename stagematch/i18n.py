"""Languages: Dutch is the source language and the default; English comes from the catalogue in
`stagematch/translations/en/LC_MESSAGES/messages.po`; Polish, Ukrainian and Arabic (right to left)
cover the pages and mails a student or visitor meets (docs/languages.md).

The choice is remembered: in a cookie for everyone, and on the account (`User.locale`) for people who
are logged in, so it follows them to another device. Order of precedence: the cookie (set only by
the language switch, so the latest explicit choice in this browser), the account (every account has
one, Dutch unless chosen otherwise), then the browser's Accept-Language, then Dutch.

Strings are marked with `_()` (`gettext`) in views and services, `_l()` (`lazy_gettext`) where they
are defined at import time (form labels, module constants), and `{{ _('...') }}` in templates.
Text made outside Flask (stagematch/matching, flag messages stored in the database) is marked with
`N_()` and carried as a `Phrase` (stagematch/matching/text.py); pages show it with `| phrase`.
Catalogue workflow: `./dev.py translations` extracts (keywords `_`, `_l`, `N_`), merges new
messages into the .po untranslated (tests/test_i18n.py fails until they are translated) and
compiles the .mo; both files are committed.
"""

from __future__ import annotations

from datetime import date

from flask import Flask, has_request_context, request
from flask_babel import Babel, force_locale, format_decimal, get_locale, get_translations, gettext
from flask_login import current_user
from markupsafe import Markup

from stagematch.matching.text import Phrase

LOCALES = {"nl": "Nederlands", "en": "English", "pl": "Polski", "uk": "Українська", "ar": "العربية"}
DEFAULT_LOCALE = "nl"
COOKIE = "taal"
# Polish, Ukrainian and Arabic cover what a student or visitor can meet (docs/languages.md); staff
# pages (company, coordinator, admin) are Dutch or English, so staff choose between those two only.
STAFF_LOCALES = ("nl", "en")
RTL_LOCALES = frozenset({"ar"})

babel = Babel()


def select_locale() -> str:
    if not has_request_context():  # CLI commands, mail jobs and tests outside a request: Dutch
        return DEFAULT_LOCALE
    cookie = request.cookies.get(COOKIE)
    if cookie in STAFF_LOCALES:  # every reader may read Dutch and English: no need to load the user
        return cookie
    allowed = locales_for(current_user if _has_user() else None)
    if cookie in allowed:
        return cookie
    user_locale = getattr(current_user, "locale", None) if _has_user() else None
    if user_locale in allowed:
        return user_locale
    return request.accept_languages.best_match(list(allowed), default=DEFAULT_LOCALE)


def locales_for(user) -> dict[str, str]:
    """The languages `user` may read the site in: all for students and visitors (None), Dutch and
    English for staff, whose pages are not translated further (a Polish choice made before logging
    in falls back to the account's language, not to a half-translated page)."""
    role = getattr(user, "role", None)
    if role is None or str(role) == "student":
        return LOCALES
    return {code: LOCALES[code] for code in STAFF_LOCALES}


def language_choices() -> dict[str, str]:
    """The language switch's buttons for the current reader."""
    return locales_for(current_user if _has_user() else None)


def text_direction() -> str:
    return "rtl" if current_locale() in RTL_LOCALES else "ltr"


def _has_user() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # outside a request or before Flask-Login is set up
        return False


def current_locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def user_locale(user) -> str:
    """The language to write to `user` in (mail): their account's choice, else Dutch."""
    locale = getattr(user, "locale", None)
    return locale if locale in locales_for(user) else DEFAULT_LOCALE


def in_locale(locale: str | None):
    """Context manager: translate in `locale` (e.g. a mail in the recipient's language)."""
    return force_locale(locale if locale in LOCALES else DEFAULT_LOCALE)


def translate(text):
    """Text from `stagematch.matching` (a `Phrase`: Dutch, with its msgid and values) in the current
    language; anything else is returned as it is. Nested phrases are translated too."""
    if isinstance(text, Phrase):
        if text.parts is not None:
            return text.separator.join(translate(part) for part in text.parts)
        if text.plural is not None:
            number = text.number if isinstance(text.number, int) else (1 if text.number == 1 else 2)
            form = get_translations().ungettext(text.msgid, text.plural, number)
            return form % {k: _value(v) for k, v in text.params.items()}
        if text.params:
            return gettext(text.msgid, **{k: _value(v) for k, v in text.params.items()})
        return gettext(text.msgid)
    if isinstance(text, (list, tuple)):
        return type(text)(translate(t) for t in text)
    return text


def _value(value):
    """A phrase's value as the reader writes it: a fractional number with their decimal sign
    (3.4 is "3,4" in Dutch), a date as "22 november 2026"; counts, ids and text stay as they are."""
    if isinstance(value, float):
        return format_decimal(value)
    if isinstance(value, date):
        from stagematch.templating import format_date

        return format_date(value)
    return translate(value)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["LOCALES"] = LOCALES
    app.jinja_env.globals["get_locale"] = current_locale
    app.jinja_env.globals["language_choices"] = language_choices
    app.jinja_env.globals["text_direction"] = text_direction
    app.add_template_filter(translate, "phrase")
    app.add_template_filter(bdi, "bdi")


def bdi(value) -> Markup:
    """User data (a name, a town, a number) inside a translated sentence, isolated so that it reads
    the right way round in a right-to-left sentence: `_('bij %(company)s', company=name | bdi)`."""
    return Markup("<bdi>%s</bdi>") % value


def N_(message: str) -> str:
    """Marks a string for the catalogue without translating it here: for Dutch texts stored in the
    database or defined where no request exists; the page translates them with `_()` when shown."""
    return message

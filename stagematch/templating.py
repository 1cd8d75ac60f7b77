"""Jinja filters and globals: dates and money in the reader's language, status labels, navigation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for
from flask_babel import format_currency, format_decimal, get_locale
from flask_babel import format_date as babel_date
from flask_babel import format_datetime as babel_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from stagematch.timeutil import today

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DATE_FORMAT = "d MMMM y"  # "24 november 2026", "24 November 2026"
DASH = "–"  # shown for a missing value


def _spaces(text: str) -> str:
    """CLDR puts a no-break space between "€" and the amount in Dutch; pages and plain-text mail
    keep the ordinary space they always had."""
    return text.replace("\xa0", " ")


def _local(value: datetime) -> datetime:
    """A stored time (UTC, naive or aware) as Amsterdam clock time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(AMSTERDAM)


def format_date(value: date | datetime | None) -> str:
    """A date as "24 november 2026" (English "24 November 2026"); a time is taken to Amsterdam first."""
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = _local(value).date()
    return babel_date(value, DATE_FORMAT)


def format_datetime(value: datetime | None) -> str:
    """A stored UTC time as Dutch clock time: "24 november 2026 14:05"."""
    if value is None:
        return DASH
    return babel_datetime(_local(value), f"{DATE_FORMAT} HH:mm", rebase=False)


def format_number(
    value: float | int | None, digits: int = 0, *, fixed: bool = False, signed: bool = False
) -> str:
    """A number in the reader's language with at most `digits` decimals and no trailing zeros:
    `24.0 | number(1)` is "24", `24.5 | number(1)` is "24,5" in Dutch and "24.5" in English.
    `fixed` keeps exactly `digits` decimals (metrics in a table: "0,810"); `signed` writes "+"."""
    if value is None or value != value:  # None or NaN (a metric that could not be computed)
        return DASH
    pattern = "#,##0" + ("." + ("0" if fixed else "#") * digits if digits > 0 else "")
    return format_decimal(value, format=f"+{pattern};-{pattern}" if signed else pattern)


def plural_count(value: float | int | None) -> int:
    """The count that picks a plural form for a number shown with decimals (gettext wants an
    int): exactly 1 is singular, anything else (0, 2, 24.5) plural — true for Dutch and English."""
    return 1 if value == 1 else 2


def _currency(value: float | int, digits: int) -> str:
    standard = get_locale().currency_formats["standard"].pattern
    pattern = standard.replace("0.00", "0." + "0" * digits if digits else "0")
    return _spaces(format_currency(value, "EUR", format=pattern, currency_digits=False))


def format_euro(value: float | int | None) -> str:
    """Whole euros, for monthly amounts: "€ 1.250" (English "€1,250")."""
    return DASH if value is None else _currency(value, 0)


def format_money(value: float | int | None) -> str:
    """Euros and cents, for hourly wages: "€ 6,69" (English "€6.69")."""
    return DASH if value is None else _currency(value, 2)


def format_km(value: float | None) -> str:
    """A distance: one decimal under 10 km ("8,8 km"), whole kilometres from there ("22 km")."""
    if value is None:
        return DASH
    return f"{format_number(value, 1 if value < 10 else 0)} km"


STATUS_LABELS = {
    # places
    "draft": _l("concept"), "open": _l("online"), "closed": _l("gesloten"), "filled": _l("vol"),
    # applications
    "submitted": _l("verstuurd"), "shortlisted": _l("uitgenodigd"), "offered": _l("aangeboden"),
    "accepted": _l("aangenomen"),
    "rejected": _l("afgewezen"), "withdrawn": _l("ingetrokken"),
    "declined": _l("afgeslagen"), "expired": _l("verlopen"),
    # internships
    "active": _l("loopt"), "completed": _l("afgerond"), "terminated": _l("voortijdig gestopt"),
    # roles
    "meester": _l("meester"), "gezel": _l("gezel"),
}  # fmt: skip


def status_label(value: str | None) -> str:
    label = STATUS_LABELS.get(value or "")
    return str(label) if label is not None else (value or "–")


def pay_label(placement) -> str:
    """Honest wording: a stage without allowance says so; BBL shows the wage."""
    amount = format_euro(placement.pay_per_month)
    if placement.leerweg == "BBL":
        return _("%(amount)s bruto loon per maand", amount=amount)
    if not placement.pay_per_month:
        return _("geen vergoeding")
    return _("%(amount)s stagevergoeding per maand", amount=amount)


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def tel_href(phone: str) -> str:
    """A phone number as a tel: link wants it: digits and a leading + ("053-123 45 67" ->
    "tel:0531234567")."""
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + re.sub(r"\D", "", phone)


def register(app: Flask) -> None:
    from stagematch.jobs import JOB_TITLES
    from stagematch.models.enums import Role

    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.jinja_env.globals["job_titles"] = JOB_TITLES
    app.add_template_filter(format_euro, "euro")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_km, "km")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(plural_count, "plural")
    app.add_template_filter(status_label, "status")
    app.add_template_filter(pay_label, "pay")
    app.add_template_filter(tel_href, "tel")
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["today"] = today
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

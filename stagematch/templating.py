"""Jinja filters and globals: dates and money in the reader's language, status labels, navigation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from stagematch.i18n import current_locale
from stagematch.timeutil import today

MONTHS = (
    _l("januari"), _l("februari"), _l("maart"), _l("april"), _l("mei"), _l("juni"),
    _l("juli"), _l("augustus"), _l("september"), _l("oktober"), _l("november"), _l("december"),
)  # fmt: skip

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_datetime(value: datetime | None) -> str:
    """A stored UTC time as Dutch clock time: "24 november 2026 14:05"."""
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(AMSTERDAM)
    return f"{format_date(local)} {local:%H:%M}"


def format_euro(value: float | int | None) -> str:
    if value is None:
        return "–"
    whole = f"{int(round(value)):,}"
    if current_locale() == "en":
        return f"€{whole}"
    return "€ " + whole.replace(",", ".")


def format_km(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 10:
        text = f"{value:.1f} km"
        return text if current_locale() == "en" else text.replace(".", ",")
    return f"{round(value)} km"


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


def register(app: Flask) -> None:
    from stagematch.jobs import JOB_TITLES
    from stagematch.models.enums import Role

    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.jinja_env.globals["job_titles"] = JOB_TITLES
    app.add_template_filter(format_euro, "euro")
    app.add_template_filter(format_km, "km")
    app.add_template_filter(status_label, "status")
    app.add_template_filter(pay_label, "pay")
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["today"] = today
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

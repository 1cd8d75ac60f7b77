"""Jinja filters and globals: Dutch dates and money, and the navigation per role."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request, url_for

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_euro(value: float | int | None) -> str:
    if value is None:
        return "–"
    whole = f"{int(round(value)):,}".replace(",", ".")
    return f"€ {whole}"


def format_km(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 10:
        return f"{value:.1f} km".replace(".", ",")
    return f"{round(value)} km"


STATUS_LABELS = {
    # places
    "draft": "concept", "open": "online", "closed": "gesloten", "filled": "vol",
    # applications
    "submitted": "verstuurd", "shortlisted": "uitgenodigd", "offered": "aangeboden", "accepted": "aangenomen",
    "rejected": "afgewezen", "withdrawn": "ingetrokken",
    # internships
    "active": "loopt", "completed": "afgerond", "terminated": "voortijdig gestopt",
    # roles
    "meester": "meester", "gezel": "gezel",
}  # fmt: skip


def status_label(value: str | None) -> str:
    return STATUS_LABELS.get(value or "", value or "–")


def pay_label(placement) -> str:
    """Honest wording: a stage without allowance says so; BBL shows the wage."""
    if placement.leerweg == "BBL":
        return f"{format_euro(placement.pay_per_month)} bruto loon per maand"
    if not placement.pay_per_month:
        return "geen vergoeding"
    return f"{format_euro(placement.pay_per_month)} stagevergoeding per maand"


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
    from stagematch.models.enums import Role

    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_euro, "euro")
    app.add_template_filter(format_km, "km")
    app.add_template_filter(status_label, "status")
    app.add_template_filter(pay_label, "pay")
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

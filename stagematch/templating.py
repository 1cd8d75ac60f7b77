"""Jinja filters and globals: Dutch dates and money, and the navigation per role."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

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


def register(app: Flask) -> None:
    from stagematch.models.enums import Role

    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_euro, "euro")
    app.add_template_filter(format_km, "km")
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

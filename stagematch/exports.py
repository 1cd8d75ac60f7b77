"""Large CSV exports, built in the job queue instead of inside the request.

A list with at most EXPORT_JOB_ROWS rows (config, default 5,000) is sent at once, as before. A
longer one becomes a job: the worker writes `instance/exports/<job id>.csv` and the job page offers
the download to the person who asked for it, and to nobody else; the daily job deletes files older
than a day. Pages register what they export with `@exporter(name)`: a function of the person and
plain parameters (so the worker can run it again) that returns the header and the rows.

The open data (api `/export/places.*`) is the same for everyone and asked for without an account:
when it is large, the worker keeps a snapshot (`instance/exports/open-data/`) that is at most an
hour old, and the API serves that file."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path

from flask import current_app, redirect, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from stagematch import jobs
from stagematch.csvutil import csv_response, to_csv
from stagematch.extensions import db
from stagematch.i18n import N_, in_locale, user_locale
from stagematch.timeutil import utcnow

EXPORT_JOB_ROWS = 5000
KEEP_FILES = timedelta(days=1)
OPEN_DATA_MAX_AGE = timedelta(hours=1)
CHUNK = 1000  # rows written between two progress updates
BOM = "\ufeff"  # Excel then reads the file as UTF-8

Exporter = Callable[..., tuple[list[str], Iterable[Sequence]]]
EXPORTERS: dict[str, Exporter] = {}
jobs.JOB_TITLES["export"] = _l("Lijst exporteren")


def exporter(name: str) -> Callable[[Exporter], Exporter]:
    """Register `fn(owner: User, params: dict) -> (header, rows)` as the export `name`."""

    def decorator(fn: Exporter) -> Exporter:
        EXPORTERS[name] = fn
        return fn

    return decorator


def job_rows() -> int:
    return int(current_app.config.get("EXPORT_JOB_ROWS", EXPORT_JOB_ROWS))


def count(stmt) -> int:
    """The number of rows `stmt` returns."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def folder() -> Path:
    path = Path(current_app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- lists of the signed-in person ---------------------------------------------------------------


def csv_or_job(name: str, params: dict, *, filename: str, rows: int):
    """The response to "export this list": the CSV at once when it has at most EXPORT_JOB_ROWS
    rows; otherwise a job (the same one again while it runs) and its page. `params` are plain,
    JSON-safe values that, with the signed-in person, say exactly which rows."""
    if rows <= job_rows():
        header, data = EXPORTERS[name](current_user, params)
        return csv_response(to_csv(header, data), filename)
    job = jobs.unfinished("export", owner=current_user, name=name, params=params)
    if job is None:
        job = jobs.submit(
            "export", build_export, name, params, owner=current_user, total=rows,
            context={"name": name, "params": params, "filename": filename},
        )  # fmt: skip
    return redirect(url_for("main.job", job_id=job.id), 303)


@jobs.job_task()
def build_export(job, name: str, params: dict) -> dict:
    """Write the export to instance/exports/<job id>.csv, in the owner's language."""
    owner = job.owner
    if owner is None or not owner.is_active_account:
        raise jobs.JobFailed(N_("Het account dat deze export vroeg, bestaat niet meer."))
    with in_locale(user_locale(owner)):
        header, data = EXPORTERS[name](owner, params)
        rows = list(data)
        jobs.progress(job, 0, total=len(rows))
        target = folder() / f"{job.id}.csv"
        part = target.with_suffix(".part")
        header_line = to_csv(header, [])
        with part.open("w", encoding="utf-8", newline="") as out:
            out.write(BOM + header_line)
            for start in range(0, len(rows), CHUNK):
                out.write(to_csv(header, rows[start : start + CHUNK])[len(header_line) :])
                jobs.progress(job, min(start + CHUNK, len(rows)))
        os.replace(part, target)  # never a half-written file under the real name
    return {"rows": len(rows), "file": True}


def file_for(job) -> Path | None:
    """The file of a finished export job; None when there is none (any more)."""
    if job.kind != "export" or job.status != "done":
        return None
    path = folder() / f"{job.id}.csv"
    return path if path.is_file() else None


def download(job):
    return send_file(
        file_for(job), mimetype="text/csv", as_attachment=True,
        download_name=(job.result or {}).get("filename", "export.csv"),
    )  # fmt: skip


def remove_old_files(older_than: timedelta = KEEP_FILES) -> int:
    """Delete the export files (and unfinished parts) older than `older_than`; how many."""
    cutoff = (utcnow() - older_than).timestamp()
    removed = 0
    for path in list(folder().glob("*.csv")) + list(folder().glob("*.part")):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed by another worker in the meantime
            pass
    return removed


# --- open data ---------------------------------------------------------------------------------

_open_data: dict[str, Callable] = {}


def open_data_source(*, count: Callable[[], int], rows: Callable[[], list[dict]],
                     fields: list[str]) -> None:  # fmt: skip
    """The API's open data: how many places, the places as dicts, the CSV's columns."""
    _open_data.update(count=count, rows=rows, fields=lambda: fields)


def open_data_file(fmt: str) -> Path:
    return folder() / "open-data" / f"places.{fmt}"


def open_data_is_large() -> bool:
    return _open_data["count"]() > job_rows()


def open_data_snapshot(fmt: str):
    """The response with the open-data snapshot in `fmt` ("csv" or "json"); when there is none
    yet, or it is over an hour old, the worker is asked to make one. None while there is none."""
    path = open_data_file(fmt)
    now = utcnow().timestamp()
    if not path.is_file() or path.stat().st_mtime < now - OPEN_DATA_MAX_AGE.total_seconds():
        # Asked for at most once every few minutes, however many callers are waiting for it.
        asked = path.parent / "requested"
        if not asked.is_file() or asked.stat().st_mtime < now - 300:
            path.parent.mkdir(parents=True, exist_ok=True)
            asked.touch()
            refresh_open_data()
    if not path.is_file():
        return None
    if fmt == "csv":
        return send_file(path, mimetype="text/csv", as_attachment=True, download_name="plekken.csv",
                         max_age=0)  # fmt: skip
    return send_file(path, mimetype="application/json", max_age=0)


@jobs.task()
def refresh_open_data() -> None:
    """Write the open-data snapshot (CSV and JSON), or remove it when the list is small again."""
    base = open_data_file("csv").parent
    if not open_data_is_large():
        for fmt in ("csv", "json"):
            open_data_file(fmt).unlink(missing_ok=True)
        return
    rows = _open_data["rows"]()
    fields = _open_data["fields"]()
    base.mkdir(parents=True, exist_ok=True)
    table = [[r[f] if r[f] is not None else "" for f in fields] for r in rows]
    texts = {
        "csv": to_csv(fields, table),
        "json": json.dumps(
            {"count": len(rows), "places": rows}, ensure_ascii=False, sort_keys=True
        ),
    }
    for fmt, text in texts.items():
        part = base / f"places.{fmt}.{uuid.uuid4().hex}.part"  # two builders never share one
        part.write_text(text, encoding="utf-8")
        os.replace(part, open_data_file(fmt))

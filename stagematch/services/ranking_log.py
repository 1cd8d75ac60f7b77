"""Reading the ranking log (issue 19, item 1): the `list_shown` rows of the interaction log, each a
ranked list served (see `services.interactions.log_list`). The administrator's page filters and
pages them; `flask export-ranking-log` writes one school's lists to a file (CSV: one line per
candidate, or JSON lines: one line per list).

A school's lists are its students' lists (home, search, API, allocation defaults) and, from the
students suggested to companies, only the candidates who are its students (their positions kept)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Select, select

from stagematch.extensions import db
from stagematch.inputs import parse_int
from stagematch.models import Interaction, School, StudentProfile, User
from stagematch.models.interaction import InteractionKind

SOURCES = ("home", "search", "api_places", "api_matches", "suggested", "allocation")
CSV_HEADER = ["lijst", "tijdstip_utc", "bron", "gevraagd_door", "modelversie", "student_id",
              "plek_id", "positie", "score", "getoond"]  # fmt: skip


@dataclass
class Candidate:
    position: int  # 1 = first
    id: int  # a place, or a student's profile for a list of students
    score: float | None
    shown: bool


def candidates_of(payload: dict | None) -> list[Candidate]:
    """The candidates of a logged list with positions, scores and whether they were shown. Rows
    from before the ranking log (issue 16) hold only what was shown."""
    payload = payload or {}
    of = "students" if "students" in payload else "places"
    shown_ids = payload.get(of) or []
    shown_scores = payload.get("scores") or [None] * len(shown_ids)
    if "candidates" not in payload:
        return [
            Candidate(i + 1, pid, score, True)
            for i, (pid, score) in enumerate(zip(shown_ids, shown_scores, strict=False))
        ]
    offset, n = payload.get("offset", 0), payload.get("shown", len(shown_ids))
    lines = [
        Candidate(i + 1, cid, score, offset < i + 1 <= offset + n)
        for i, (cid, score) in enumerate(payload["candidates"])
    ]
    kept = len(lines)  # shown beyond the kept candidates (a far page): from the shown part
    for i, (pid, score) in enumerate(zip(shown_ids, shown_scores, strict=False)):
        if offset + i + 1 > kept:
            lines.append(Candidate(offset + i + 1, pid, score, True))
    return lines


def is_student_list(row: Interaction) -> bool:
    return "students" in (row.payload or {})


# --- the administrator's page ------------------------------------------------------------------


@dataclass
class LogFilters:
    school_id: int | None = None
    source: str = ""
    date_from: date | None = None
    date_to: date | None = None
    student_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field -> Dutch message
    raw: dict[str, str] = field(default_factory=dict)  # the input as typed, shown back

    @classmethod
    def from_args(cls, args, messages: dict[str, str]) -> LogFilters:
        """From a query string; a value that cannot be read is kept as typed and gets
        `messages[field]` as its error (the filter is then not applied)."""
        raw = {k: args.get(k, "").strip()[:40] for k in ("school", "bron", "van", "tot", "student")}
        found = cls(raw=raw)
        if raw["school"]:
            found.school_id = parse_int(raw["school"], lo=1, hi=2**31 - 1)
            if found.school_id is None:
                found.errors["school"] = messages["school"]
        found.source = raw["bron"] if raw["bron"] in SOURCES else ""
        for key, attr in (("van", "date_from"), ("tot", "date_to")):
            if raw[key]:
                value = parse_date(raw[key])
                if value is None:
                    found.errors[key] = messages["date"]
                setattr(found, attr, value)
        if raw["student"]:
            found.student_id = parse_int(raw["student"], lo=1, hi=2**31 - 1)
            if found.student_id is None:
                found.errors["student"] = messages["student"]
        return found

    @property
    def active(self) -> bool:
        return any(self.raw.values())


def parse_date(text: str) -> date | None:
    """YYYY-MM-DD (as a date field sends it) or DD-MM-YYYY (as a person types it), or None."""
    text = text.strip()
    for form in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def lists_statement(filters: LogFilters) -> Select:
    """SQL: the logged lists that pass the filters, newest first, with the student's school."""
    stmt = (
        select(Interaction, School.name.label("school"))
        .outerjoin(StudentProfile, StudentProfile.id == Interaction.student_id)
        .outerjoin(School, School.id == StudentProfile.school_id)
        .where(Interaction.kind == InteractionKind.LIST_SHOWN.value)
        .order_by(Interaction.id.desc())
    )
    if filters.school_id is not None:
        stmt = stmt.where(StudentProfile.school_id == filters.school_id)
    if filters.source:
        stmt = stmt.where(Interaction.payload["source"].as_string() == filters.source)
    if filters.date_from is not None:
        stmt = stmt.where(Interaction.at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to is not None:
        stmt = stmt.where(Interaction.at <= datetime.combine(filters.date_to, time.max))
    if filters.student_id is not None:
        stmt = stmt.where(Interaction.student_id == filters.student_id)
    return stmt


def user_names(rows: list[Interaction]) -> dict[int, str]:
    """Who asked for each list on a page (user id -> name), in one query."""
    ids = {(r.payload or {}).get("who") for r in rows} - {None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


# --- the export ----------------------------------------------------------------------------------


def find_school(name: str) -> School | None:
    from sqlalchemy import func

    return db.session.scalar(select(School).where(func.lower(School.name) == name.strip().lower()))


def school_lists(school: School, since: date) -> Iterator[tuple[Interaction, list[Candidate]]]:
    """The school's lists since `since` (UTC), oldest first, each with the candidates the school
    may see: all of its own students' lists; of a list of students, only its students."""
    own = set(
        db.session.scalars(select(StudentProfile.id).where(StudentProfile.school_id == school.id))
    )
    stmt = (
        select(Interaction)
        .outerjoin(StudentProfile, StudentProfile.id == Interaction.student_id)
        .where(
            Interaction.kind == InteractionKind.LIST_SHOWN.value,
            Interaction.at >= datetime.combine(since, time.min),
            (StudentProfile.school_id == school.id) | Interaction.student_id.is_(None),
        )
        .order_by(Interaction.id)
        .execution_options(yield_per=500)
    )
    for row in db.session.scalars(stmt):
        lines = candidates_of(row.payload)
        if is_student_list(row):
            lines = [c for c in lines if c.id in own]
            if not lines:
                continue
        yield row, lines


def write_export(school: School, since: date, out, *, fmt: str = "csv") -> int:
    """Write the school's lists to the open text file `out` (CSV with semicolons as the site's
    other exports; every cell is a number, a date or a fixed word); the number of lists written."""
    count = 0
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    if fmt == "csv":
        writer.writerow(CSV_HEADER)
    for row, lines in school_lists(school, since):
        payload = row.payload or {}
        at = row.at.isoformat(timespec="seconds")
        if fmt == "csv":
            students = is_student_list(row)
            version = row.model_version_id if row.model_version_id is not None else "regel"
            writer.writerows(
                [row.id, at, payload.get("source", ""), payload.get("who") or "", version,
                 c.id if students else row.student_id, row.place_id if students else c.id,
                 c.position, "" if c.score is None else c.score, "ja" if c.shown else "nee"]
                for c in lines
            )  # fmt: skip
        else:
            out.write(json.dumps({
                "list": row.id, "at": at, "source": payload.get("source"), "who": payload.get("who"),
                "model_version": row.model_version_id, "student_id": row.student_id,
                "place_id": row.place_id, "of": "students" if is_student_list(row) else "places",
                "candidates": [[c.position, c.id, c.score, c.shown] for c in lines],
                "n_candidates": payload.get("n_candidates"),
            }) + "\n")  # fmt: skip
        count += 1
    return count

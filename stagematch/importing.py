"""The report of a CSV import: per row added, already there, or refused with the reason.

Imports that run as jobs (students, places) are all or nothing: `ImportResult` collects the rows,
and its `to_data()` is the job's result (plain JSON; messages kept as phrases, so the job page and
the download of refused rows show them in the reader's language). `ImportRow` is the older,
in-request form that the SBB register import still uses for its refused rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from stagematch.csvutil import CsvFile, to_csv
from stagematch.i18n import translate
from stagematch.matching.text import N_, Phrase, from_data, to_data
from stagematch.models import Job

ADDED, EXISTING, REFUSED = "added", "existing", "refused"
# A refused row keeps its cells for the download, each cut to this length.
KEEP_CELL = 500


@dataclass
class ImportRow:
    line: int
    ok: bool
    message: str


@dataclass
class ImportReport:
    rows: list[ImportRow]
    error: str | None = None

    @property
    def accepted(self) -> int:
        return sum(r.ok for r in self.rows)

    @property
    def refused(self) -> int:
        return sum(not r.ok for r in self.rows)


@dataclass
class ImportResult:
    """Every row of one import file, for a job's report. The import writes only when no row is
    refused and the file had no error (`ok`); then it sets `written`."""

    header: list[str] = field(default_factory=list)
    error: Phrase | None = None
    refused_rows: list[tuple[int, str, list[str]]] = field(default_factory=list)
    done_rows: list[tuple[int, str, str, int | None]] = field(default_factory=list)
    written: bool = False
    mails: int = 0

    @classmethod
    def for_file(cls, csv_file: CsvFile) -> ImportResult:
        """A result that starts with the rows the file itself made unreadable."""
        result = cls(header=csv_file.header, error=csv_file.error)
        for problem in csv_file.problems:
            result.refuse(problem.line, problem.message, problem.cells)
        return result

    def refuse(self, line: int, reason: str, cells: list[str] | None = None) -> None:
        self.refused_rows.append((line, reason, [c[:KEEP_CELL] for c in cells or []]))

    def add(self, line: int, label: str, object_id: int | None = None) -> None:
        self.done_rows.append((line, ADDED, label, object_id))

    def exists(self, line: int, label: str, object_id: int | None = None) -> None:
        self.done_rows.append((line, EXISTING, label, object_id))

    @property
    def ok(self) -> bool:
        return self.error is None and not self.refused_rows

    def counts(self) -> dict[str, int]:
        added = sum(1 for row in self.done_rows if row[1] == ADDED)
        return {
            ADDED: added if self.written else 0,
            EXISTING: len(self.done_rows) - added,
            REFUSED: len(self.refused_rows),
        }

    def to_data(self) -> dict:
        """The job's result: counts, the rows, and the refused rows with their cells. Rows that
        would have been added appear only when the file was written."""
        return {
            "error": to_data(self.error) if self.error is not None else None,
            "written": self.written,
            "counts": self.counts(),
            "mails": self.mails,
            "header": self.header,
            "refused": sorted(
                ([line, to_data(reason), cells] for line, reason, cells in self.refused_rows),
                key=lambda row: row[0],
            ),
            "rows": sorted(
                (
                    [line, status, label, object_id]
                    for line, status, label, object_id in self.done_rows
                    if self.written or status == EXISTING
                ),
                key=lambda row: row[0],
            ),  # fmt: skip
        }


def message(data: dict | None) -> str:
    """A stored message in the reader's language."""
    return translate(from_data(data)) if data else ""


def refused_csv(result: dict) -> str:
    """The refused rows of a job's report as a CSV file: line, reason, then the row's cells."""
    header = [str(translate(Phrase(N_("regel")))), str(translate(Phrase(N_("reden"))))]
    rows = [[line, message(data), *cells] for line, data, cells in result.get("refused", [])]
    return to_csv(header + list(result.get("header", [])), rows)


def own_job(job_id: str, kind: str, user) -> Job | None:
    """The finished import job `job_id` of this kind that `user` started, or None."""
    from stagematch.extensions import db

    job = db.session.get(Job, job_id) if len(job_id) == 32 and job_id.isalnum() else None
    if job is None or job.kind != kind or job.owner_id != user.id or not job.finished:
        return None
    return job

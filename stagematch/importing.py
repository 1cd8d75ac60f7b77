"""The report of a CSV import: one line per row, accepted or refused with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ImportRow:
    line: int
    ok: bool
    message: str
    placement_id: int | None = None
    user: Any = None
    link: str | None = None


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

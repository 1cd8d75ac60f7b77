"""CSV files for people who open them in Excel: semicolons, a BOM, and no formula injection.

Writing: `to_csv` and `csv_response`. Reading: `read_csv`, the one way every import (students,
places, SBB's register) reads an uploaded file. It decodes (UTF-8 with or without BOM, UTF-16 as
Excel's "Unicode text" saves it, else cp1252 when allowed), finds the delimiter from the header
line, matches header names loosely ("Geplande start", "geplande_start"), and never raises for what
is in the file: a row the csv module cannot read (a cell over its 128 KiB limit, a quote that is
never closed), a NUL character or a cell over its column's maximum becomes a problem for that row;
an unreadable file, missing columns or too many rows an error for the whole file. Messages are
`Phrase`s, so a report stored by a job is translated when it is shown."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flask import Response

from stagematch.matching.text import N_, Phrase

FORMULA_START = ("=", "+", "-", "@")


def to_csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        # A leading = + - @ would make a spreadsheet run the cell as a formula.
        writer.writerow(
            ["'" + v if isinstance(v, str) and v[:1] in FORMULA_START else v for v in row]
        )
    return out.getvalue()


def csv_response(text: str, filename: str) -> Response:
    return Response(
        "\ufeff" + text,  # BOM: Excel then reads the file as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- reading ---------------------------------------------------------------------------------

MAX_CELL = 2_000  # characters; a column may allow less (or more)
DELIMITERS = (";", ",", "\t")


def header_key(name: str) -> str:
    """A header name as it is matched: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


@dataclass(frozen=True)
class Column:
    """A column an import reads: its documented name (the key of `CsvRow.values`), other header
    names that mean the same, whether it must be there, and its longest allowed value."""

    name: str
    required: bool = False
    max_length: int = MAX_CELL
    aliases: tuple[str, ...] = ()
    label: str | None = None  # how messages name it (default: the name)

    def keys(self) -> set[str]:
        return {header_key(self.name), *(header_key(a) for a in self.aliases)}


@dataclass
class CsvRow:
    line: int  # the row's number in a spreadsheet: the header is 1
    values: dict[str, str]  # column name -> value, stripped ("" when absent)
    cells: list[str]  # the row as it was read, for a download of refused rows


@dataclass
class CsvProblem:
    line: int
    message: Phrase
    cells: list[str] = field(default_factory=list)


@dataclass
class CsvFile:
    header: list[str] = field(default_factory=list)  # as written in the file
    rows: list[CsvRow] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)  # rows that could not be read
    error: Phrase | None = None  # the file as a whole cannot be read: nothing else is set

    @property
    def count(self) -> int:
        return len(self.rows) + len(self.problems)


def decode(raw: bytes | str, *, cp1252: bool = True) -> str | None:
    """The file's text, or None when it is not text we can read."""
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if not cp1252:
            return None
    # cp1252 leaves five bytes undefined; a file with them is not a spreadsheet's text either.
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return None


def sniff_delimiter(text: str) -> str:
    """The delimiter that occurs most often in the header line, outside quotes (; on a tie,
    as Dutch Excel writes it)."""
    first = text.split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _unguard(value: str) -> str:
    """Our export writes '=… for a cell that starts with = + - @: read back what was written."""
    if value[:1] == "'" and value[1:2] in FORMULA_START:
        return value[1:]
    return value


def _read_error(error: csv.Error) -> Phrase:
    text = str(error)
    if "field larger than field limit" in text:
        return Phrase(
            N_("een cel is groter dan 128 KB; zo'n grote tekst past in geen enkele kolom")
        )
    if "end of data" in text or "expected after" in text:
        return Phrase(
            N_(
                'een aanhalingsteken (") staat op een verkeerde plek of wordt niet gesloten; '
                "sla het bestand opnieuw op als CSV"
            )
        )
    return Phrase(N_("deze regel kunnen we niet lezen; sla het bestand opnieuw op als CSV"))


def _records(text: str, delimiter: str) -> Iterator[tuple[list[str] | None, csv.Error | None]]:
    """Every record of the file, or the csv module's error for one it cannot read (it then goes
    on with the next line)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        try:
            yield next(reader), None
        except StopIteration:
            return
        except csv.Error as error:
            yield None, error


def read_csv(
    raw: bytes | str,
    columns: Iterable[Column],
    *,
    max_rows: int = 20_000,
    cp1252: bool = True,
    by_position: bool = False,
    header_only: bool = False,
) -> CsvFile:
    """Read an uploaded file for an import. `max_rows` counts the rows after the header (empty
    rows not included); with `by_position`, a header that names none of the columns means the
    columns are in their documented order; `header_only` stops after the header (a quick check of
    an upload before it is queued). Raises nothing."""
    columns = list(columns)
    result = CsvFile()
    text = decode(raw, cp1252=cp1252)
    if text is None:
        result.error = Phrase(
            N_(
                "Dit bestand kunnen we niet lezen. Sla het op als CSV (UTF-8) en probeer het opnieuw."
            )
        )
        return result
    records = _records(text, sniff_delimiter(text))
    header, error = next(records, (None, None))
    if error is not None or not header or not any(h.strip() for h in header):
        result.error = Phrase(N_("Het bestand is leeg of de kopregel is niet te lezen."))
        return result
    result.header = [h.strip() for h in header]
    keys = [header_key(h) for h in header]
    positions: dict[str, int] = {}
    for column in columns:
        wanted = column.keys()
        found = next((i for i, key in enumerate(keys) if key in wanted), None)
        if found is not None:
            positions[column.name] = found
    if not positions and by_position and len(header) >= len(columns):
        positions = {column.name: i for i, column in enumerate(columns)}
    missing = [c.label or c.name for c in columns if c.required and c.name not in positions]
    if missing:
        result.error = Phrase(
            N_("De kolom(men) %(columns)s ontbreken. Gebruik de kolommen uit de uitleg."),
            columns=", ".join(missing),
        )
        return result
    if header_only:
        return result
    line = 1
    for cells, error in records:
        line += 1
        if cells is not None and not any(c.strip() for c in cells):
            continue  # an empty row (Excel writes them at the end): skipped, but numbered
        if result.count >= max_rows:
            result.rows, result.problems = [], []
            result.error = Phrase(
                N_(
                    "Het bestand heeft meer dan %(count)s regels. Splits het in kleinere bestanden."
                ),
                count=f"{max_rows:,}".replace(",", "."),
            )
            return result
        if error is not None:
            result.problems.append(CsvProblem(line, _read_error(error)))
            continue
        problems: list[Phrase] = []
        if any("\x00" in c for c in cells):
            problems.append(
                Phrase(N_("deze regel bevat een NUL-teken; sla het bestand opnieuw op als CSV"))
            )
            cells = [c.replace("\x00", "") for c in cells]
        values = {}
        for column in columns:
            position = positions.get(column.name)
            value = _unguard(cells[position].strip()) if position is not None and position < len(cells) else ""  # fmt: skip
            if len(value) > column.max_length:
                problems.append(
                    Phrase(
                        N_("kolom %(column)s is langer dan %(max)s tekens"),
                        column=column.label or column.name,
                        max=column.max_length,
                    )
                )
            values[column.name] = value
        cells = [c[:MAX_CELL] for c in cells]
        if problems:
            result.problems.append(CsvProblem(line, Phrase.join("; ", problems), cells))
        else:
            result.rows.append(CsvRow(line, values, cells))
    return result

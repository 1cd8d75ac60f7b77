"""CSV files for people who open them in Excel: semicolons, a BOM, and no formula injection."""

from __future__ import annotations

import csv
import io

from flask import Response


def to_csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        # A leading = + - @ would make a spreadsheet run the cell as a formula.
        writer.writerow(
            ["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row]
        )
    return out.getvalue()


def csv_response(text: str, filename: str) -> Response:
    return Response(
        "\ufeff" + text,  # BOM: Excel then reads the file as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

"""The leerbedrijf's overview for the Subsidieregeling praktijkleren (issue 17, item 7): per
school year the places it supervised, as a page and a CSV (stagematch/services/subsidy.py)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from stagematch.access import role_required
from stagematch.csvutil import csv_response, to_csv
from stagematch.inputs import arg_int
from stagematch.internships import bp
from stagematch.models.enums import Role
from stagematch.services import subsidy


@bp.route("/subsidie")
@role_required(Role.COMPANY)
def subsidy_overview():
    """`?jaar=2025` picks the school year 2025-2026 (default: the newest); `formaat=csv` gives
    the file with the rows that are complete (the page reports the others)."""
    company = current_user.company
    years = subsidy.school_years(company)
    year = arg_int("jaar", years[0] if years else 0, lo=1900, hi=9999)
    if years and year not in years:
        abort(404)
    result = subsidy.overview(company, year) if years else None
    if request.args.get("formaat") == "csv" and result is not None:
        return csv_response(to_csv(result.header, result.rows),
                            f"subsidie-praktijkleren-{result.label}.csv")  # fmt: skip
    return render_template("internships/subsidy.html", years=years, result=result, company=company,
                           full_weeks=subsidy.FULL_PLACE_WEEKS)  # fmt: skip

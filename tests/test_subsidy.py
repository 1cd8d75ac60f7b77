"""The company's overview for the Subsidieregeling praktijkleren (issue 17, item 7): per place and
school year, weeks supervised, the estimate (€2,700 × min(weeks, 40) / 40 for BBL), the documented
columns, all or nothing with a per-row report."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from unittest import mock

import pytest

from stagematch.extensions import db
from stagematch.services import subsidy
from tests.test_bron import add_version, documented_columns, placement


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


@pytest.mark.parametrize(
    ("first", "last", "weeks"),
    [
        (date(2025, 9, 1), date(2025, 9, 5), 1),  # Monday to Friday
        (date(2025, 9, 5), date(2025, 9, 8), 2),  # Friday and the next Monday: two weeks
        (date(2025, 9, 6), date(2025, 9, 7), 0),  # a weekend only: no supervision
        (date(2025, 9, 1), date(2025, 12, 21), 16),
        (date(2025, 8, 1), date(2026, 7, 31), 53),
    ],
)
def test_weeks_supervised_counts_weeks_with_a_working_day(first, last, weeks):
    assert subsidy.weeks_supervised(first, last) == weeks


def test_the_estimate_is_pro_rata_of_forty_weeks_for_bbl_only():
    assert subsidy.estimate(40, "BBL") == 2700
    assert subsidy.estimate(53, "BBL") == 2700  # at most one full place a year
    assert subsidy.estimate(20, "BBL") == 1350
    assert subsidy.estimate(13, "BBL") == 877  # 877.5, rounded down: an upper bound
    assert subsidy.estimate(40, "BOL") == 0


def test_school_years_and_initials():
    assert subsidy.school_year_of(date(2025, 7, 31)) == 2024
    assert subsidy.school_year_of(date(2025, 8, 1)) == 2025
    assert subsidy.year_bounds(2025) == (date(2025, 8, 1), date(2026, 7, 31))
    assert subsidy.initials("Jan de Vries") == "J.d.V."


def _bbl(make, start: date, weeks: int, **kwargs):
    internship = placement(make, leerweg="BBL", start=start, weeks=weeks, **kwargs)
    add_version(
        internship, signed_at=datetime.combine(start - timedelta(days=7), datetime.min.time())
    )
    internship.placement.company.accreditations[0].valid_from = start - timedelta(days=400)
    db.session.commit()
    return internship


def test_a_placement_over_two_school_years_is_split_and_an_ending_cuts_it(make):
    with mock.patch("stagematch.services.subsidy.today", return_value=date(2026, 12, 1)):
        # Monday 2 June 2025 to (planned) Monday 31 August 2026; ended early on Friday 19 June 2026.
        internship = _bbl(make, date(2025, 6, 2), 65)
        company = internship.placement.company
        internship.ended_at = date(2026, 6, 19)
        db.session.commit()
        assert subsidy.school_years(company) == [2026, 2025, 2024]
        earlier = subsidy.overview(company, 2024)
        assert earlier.ok
        # 2 June – 31 July 2025: nine weeks.
        assert [(r[0], r[9], r[10]) for r in earlier.rows] == [("2024-2025", 9, 607)]
        this = subsidy.overview(company, 2025)
        row = this.rows[0]
        assert row[0] == "2025-2026" and row[7] == "2025-08-01" and row[8] == "2026-06-19"
        assert row[9] == 47 and row[10] == 2700  # more than 40 weeks: one full place
        assert row[2] == "25180" and row[3] == company.sbb_id and row[6] == "BBL"
        assert row[5] == subsidy.initials(internship.student.user.name)
        assert subsidy.overview(company, 2026).rows == []  # ended before this year


def test_weeks_in_the_future_are_not_counted(make):
    with mock.patch("stagematch.services.subsidy.today", return_value=date(2025, 10, 3)):
        internship = _bbl(make, date(2025, 9, 1), 30)
        result = subsidy.overview(internship.placement.company, 2025)
    assert result.rows[0][8] == "2025-10-03" and result.rows[0][9] == 5


def test_missing_data_gives_a_report_per_row_and_no_file(client, auth, make):
    internship = _bbl(make, date.today() - timedelta(days=70), 30)
    company = internship.placement.company
    unsigned = placement(make, leerweg="BBL", company=company, number="9",
                         start=date.today() - timedelta(days=30))  # fmt: skip
    for accreditation in company.accreditations:
        accreditation.withdrawn_at = date.today() - timedelta(days=500)
    db.session.commit()
    result = subsidy.overview(company, subsidy.school_year_of(date.today() - timedelta(days=1)))
    problems = {p.internship_id: str(p.message) for p in result.problems}
    assert "geen erkenning voor crebo 25180" in problems[internship.id]
    assert "geen ondertekende praktijkovereenkomst" in problems[unsigned.id]
    assert result.rows == []
    auth.login(make.company_user(company))
    response = client.get("/stage/subsidie?formaat=csv")
    assert response.status_code == 422 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Geen bestand gemaakt" in page and "geen erkenning voor crebo 25180" in page
    assert f"/stage/{unsigned.id}" in page


def test_the_company_downloads_its_overview_from_the_stagiairs_page(client, auth, make):
    internship = _bbl(make, date.today() - timedelta(days=70), 30)
    company = internship.placement.company
    other = _bbl(make, date.today() - timedelta(days=70), 30, number="555")  # another company
    auth.login(make.company_user(company))
    assert "/stage/subsidie" in client.get("/stage/").get_data(as_text=True)
    page = client.get("/stage/subsidie")
    assert page.status_code == 200 and "Overzicht downloaden (CSV)" in page.get_data(as_text=True)
    year = subsidy.school_years(company)[0]
    response = client.get(f"/stage/subsidie?jaar={year}&formaat=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _read(response.get_data(as_text=True))
    assert rows[0] == documented_columns("Subsidieregeling") == subsidy.HEADER
    assert len(rows) == 1 + len(subsidy.overview(company, year).rows)
    assert all(r[3] == company.sbb_id for r in rows[1:])
    assert other.placement.company.sbb_id not in response.get_data(as_text=True)
    # A school year without supervision of this company is no page.
    assert client.get("/stage/subsidie?jaar=1990").status_code == 404

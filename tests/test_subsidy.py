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
        assert [(r[0], r[-2], r[-1]) for r in earlier.rows] == [("2024-2025", 9, 607)]
        this = subsidy.overview(company, 2025)
        row = this.rows[0]
        assert row[0] == "2025-2026" and row[-4] == "2025-08-01" and row[-3] == "2026-06-19"
        assert row[-2] == 47 and row[-1] == 2700  # more than 40 weeks: one full place
        col = subsidy.HEADER.index
        assert row[col("Crebo")] == "25180" and row[col("Leerbedrijf-ID")] == company.sbb_id
        assert row[col("KvK-nummer")] == company.kvk_number and row[col("Leerweg")] == "BBL"
        assert row[col("Voorletters student")] == subsidy.initials(internship.student.user.name)
        assert subsidy.overview(company, 2026).rows == []  # ended before this year


def test_weeks_in_the_future_are_not_counted(make):
    with mock.patch("stagematch.services.subsidy.today", return_value=date(2025, 10, 3)):
        internship = _bbl(make, date(2025, 9, 1), 30)
        result = subsidy.overview(internship.placement.company, 2025)
    assert result.rows[0][-3] == "2025-10-03" and result.rows[0][-2] == 5


def test_missing_data_gives_a_report_per_row_next_to_the_valid_rows(client, auth, make):
    """One place with a problem does not block the others: the valid rows are shown and
    downloaded, the problems are reported next to them."""
    internship = _bbl(make, date.today() - timedelta(days=70), 30)
    company = internship.placement.company
    good = _bbl(make, date.today() - timedelta(days=70), 30, company=company, number="8")
    unsigned = placement(make, leerweg="BBL", company=company, number="9",
                         start=date.today() - timedelta(days=30))  # fmt: skip
    # This agreement is for a crebo the company has no accreditation for.
    other = make.qualification("25181")
    internship.agreement_versions[0].content = {
        **internship.agreement_versions[0].content,
        "qualification": {"crebo": other.crebo, "name": other.name},
    }
    db.session.commit()
    result = subsidy.overview(company, subsidy.school_year_of(date.today() - timedelta(days=1)))
    problems = {p.internship_id: str(p.message) for p in result.problems}
    assert set(problems) == {internship.id}
    assert "geen erkenning voor crebo 25181" in problems[internship.id]
    notes = {n.internship_id: str(n.message) for n in result.left_out}
    assert "geen ondertekende praktijkovereenkomst" in notes[unsigned.id]
    assert [r[subsidy.HEADER.index("Voorletters student")] for r in result.rows] == [
        subsidy.initials(good.student.user.name)
    ]
    auth.login(make.company_user(company))
    page = client.get("/stage/subsidie").get_data(as_text=True)
    assert "geen erkenning voor crebo 25181" in page and f"/stage/{internship.id}" in page
    assert "Niet meegeteld" in page and f"/stage/{unsigned.id}" in page
    assert subsidy.initials(good.student.user.name) in page
    response = client.get("/stage/subsidie?formaat=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _read(response.get_data(as_text=True))
    assert len(rows) == 2 and rows[1][subsidy.HEADER.index("KvK-nummer")] == company.kvk_number


def test_bol_and_unsigned_placements_are_left_out_with_a_note_not_refused(client, auth, make):
    """Subsidieregeling praktijkleren art. 4: in the mbo only the beroepsbegeleidende leerweg
    (BBL); art. 5 under c: supervision under a praktijkovereenkomst. A BOL stage or a placement
    whose agreement is not signed is left out, with a note; the file is still made."""
    internship = _bbl(make, date.today() - timedelta(days=70), 30)
    company = internship.placement.company
    bol = placement(make, leerweg="BOL", company=company, number="10",
                    start=date.today() - timedelta(days=50))  # fmt: skip
    add_version(
        bol, signed_at=datetime.combine(bol.start_date - timedelta(days=7), datetime.min.time())
    )
    unsigned = placement(make, leerweg="BBL", company=company, number="11",
                         start=date.today() - timedelta(days=20))  # fmt: skip
    add_version(unsigned, signed_at=None)
    db.session.commit()
    year = subsidy.school_year_of(date.today() - timedelta(days=1))
    result = subsidy.overview(company, year)
    assert result.ok and result.problems == []
    assert len(result.rows) == 1 and result.rows[0][subsidy.HEADER.index("Leerweg")] == "BBL"
    notes = {n.internship_id: str(n.message) for n in result.left_out}
    assert set(notes) == {bol.id, unsigned.id}
    assert "BOL" in notes[bol.id] and "geen ondertekende" in notes[unsigned.id]
    auth.login(make.company_user(company))
    page = client.get("/stage/subsidie").get_data(as_text=True)
    assert "Niet meegeteld" in page and "BOL" in page
    response = client.get(f"/stage/subsidie?jaar={year}&formaat=csv")
    assert response.status_code == 200
    rows = _read(response.get_data(as_text=True))
    assert len(rows) == 2 and rows[1][subsidy.HEADER.index("KvK-nummer")] == company.kvk_number


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
    assert all(r[subsidy.HEADER.index("Leerbedrijf-ID")] == company.sbb_id for r in rows[1:])
    assert other.placement.company.sbb_id not in response.get_data(as_text=True)
    # A school year without supervision of this company is no page.
    assert client.get("/stage/subsidie?jaar=1990").status_code == 404

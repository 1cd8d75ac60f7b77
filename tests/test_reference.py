"""The shipped qualification register: real, complete enough, and loaded faithfully."""

import re

from sqlalchemy import func, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import Qualification, School
from stagematch.reference import (
    QUALIFICATIONS_CSV,
    SCHOOLS,
    SCHOOLS_CSV,
    load_reference_data,
    load_schools,
    qualification_rows,
    school_rows,
    sectors,
)


def test_data_file_names_its_source_and_date():
    header = [
        line
        for line in QUALIFICATIONS_CSV.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    ]
    text = " ".join(header)
    assert "Regeling vaststelling kwalificatiedossiers 2015" in text
    assert re.search(r"20\d\d", text)


def test_register_covers_all_sixteen_domains_with_valid_rows():
    rows = qualification_rows()
    assert len(rows) >= 150
    assert {int(r["domain_number"]) for r in rows if r["domain_number"]} == set(range(1, 17))
    crebos = [r["crebo"] for r in rows]
    assert len(crebos) == len(set(crebos))
    assert all(re.fullmatch(r"\d{5}", c) for c in crebos)
    assert {int(r["level"]) for r in rows} <= {1, 2, 3, 4}
    assert {r["leerweg"] for r in rows} <= {"BOL", "BBL", "BOL/BBL"}


def test_loaded_into_the_database_once(app):
    assert db.session.scalar(select(func.count(Qualification.id))) == len(qualification_rows())
    assert load_reference_data() == (0, 0)  # idempotent
    assert db.session.scalar(select(func.count(School.id))) == len(school_rows())


def test_known_qualification_is_present(app):
    kok = db.session.scalar(select(Qualification).where(Qualification.name == "Kok"))
    assert kok is not None and kok.level == 2 and kok.domain_name.startswith("Horeca")


def test_sectors_are_the_domains_in_order():
    assert len(sectors()) >= 16
    assert sectors()[0].startswith("Bouw")


# --- the register of mbo institutions (issue 18, item 3) -------------------------------------


def test_school_register_names_its_source_and_date():
    note = SCHOOLS_CSV.with_suffix(".md").read_text(encoding="utf-8")
    assert "DUO" in note and re.search(r"20\d\d-\d\d-\d\d", note)
    assert SCHOOLS_CSV.read_text(encoding="utf-8").startswith("#")


def test_school_register_covers_the_country_with_locations():
    rows = school_rows()
    assert len(rows) >= 55
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    assert {s.name for s in SCHOOLS} <= set(names)  # the first version's exact names
    assert {r["kind"] for r in rows} == {"roc", "aoc", "vakinstelling", "overig"}
    assert len({r["province"] for r in rows}) == 12
    for row in rows:
        town = geo.find_town(row["town"])
        assert town is not None, row["town"]
        assert town.province == row["province"]
        assert abs(town.lat - float(row["lat"])) < 0.01 and abs(town.lon - float(row["lon"])) < 0.01
        assert row["website"].startswith("https://")
        assert row["brin"] == "" or re.fullmatch(r"\d\d[A-Z]{2}", row["brin"])


def test_load_reference_loads_every_institution_with_its_location(app):
    schools = list(db.session.scalars(select(School)))
    assert len(schools) >= 55
    assert all(s.lat is not None and s.lon is not None and s.province for s in schools)
    twente = db.session.scalar(select(School).where(School.name == "ROC van Twente"))
    assert (twente.city, twente.province, twente.kind) == ("Hengelo", "Overijssel", "roc")
    assert db.session.scalar(select(School).where(School.name == "Yuverta")).kind == "aoc"


def test_load_schools_updates_existing_rows_by_name(app):
    school = db.session.scalar(select(School).where(School.name == "Cibap"))
    school.kind, school.province, school.lat, school.lon = None, None, None, None
    db.session.commit()
    assert load_schools() == 0
    db.session.commit()
    db.session.refresh(school)
    assert (school.kind, school.province) == ("vakinstelling", "Overijssel")
    assert school.lat is not None and school.city == "Zwolle"


def test_cli_load_reference_reports_the_schools(app):
    result = app.test_cli_runner().invoke(args=["load-reference"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\b0\b", result.output)  # nothing new on a second run

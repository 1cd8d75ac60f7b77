"""The shipped qualification register: real, complete enough, and loaded faithfully."""

import re

from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Qualification, School
from stagematch.reference import (
    QUALIFICATIONS_CSV,
    SCHOOLS,
    load_reference_data,
    qualification_rows,
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
    assert db.session.scalar(select(func.count(School.id))) == len(SCHOOLS)


def test_known_qualification_is_present(app):
    kok = db.session.scalar(select(Qualification).where(Qualification.name == "Kok"))
    assert kok is not None and kok.level == 2 and kok.domain_name.startswith("Horeca")


def test_sectors_are_the_domains_in_order():
    assert len(sectors()) >= 16
    assert sectors()[0].startswith("Bouw")

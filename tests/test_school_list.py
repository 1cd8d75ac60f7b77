"""The school's placement list (issue 17 audit): the phase of each placement (not "loopt" for an
agreement nobody finished signing), whom the agreement waits for, approved and planned hours, in
the page and its CSV; and the coordinator's home lists the agreements waiting for the school."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

from stagematch.extensions import db
from stagematch.models import AgreementSignature, HoursEntry
from stagematch.services.hours import monday
from stagematch.timeutil import today
from tests.test_bron import add_version, placement


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def _signed_by(version, *parties):
    for party in parties:
        version.signatures.append(AgreementSignature(party=party, typed_name="X",
                                                     content_hash=version.content_hash,
                                                     signed_at=datetime(2026, 1, 5, 12)))  # fmt: skip
    db.session.flush()


def _row(page: str, name: str) -> str:
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.S)
    [row] = [r for r in rows if name in r]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))


def _world(make):
    school = make.school()
    # Started three weeks ago, the agreement still waits for the leerbedrijf.
    unsigned = placement(make, school=school, number="1", start=today() - timedelta(weeks=3))
    _signed_by(add_version(unsigned, signed_at=None), "student")
    # The student and the leerbedrijf signed: it waits for the school.
    for_school = placement(make, school=school, number="2", start=today() + timedelta(days=5))
    _signed_by(add_version(for_school, signed_at=None), "student", "company")
    # Signed and running for four weeks (32 hours a week), two weeks approved, one waiting.
    running = placement(make, school=school, number="3", start=monday(today()) - timedelta(weeks=3))
    add_version(running, signed_at=datetime.combine(running.start_date, datetime.min.time())
                - timedelta(days=7))  # fmt: skip
    for n, (hours, status, approved) in enumerate(
        [(32, "approved", None), (30, "corrected", 28), (32, "submitted", None)]
    ):
        db.session.add(HoursEntry(internship_id=running.id, week_start=running.start_date
                                  + timedelta(weeks=n), hours=hours, entered_role="student",
                                  status=status, approved_hours=approved))  # fmt: skip
    db.session.commit()
    return school, unsigned, for_school, running


def test_the_list_shows_phase_whom_the_agreement_waits_for_and_hours(client, auth, make):
    school, unsigned, for_school, running = _world(make)
    auth.login(make.coordinator(school))
    page = client.get("/coordinator/stages").get_data(as_text=True)
    row = _row(page, unsigned.student.user.name)
    assert "Overeenkomst nog niet rond" in row and "Loopt" not in row
    assert "wacht op het leerbedrijf" in row
    row = _row(page, for_school.student.user.name)
    assert "wacht op school" in row
    row = _row(page, running.student.user.name)
    assert "Loopt" in row and "60 / 128" in row  # approved 32 + 28; planned 4 weeks × 32
    # The file says the same.
    rows = _read(client.get("/coordinator/stages?formaat=csv").get_data(as_text=True))
    header = rows[0]
    by_student = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    first = by_student[unsigned.student.user.name]
    assert first["fase"] == "Overeenkomst nog niet rond"
    assert first["overeenkomst wacht op"] == "wacht op het leerbedrijf"
    assert first["uren goedgekeurd"] == "0" and first["uren gepland"] == ""
    third = by_student[running.student.user.name]
    assert third["fase"] == "Loopt" and third["overeenkomst wacht op"] == ""
    assert third["uren goedgekeurd"] == "60" and third["uren gepland"] == "128"


def test_the_coordinators_home_lists_agreements_waiting_for_the_school(client, auth, make):
    school, unsigned, for_school, running = _world(make)
    auth.login(make.coordinator(school))
    page = client.get("/coordinator/").get_data(as_text=True)
    section = page.split("Wacht op de school", 1)[1].split("</article>", 1)[0]
    assert for_school.student.user.name in section
    assert f"/stage/{for_school.id}#overeenkomst" in section
    assert unsigned.student.user.name not in section and running.student.user.name not in section
    # Another school's coordinator sees none of it.
    other = make.school("Deltion College")
    db.session.commit()
    auth.logout()
    auth.login(make.coordinator(other))
    page = client.get("/coordinator/").get_data(as_text=True)
    assert for_school.student.user.name not in page

"""The BRON BPV export (issue 17, item 7): one row per signed agreement version in BRON's field
order, the documented columns, all or nothing with a per-row report, the command's exit codes,
the coordinator's download (at once, or from the job queue)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from stagematch.extensions import db
from stagematch.models import AgreementSignature, AgreementVersion, Application
from stagematch.services import applications as application_service
from stagematch.services import bron
from stagematch.timeutil import today

DOCS = Path(__file__).resolve().parent.parent / "docs" / "exports.md"


def documented_columns(section: str) -> list[str]:
    """The *Column* names of the first table under the heading that starts with `section`."""
    text = DOCS.read_text(encoding="utf-8")
    part = text.split(f"## {section}", 1)[1]
    names = []
    for line in part.splitlines():
        m = re.match(r"^\|\s*(\d+)\s*\|\s*([^|]+?)\s*\|", line)
        if m:
            names.append(m.group(2))
        elif names and not line.startswith("|"):
            break
    return names


def content_for(internship, **overrides) -> dict:
    """An agreement's content as services/agreements.py builds it (agreement_content.md)."""
    placement, student = internship.placement, internship.student
    company, school = placement.company, internship.school
    qualification = student.qualification
    weeks = max(1, (internship.end_date - internship.start_date).days // 7)
    content = {
        "student": {"name": student.user.name, "email": student.user.email, "birth_date": None,
                    "student_number": student.student_number, "minor_at_start": False},
        "guardian": None,
        "school": {"id": school.id, "name": school.name, "brin": school.brin, "city": school.city},
        "company": {"id": company.id, "name": company.name, "kvk_number": company.kvk_number,
                    "sbb_id": company.sbb_id, "address": company.address, "city": company.city},
        "qualification": {"crebo": qualification.crebo, "name": qualification.name,
                          "level": qualification.level, "dossier_crebo": qualification.dossier_crebo},
        "leerweg": placement.leerweg,
        "placement": {"id": placement.id, "title": placement.title},
        "start_date": internship.start_date.isoformat(), "end_date": internship.end_date.isoformat(),
        "hours_per_week": placement.hours_per_week, "days_per_week": placement.days_per_week,
        "schedule": "ma-do", "total_hours": round(placement.hours_per_week * weeks),
        "pay_per_month": placement.pay_per_month,
        "meester": {"id": internship.meester.id, "name": internship.meester.name, "function": "", "email": None},
        "gezel": None, "work_processes": "", "assessment": "", "insurance": "", "early_ending": "",
    }  # fmt: skip
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(content.get(key), dict):
            content[key] = {**content[key], **value}
        else:
            content[key] = value
    return content


def add_version(internship, *, signed_at: datetime | None, number: int | None = None,
                **overrides) -> AgreementVersion:  # fmt: skip
    """A version of the internship's agreement; signed by all parties when `signed_at` is set."""
    content = content_for(internship, **overrides)
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    number = number or len(internship.agreement_versions) + 1
    for earlier in internship.agreement_versions:
        if signed_at is not None and earlier.status == "signed":
            earlier.status = "superseded"
    version = AgreementVersion(internship=internship, number=number, content=content,
                               content_hash=digest, signed_at=signed_at,
                               status="signed" if signed_at else "pending",
                               reason="" if number == 1 else "Andere einddatum")  # fmt: skip
    if signed_at is not None:
        for party in ("student", "company", "school"):
            version.signatures.append(AgreementSignature(party=party, typed_name="X", content_hash=digest,
                                                         signed_at=signed_at))  # fmt: skip
    db.session.add(version)
    db.session.flush()
    return version


AUTO = "auto"


def placement(make, *, leerweg="BOL", school=None, start=None, weeks=20, number="100234",
              sbb_id=AUTO, company=None, student=None):  # fmt: skip
    """A running placement of a student with a number, at a company with a leerbedrijf-ID, of a
    school with a BRIN."""
    school = school or make.school()
    if school.brin is None:
        school.brin = "01OE" if school.name == "ROC van Twente" else "25LP"
    kok = make.qualification("25180")
    if company is None:
        company = make.company(qualifications=[kok])
        company.sbb_id = f"1000{12345 + company.id}" if sbb_id == AUTO else sbb_id
        company.address = "Hoofdstraat 1"
    meester = make.meester(company, capacity=10)
    start = start or today() - timedelta(days=60)
    place = make.placement(company, meester, qualification=kok, leerweg=leerweg,
                           start_date=today() - timedelta(days=60), duration_weeks=weeks, days_per_week=4 if leerweg == "BBL" else None,
                           hours_per_week=32, pay_per_month=2500 if leerweg == "BBL" else 250)  # fmt: skip
    student = student or make.student(qualification=kok, school=school, leerweg=leerweg,
                                      student_number=number)  # fmt: skip
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date, internship.end_date = start, start + timedelta(weeks=weeks)
    internship.agreement_versions.clear()  # each test writes the agreement's history it needs
    db.session.commit()
    return internship


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_the_documented_columns_are_the_files_header(make, runner, tmp_path):
    assert documented_columns("BRON") == bron.HEADER
    internship = placement(make)
    add_version(internship, signed_at=datetime(2026, 1, 5, 12))
    db.session.commit()
    out = tmp_path / "bron.csv"
    result = runner.invoke(args=["export-bron", "--school", "ROC van Twente", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _read(out.read_text(encoding="utf-8"))[0] == documented_columns("BRON")


def test_one_row_per_signed_version_in_brons_field_order(make, runner, tmp_path):
    internship = placement(make, leerweg="BBL")
    start = internship.start_date
    add_version(internship, signed_at=datetime(2026, 1, 5, 23, 30))  # 6 January in Amsterdam
    add_version(internship, signed_at=datetime(2026, 2, 10, 9), total_hours=700,
                end_date=(start + timedelta(weeks=25)).isoformat())  # fmt: skip
    add_version(internship, signed_at=None, total_hours=999)  # waits for signatures: not reported
    db.session.commit()
    sbb_id = internship.placement.company.sbb_id
    out = tmp_path / "bron.csv"
    result = runner.invoke(args=["export-bron", "--school", "roc van twente", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 BPV-regels" in result.output
    rows = _read(out.read_text(encoding="utf-8"))[1:]
    planned = (start + timedelta(weeks=20)).strftime("%Y%m%d")
    assert rows == [
        ["01OE", "100234", "25180", "BBL", "1", "20260106", start.strftime("%Y%m%d"), planned, "",
         sbb_id, str(32 * 20), "nieuw", "1"],
        ["01OE", "100234", "25180", "BBL", "1", "20260210", start.strftime("%Y%m%d"),
         (start + timedelta(weeks=25)).strftime("%Y%m%d"), "", sbb_id, "700", "wijziging", "2"],
    ]  # fmt: skip
    assert not Path(f"{out}.part").exists()


def test_the_values_are_the_signed_content_not_todays_data(make):
    """BRON must match the POK: a number changed after signing does not change the row."""
    internship = placement(make)
    add_version(internship, signed_at=datetime(2026, 1, 5, 12))
    signed_sbb_id = internship.placement.company.sbb_id
    internship.placement.company.sbb_id = "999999999"
    internship.student.student_number = "777"
    db.session.commit()
    rows = bron.build(make.school()).rows
    assert rows[0][1] == "100234" and rows[0][9] == signed_sbb_id


def test_missing_data_gives_a_report_per_row_and_no_file(make, runner, tmp_path):
    good = placement(make)
    add_version(good, signed_at=datetime(2026, 1, 5, 12))
    bad = placement(make, number=None, sbb_id=None)
    add_version(bad, signed_at=datetime(2026, 1, 6, 12))
    db.session.commit()
    out = tmp_path / "bron.csv"
    result = runner.invoke(args=["export-bron", "--school", "ROC van Twente", "--out", str(out)])
    assert result.exit_code == 1
    assert not out.exists() and not Path(f"{out}.part").exists()
    report = result.output
    assert "Geen bestand geschreven: 1 regel(s)" in report
    assert f"stage {bad.id}" in report and f"stage {good.id}" not in report
    assert "geen studentnummer" in report and "geen SBB leerbedrijf-ID" in report
    # The same check in the service: every problem, no rows at all.
    result = bron.build(make.school())
    assert (
        not result.ok
        and result.rows == []
        and [p.internship_id for p in result.problems] == [bad.id]
    )


def test_a_school_without_brin_and_a_placement_started_without_pok_are_reported(make):
    school = make.school()
    started = placement(make, school=school)  # started 60 days ago, no signed version
    add_version(started, signed_at=None)
    coming = placement(make, school=school, start=today() + timedelta(days=10))  # not yet
    school.brin = None
    db.session.commit()
    result = bron.build(school)
    messages = [str(p.message) for p in result.problems]
    assert any("geen BRIN" in m for m in messages)
    assert any(p.internship_id == started.id and "zonder ondertekende" in str(p.message)
               for p in result.problems)  # fmt: skip
    assert coming.id not in {p.internship_id for p in result.problems}


def test_a_period_selects_versions_signed_in_it_and_placements_ended_in_it(make):
    school = make.school()
    first = placement(make, school=school)
    add_version(first, signed_at=datetime(2026, 1, 5, 12))
    later = placement(make, school=school)
    add_version(later, signed_at=datetime(2026, 3, 5, 12))
    ended = placement(make, school=school)
    add_version(ended, signed_at=datetime(2025, 9, 1, 12))
    ended.ended_at = date(2026, 1, 20)
    ended.status = "terminated"
    db.session.commit()
    result = bron.build(school, date(2026, 1, 1), date(2026, 1, 31))
    assert result.ok
    by_kind = {(row[11], row[8]) for row in result.rows}
    assert len(result.rows) == 2  # first (signed in January) and ended (ended in January)
    assert ("nieuw", "") in by_kind and ("wijziging", "20260120") in by_kind
    # The second placement of the same student gets BPV-volgnummer 2.
    first.status = "completed"
    db.session.commit()
    again = placement(
        make, school=school, student=first.student.user, company=first.placement.company
    )
    add_version(again, signed_at=datetime(2026, 1, 9, 12))
    db.session.commit()
    rows = bron.build(school, date(2026, 1, 1), date(2026, 1, 31)).rows
    assert sorted(r[4] for r in rows if r[1] == "100234") == [1, 1, 2]


def test_the_command_refuses_unknown_schools_and_bad_dates(runner, tmp_path):
    out = str(tmp_path / "x.csv")
    result = runner.invoke(args=["export-bron", "--school", "Bestaat niet", "--out", out])
    assert result.exit_code == 2 and "Onbekende school" in result.output
    result = runner.invoke(args=["export-bron", "--school", "ROC van Twente", "--out", out,
                                 "--from", "31-01-2026"])  # fmt: skip
    assert result.exit_code == 2 and "Ongeldige datum" in result.output
    result = runner.invoke(args=["export-bron", "--school", "ROC van Twente", "--out", out,
                                 "--from", "2026-02-01", "--to", "2026-01-01"])  # fmt: skip
    assert result.exit_code == 2
    assert not Path(out).exists()


def test_the_coordinator_downloads_the_file_from_the_internships_page(client, auth, make):
    internship = placement(make)
    add_version(internship, signed_at=datetime(2026, 1, 5, 12))
    db.session.commit()
    auth.login(make.coordinator(make.school()))
    page = client.get("/coordinator/stages").get_data(as_text=True)
    assert "/coordinator/stages/bron" in page and "BRON-bestand downloaden" in page
    response = client.get("/coordinator/stages/bron?formaat=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "bron-bpv-01OE.csv" in response.headers["Content-Disposition"]
    rows = _read(response.get_data(as_text=True))
    assert rows[0] == bron.HEADER and len(rows) == 2
    # A period without signatures: an empty file (the header only), not an error.
    response = client.get("/coordinator/stages/bron?formaat=csv&van=2025-01-01&tot=2025-01-31")
    assert response.status_code == 200 and len(_read(response.get_data(as_text=True))) == 1


def test_the_coordinator_gets_the_report_page_and_no_file_on_problems(client, auth, make):
    bad = placement(make, sbb_id=None)
    add_version(bad, signed_at=datetime(2026, 1, 5, 12))
    db.session.commit()
    auth.login(make.coordinator(make.school()))
    response = client.get("/coordinator/stages/bron?formaat=csv")
    assert response.status_code == 422 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Geen bestand gemaakt" in page and "geen SBB leerbedrijf-ID" in page
    assert f"/coordinator/stages/{bad.id}" in page
    # Bad dates: the form back with the input and a Dutch message.
    response = client.get("/coordinator/stages/bron?formaat=csv&van=gisteren")
    assert response.status_code == 422
    assert "Vul een geldige datum in" in response.get_data(as_text=True)
    assert 'value="gisteren"' in response.get_data(as_text=True)


def test_another_schools_coordinator_gets_only_their_own_school(client, auth, make):
    internship = placement(make)
    add_version(internship, signed_at=datetime(2026, 1, 5, 12))
    db.session.commit()
    deltion = make.school("Deltion College")
    deltion.brin = "25LH"
    db.session.commit()
    auth.login(make.coordinator(deltion))
    rows = _read(client.get("/coordinator/stages/bron?formaat=csv").get_data(as_text=True))
    assert rows == [bron.HEADER]


def test_a_big_export_comes_from_the_job_queue(app, client, auth, make, monkeypatch):
    for n in range(3):
        internship = placement(make, number=f"20{n}")
        add_version(internship, signed_at=datetime(2026, 1, 5 + n, 12))
    db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 2)
    auth.login(make.coordinator(make.school()))
    response = client.get("/coordinator/stages/bron?formaat=csv")
    assert response.status_code == 303 and "/taken/" in response.headers["Location"]
    job_page = response.headers["Location"]
    download = client.get(f"{job_page}/bestand")
    assert download.status_code == 200
    rows = _read(download.get_data(as_text=True))
    download.close()
    assert rows[0] == bron.HEADER and sorted(r[1] for r in rows[1:]) == ["200", "201", "202"]

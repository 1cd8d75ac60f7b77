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

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import AgreementSignature, AgreementVersion, Application, AuditEvent
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


def test_a_school_without_brin_is_reported_and_unsigned_placements_are_only_noted(make):
    school = make.school()
    started = placement(make, school=school)  # started 60 days ago, no signed version
    add_version(started, signed_at=None)
    coming = placement(make, school=school, start=today() + timedelta(days=10))  # not yet
    school.brin = None
    db.session.commit()
    result = bron.build(school)
    assert [str(p.message) for p in result.problems] == ["de school heeft geen BRIN-nummer"]
    assert [n.internship_id for n in result.left_out] == [started.id]
    assert coming.id not in {n.internship_id for n in result.left_out}


def test_placements_without_a_signed_agreement_are_left_out_with_a_note_not_refused(
    make, runner, tmp_path
):
    """Issue 17: a placement cannot start before everyone signed, so there is no POK to report
    yet; history placements from before StageMatch have no agreement at all. Neither blocks the
    file: both are left out with a note (the demo school could never make a file)."""
    school = make.school()
    signed = placement(make, school=school)
    add_version(signed, signed_at=datetime(2026, 1, 5, 12))
    unsigned = placement(make, school=school, number="300")
    add_version(unsigned, signed_at=None)
    history = placement(make, school=school, number="301", start=today() - timedelta(days=400))
    history.status, history.ended_at = "completed", history.end_date
    coming = placement(make, school=school, number="302", start=today() + timedelta(days=10))
    db.session.commit()
    result = bron.build(school)
    assert result.ok and result.problems == []
    assert len(result.rows) == 1 and result.rows[0][1] == "100234"
    # The ones the school can act on (a signature missing) first.
    assert [n.internship_id for n in result.left_out] == [unsigned.id, history.id]
    notes = {n.internship_id: str(n.message) for n in result.left_out}
    assert notes == {
        unsigned.id: "Niet gemeld: nog niet door iedereen ondertekend",
        history.id: "Niet gemeld: geen overeenkomst in StageMatch",
    }
    assert coming.id not in notes
    # The command writes the file and prints the notes (not an error: exit 0).
    out = tmp_path / "bron.csv"
    printed = runner.invoke(args=["export-bron", "--school", "ROC van Twente", "--out", str(out)])
    assert printed.exit_code == 0, printed.output
    assert len(_read(out.read_text(encoding="utf-8-sig"))) == 2
    assert f"stage {unsigned.id}" in printed.output and f"stage {history.id}" in printed.output
    assert "geen overeenkomst in StageMatch" in printed.output
    # A real data problem of a signed agreement still refuses the whole file.
    bad = placement(make, school=school, number="303", sbb_id=None)
    add_version(bad, signed_at=datetime(2026, 1, 6, 12))
    db.session.commit()
    result = bron.build(school)
    assert not result.ok and result.rows == []
    assert [p.internship_id for p in result.problems] == [bad.id]
    assert {n.internship_id for n in result.left_out} == {unsigned.id, history.id}


def test_the_bron_page_shows_the_placements_left_out(client, auth, make):
    school = make.school()
    signed = placement(make, school=school)
    add_version(signed, signed_at=datetime(2026, 1, 5, 12))
    unsigned = placement(make, school=school, number="300")
    add_version(unsigned, signed_at=None)
    history = placement(make, school=school, number="301")
    db.session.commit()
    auth.login(make.coordinator(school))
    page = client.get("/coordinator/stages/bron").get_data(as_text=True)
    assert 'id="niet-gemeld"' in page
    part = page.split('id="niet-gemeld"', 1)[1].split("</table>", 1)[0]
    assert (
        f"/coordinator/stages/{unsigned.id}" in part and f"/coordinator/stages/{history.id}" in part
    )
    assert f"/coordinator/stages/{signed.id}" not in part
    assert (
        "nog niet door iedereen ondertekend" in part and "geen overeenkomst in StageMatch" in part
    )
    response = client.get("/coordinator/stages/bron?formaat=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert len(_read(response.get_data(as_text=True))) == 2
    # Refused for a signed agreement's data: the report, and the notes apart from it.
    bad = placement(make, school=school, number="303", sbb_id=None)
    add_version(bad, signed_at=datetime(2026, 1, 6, 12))
    db.session.commit()
    response = client.get("/coordinator/stages/bron?formaat=csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Geen bestand gemaakt: 1 regel" in page
    assert 'id="niet-gemeld"' in page


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


# --- issue 17 audit: identifiers from the live records, the 7-day deadline -----------------------


def test_an_agreement_signed_before_the_school_had_a_brin_is_reported_after_it_is_entered(
    client, auth, make
):
    """The shipped school register has no BRIN: every agreement is signed with an empty one. The
    BRIN entered afterwards is the school's, and goes into column 1."""
    from stagematch.services import schools

    school = make.school()
    internship = placement(make, school=school)
    school.brin = None
    add_version(internship, signed_at=datetime(2026, 1, 5, 12))
    db.session.commit()
    assert internship.agreement_versions[0].content["school"]["brin"] is None
    coordinator = make.coordinator(school)
    assert not bron.build(school).ok
    schools.set_brin(school, "01OE", by=coordinator)
    result = bron.build(school)
    assert result.ok, bron.problem_lines(result.problems)
    assert [row[0] for row in result.rows] == ["01OE"]
    # The signed document keeps what was signed.
    assert internship.agreement_versions[0].content["school"]["brin"] is None
    auth.login(coordinator)
    response = client.get("/coordinator/stages/bron?formaat=csv")
    assert response.status_code == 200 and _read(response.get_data(as_text=True))[1][0] == "01OE"


def test_an_empty_student_number_or_leerbedrijf_id_is_taken_from_the_live_records(make):
    internship = placement(make, number=None, sbb_id=None)
    add_version(internship, signed_at=datetime(2026, 1, 5, 12))
    db.session.commit()
    assert not bron.build(make.school()).ok
    internship.student.student_number = "4711"
    internship.placement.company.sbb_id = "100099999"
    db.session.commit()
    result = bron.build(make.school())
    assert result.ok, bron.problem_lines(result.problems)
    assert result.rows[0][1] == "4711" and result.rows[0][9] == "100099999"


def _unreported_rows(page: str) -> list[str]:
    """The rows of the BRON page's 'not yet reported' table, as text with class names."""
    part = page.split('id="nog-niet-gemeld"', 1)
    if len(part) < 2:
        return []
    table = part[1].split("</table>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", table, flags=re.S)[1:]  # without the header row


def test_the_bron_page_lists_signed_versions_not_yet_reported_and_the_overdue_ones(
    client, auth, make
):
    school = make.school()
    late = placement(make, school=school)
    add_version(late, signed_at=datetime.combine(today() - timedelta(days=10), datetime.min.time())
                + timedelta(hours=12))  # fmt: skip
    recent = placement(make, school=school, number="200")
    add_version(recent, signed_at=datetime.combine(today() - timedelta(days=2), datetime.min.time())
                + timedelta(hours=12))  # fmt: skip
    db.session.commit()
    late_name, recent_name = late.student.user.name, recent.student.user.name
    auth.login(make.coordinator(school))
    page = client.get("/coordinator/stages/bron").get_data(as_text=True)
    rows = _unreported_rows(page)
    assert len(rows) == 2
    [late_row] = [r for r in rows if late_name in r]
    [recent_row] = [r for r in rows if recent_name in r]
    assert 'class="overdue"' in late_row and "te laat" in late_row
    assert 'class="overdue"' not in recent_row
    assert f"/coordinator/stages/{late.id}" in late_row
    # A download reports both: the versions are recorded, the list is empty.
    assert client.get("/coordinator/stages/bron?formaat=csv").status_code == 200
    assert all(
        v.bron_reported_at is not None for v in late.agreement_versions + recent.agreement_versions
    )
    page = client.get("/coordinator/stages/bron").get_data(as_text=True)
    assert _unreported_rows(page) == [] and "Alle ondertekende overeenkomsten zijn gemeld" in page
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bron.export")).all()
    assert event.object_id == school.id and '"newly_reported": 2' in event.detail


def test_a_refused_export_or_a_period_records_only_what_went_into_a_file(
    client, auth, make, runner, tmp_path
):
    school = make.school()
    good = placement(make, school=school)
    add_version(good, signed_at=datetime(2026, 1, 5, 12))
    other = placement(make, school=school, number="300")
    add_version(other, signed_at=datetime(2026, 3, 5, 12))
    bad = placement(make, school=school, sbb_id=None, number="301")
    add_version(bad, signed_at=datetime(2026, 1, 6, 12))
    db.session.commit()
    auth.login(make.coordinator(school))
    assert client.get("/coordinator/stages/bron?formaat=csv").status_code == 422
    db.session.expire_all()
    assert all(v.bron_reported_at is None for v in good.agreement_versions)
    bad.placement.company.sbb_id = "100077777"
    db.session.commit()
    response = client.get("/coordinator/stages/bron?formaat=csv&van=2026-01-01&tot=2026-01-31")
    assert response.status_code == 200
    db.session.expire_all()
    assert good.agreement_versions[0].bron_reported_at is not None
    assert bad.agreement_versions[0].bron_reported_at is not None
    assert other.agreement_versions[0].bron_reported_at is None
    first = good.agreement_versions[0].bron_reported_at
    # The command line records too, and the first report's time is kept.
    out = tmp_path / "bron.csv"
    result = runner.invoke(args=["export-bron", "--school", "ROC van Twente", "--out", str(out)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert other.agreement_versions[0].bron_reported_at is not None
    assert good.agreement_versions[0].bron_reported_at == first


def test_a_big_export_from_the_job_queue_records_the_versions(app, client, auth, make, monkeypatch):
    for n in range(3):
        internship = placement(make, number=f"40{n}")
        add_version(internship, signed_at=datetime(2026, 1, 5 + n, 12))
    db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 2)
    auth.login(make.coordinator(make.school()))
    response = client.get("/coordinator/stages/bron?formaat=csv")
    assert response.status_code == 303
    db.session.expire_all()
    versions = db.session.scalars(select(AgreementVersion)).all()
    assert len(versions) == 3 and all(v.bron_reported_at is not None for v in versions)

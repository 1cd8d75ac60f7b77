"""CSV imports of students and places: run as jobs, all or nothing, idempotent, and never a 500 for a
file that the csv module cannot read (issue #15: a 130 KiB cell, a half-written import)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from stagematch.csvutil import Column, read_csv
from stagematch.extensions import db
from stagematch.models import AuditEvent, Job, Placement, StudentProfile, User
from stagematch.models.enums import Role
from stagematch.timeutil import today

BIG = "x" * (130 * 1024)  # over Python's csv field limit of 128 KiB
STUDENT_HEADER = "studentnummer;naam;email;crebo;niveau;leerweg;woonplaats;geplande_start"


@pytest.fixture
def coordinator(make, auth):
    user = make.coordinator()
    auth.login(user)
    return user


def _upload(client, url: str, content: bytes, **kwargs):
    return client.post(url, data={"file": (io.BytesIO(content), "import.csv")},
                       content_type="multipart/form-data", **kwargs)  # fmt: skip


def _students(*rows: str) -> bytes:
    return ("\n".join([STUDENT_HEADER, *rows]) + "\n").encode()


def _student_row(n: int, **changes) -> str:
    values = {"number": f"{100000 + n}", "name": f"Student {n}", "email": f"s{n}@student.nl",
              "crebo": "25180", "level": "2", "leerweg": "BOL", "town": "Hengelo", "start": ""}  # fmt: skip
    values.update(changes)
    return ";".join(values.values())


def _import_students(client, content: bytes):
    return _upload(client, "/coordinator/studenten/importeren", content, follow_redirects=True)


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _student_count() -> int:
    return _count(User, User.role == Role.STUDENT)


def _job(kind: str) -> Job:
    db.session.expire_all()
    return db.session.scalar(select(Job).where(Job.kind == kind).order_by(Job.created_at.desc()))


# --- students --------------------------------------------------------------------------------


def test_student_import_runs_as_a_job_and_mails_the_accounts_it_created(
    client, coordinator, outbox
):
    response = _upload(
        client, "/coordinator/studenten/importeren", _students(_student_row(1), _student_row(2))
    )
    assert response.status_code == 302 and "/taken/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>2</strong> studenten toegevoegd" in page
    job = _job("student_import")
    assert job.status == "done" and job.owner_id == coordinator.id
    assert job.result["counts"] == {"added": 2, "existing": 0, "refused": 0}
    assert sorted(m["To"] for m in outbox()) == ["s1@student.nl", "s2@student.nl"]
    profile = db.session.scalar(
        select(StudentProfile).join(User).where(User.email == "s1@student.nl")
    )
    assert profile.student_number == "100001" and profile.city == "Hengelo"
    assert profile.school_id == coordinator.school_id and profile.qualification.crebo == "25180"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "student.import")
    ).all()
    assert len(events) == 2 and {e.actor_id for e in events} == {coordinator.id}


def test_imported_student_sets_a_password_through_the_invitation_only(
    client, coordinator, outbox, auth
):
    _import_students(client, _students(_student_row(1)))
    user = db.session.scalar(select(User).where(User.email == "s1@student.nl"))
    assert not user.check_password("")  # no usable password until they choose one
    link = next(line for line in outbox()[0].get_content().splitlines() if "/wachtwoord/" in line)
    path = link.strip().split("://", 1)[1].split("/", 1)[1]
    auth.logout()
    response = client.post(
        "/" + path, data={"password": "Zomer-Stage-2027!", "password2": "Zomer-Stage-2027!"}
    )
    assert response.status_code == 302 and "/inloggen" not in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("Zomer-Stage-2027!")
    # The link was for one use: the password changed, so it no longer works.
    client.post("/account/uitloggen")
    client.post(
        "/" + path, data={"password": "Ander-Wachtwoord-99", "password2": "Ander-Wachtwoord-99"}
    )
    db.session.expire_all()
    assert not db.session.get(User, user.id).check_password("Ander-Wachtwoord-99")


def test_a_student_file_with_bad_rows_writes_nothing_and_reports_every_bad_row(
    client, coordinator, outbox
):
    content = _students(
        _student_row(1),
        _student_row(2, crebo="99999"),
        _student_row(3),
        _student_row(4, town="Hengeloo"),
        _student_row(5, email="geen-adres"),
        _student_row(6, email="s1@student.nl"),  # twice in the file
    )
    page = _import_students(client, content).get_data(as_text=True)
    assert "Er is niets opgeslagen" in page
    for line, message in ((3, "crebo '99999' bestaat niet"), (5, "bedoel je Hengelo"),
                          (6, "niet geldig"), (7, "regel 2")):  # fmt: skip
        assert f"<td>{line}</td>" in page and message in page, (line, message)
    assert "<td>2</td>" not in page and "<td>4</td>" not in page  # good rows are not "refused"
    assert _student_count() == 0 and outbox() == []
    job = _job("student_import")
    assert job.result["counts"] == {"added": 0, "existing": 0, "refused": 4}
    assert not job.result["written"]


def test_importing_the_same_student_file_twice_creates_no_duplicates(client, coordinator, outbox):
    content = _students(*(_student_row(n) for n in range(1, 4)))
    _import_students(client, content)
    assert _student_count() == 3 and len(outbox()) == 3
    page = _import_students(client, content).get_data(as_text=True)
    assert "al geïmporteerd, niets veranderd" in page
    assert _student_count() == 3
    assert len(outbox()) == 3  # no second invitation
    assert _job("student_import").result["counts"] == {"added": 0, "existing": 3, "refused": 0}


def test_invitations_go_to_exactly_the_accounts_created(client, coordinator, outbox):
    _import_students(client, _students(_student_row(1)))
    assert [m["To"] for m in outbox()] == ["s1@student.nl"]
    _import_students(client, _students(_student_row(1), _student_row(2), _student_row(3)))
    # s1 had its invitation from the first import: one mail each, none twice.
    assert sorted(m["To"] for m in outbox()) == ["s1@student.nl", "s2@student.nl", "s3@student.nl"]
    assert _job("student_import").result["counts"] == {"added": 2, "existing": 1, "refused": 0}


def test_an_address_of_another_account_or_number_refuses_the_file(
    client, make, coordinator, outbox
):
    make.company_user().email = "bedrijf@voorbeeld.nl"
    other_school = make.student(school=make.school("Deltion College"), student_number="100002")
    other_school.email = "s2@student.nl"  # a student of another school
    make.student(student_number="100003")  # this school, another address
    db.session.commit()
    page = _import_students(
        client,
        _students(
            _student_row(1, email="bedrijf@voorbeeld.nl"),
            _student_row(2),
            _student_row(3),
            _student_row(4),
        ),
    ).get_data(as_text=True)
    assert "er is al een account met bedrijf@voorbeeld.nl" in page
    assert "er is al een account met s2@student.nl" in page
    assert "studentnummer 100003 staat al" in page
    assert _student_count() == 2 and outbox() == []  # the two made above, none new


def test_an_oversized_cell_in_a_student_file_is_a_refused_row_not_a_500(
    client, coordinator, outbox
):
    content = _students(*(_student_row(n) for n in range(1, 41)), _student_row(41, name=BIG))
    response = _import_students(client, content)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<td>42</td>" in page and "128 KB" in page
    assert _student_count() == 0 and outbox() == []


def test_six_hundred_students_import_through_the_job_with_six_hundred_mails(
    client, coordinator, outbox
):
    content = _students(*(_student_row(n) for n in range(1, 601)))
    response = _import_students(client, content)
    assert response.status_code == 200
    assert _student_count() == 600
    assert len(outbox()) == 600
    job = _job("student_import")
    assert job.status == "done" and job.done == job.total and job.result["mails"] == 600


def test_refused_rows_download_as_csv_for_their_owner_only(client, make, coordinator, auth):
    _import_students(client, _students(_student_row(1), _student_row(2, crebo="99999")))
    job = _job("student_import")
    response = client.get(f"/coordinator/studenten/importeren?fouten={job.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert "99999" in text and "bestaat niet" in text and "s1@student.nl" not in text
    auth.logout()
    auth.login(make.coordinator())
    assert client.get(f"/coordinator/studenten/importeren?fouten={job.id}").status_code == 404


def test_a_birth_date_column_is_read_checked_per_row_and_documented(client, coordinator, outbox):
    """Optional `geboortedatum`: without it a minor would sign the agreement without a guardian
    (issue 17)."""
    header = STUDENT_HEADER + ";geboortedatum"

    def rows(*lines: str) -> bytes:
        return ("\n".join([header, *lines]) + "\n").encode()

    future = (today() + timedelta(days=2)).strftime("%d-%m-%Y")
    bad = rows(_student_row(1) + ";12-03-2010", _student_row(2) + ";31-02-2009",
               _student_row(3) + ";" + future, _student_row(4) + ";1890-01-01",
               _student_row(5) + ";")  # fmt: skip
    page = _import_students(client, bad).get_data(as_text=True)
    assert "Er is niets opgeslagen" in page and _student_count() == 0
    for line, value in ((3, "31-02-2009"), (4, future), (5, "1890-01-01")):
        assert f"<td>{line}</td>" in page and f"geboortedatum '{value}'" in page, (line, page)
    assert "<td>2</td>" not in page and "<td>6</td>" not in page
    good = rows(_student_row(1) + ";12-03-2010", _student_row(2) + ";2009-11-30",
                _student_row(3) + ";")  # fmt: skip
    page = _import_students(client, good).get_data(as_text=True)
    assert "<strong>3</strong> studenten toegevoegd" in page
    db.session.expire_all()
    born = dict(db.session.execute(select(User.email, StudentProfile.birth_date).join(
        StudentProfile, StudentProfile.user_id == User.id)).all())  # fmt: skip
    assert born == {"s1@student.nl": date(2010, 3, 12), "s2@student.nl": date(2009, 11, 30),
                    "s3@student.nl": None}  # fmt: skip
    form = client.get("/coordinator/studenten/importeren").get_data(as_text=True)
    assert "geboortedatum" in form


def test_a_file_without_the_columns_comes_back_with_the_form(client, coordinator):
    response = _upload(client, "/coordinator/studenten/importeren", b"naam\nA\n")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "ontbreken" in page and "studentnummer" in page
    assert _count(Job) == 0


# --- places ----------------------------------------------------------------------------------

PLACE_HEADER = (
    "titel;leerweg;crebo;plaats;startdatum;weken;uren_per_week;vergoeding;plaatsen;meester;taken;"
    "publiceren;referentie"
)


def _place_row(
    company, n: int, *, tasks: str = "Je leert het vak van begin tot eind.", **changes
) -> str:
    values = {"title": f"Plek {n}", "leerweg": "BOL", "crebo": company.accreditations[0].qualification.crebo,
              "town": "Enschede", "start": (today() + timedelta(days=30)).isoformat(), "weeks": "20",
              "hours": "32", "pay": "250", "seats": "1", "meester": "Ans Meester", "tasks": tasks,
              "publish": "nee", "reference": ""}  # fmt: skip
    values.update(changes)
    return ";".join(values.values())


def _places(*rows: str) -> bytes:
    return ("\n".join([PLACE_HEADER, *rows]) + "\n").encode()


def _import_places(client, content: bytes):
    return _upload(client, "/leerbedrijf/plekken/importeren", content, follow_redirects=True)


def test_an_oversized_cell_in_a_place_file_writes_nothing(client, make, company_user):
    """Issue #15: 40 good rows and one cell over 128 KiB gave a 500 with 40 places written."""
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    db.session.commit()
    rows = [_place_row(company, n) for n in range(1, 41)] + [_place_row(company, 41, tasks=BIG)]
    response = _import_places(client, _places(*rows))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<td>42</td>" in page and "128 KB" in page and "Er is niets opgeslagen" in page
    assert _count(Placement) == 0


def test_importing_the_same_place_file_twice_creates_no_duplicates(client, make, company_user):
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    db.session.commit()
    content = _places(
        _place_row(company, 1, reference="KOK-1", publish="ja"),
        _place_row(company, 2),  # no reference: a key from its content
        _place_row(company, 3),
    )
    page = _import_places(client, content).get_data(as_text=True)
    assert "<strong>3</strong> plekken opgeslagen" in page, page
    assert _count(Placement) == 3
    place = db.session.scalar(select(Placement).where(Placement.reference == "KOK-1"))
    assert place.status == "open"
    page = _import_places(client, content).get_data(as_text=True)
    assert "bestaat al" in page
    assert _count(Placement) == 3
    assert _job("place_import").result["counts"] == {"added": 0, "existing": 3, "refused": 0}
    # Places made with the form (no reference) are recognised by their content too.
    export = client.get("/leerbedrijf/plekken/export.csv").get_data(as_text=True)
    assert "KOK-1" in export and "referentie" in export.splitlines()[0]


def test_a_place_that_cannot_be_published_refuses_the_whole_file(client, make, company_user):
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=2)
    db.session.commit()
    content = _places(
        _place_row(company, 1, publish="ja", seats="2"),
        _place_row(company, 2, publish="ja"),  # the meester has no room left for it
        _place_row(company, 3),
    )
    page = _import_places(client, content).get_data(as_text=True)
    assert "<td>3</td>" in page and "kan nog" in page and "Er is niets opgeslagen" in page
    assert _count(Placement) == 0


def test_duplicate_references_in_one_file_are_refused(client, make, company_user):
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    db.session.commit()
    page = _import_places(
        client,
        _places(_place_row(company, 1, reference="A"), _place_row(company, 2, reference="A")),
    ).get_data(as_text=True)
    assert "<td>3</td>" in page and "regel 2" in page
    assert _count(Placement) == 0


FULL_PLACE_HEADER = (
    "titel;leerweg;crebo;plaats;startdatum;weken;uren_per_week;dagen_per_week;vergoeding;"
    "loon_leeftijd;plaatsen;meester;taken;publiceren;referentie;zij_instromers;landelijk;"
    "reis_of_verblijfsvergoeding"
)


def _full_row(company, n: int, *, leerweg="BBL", wage_age="21", pay=None, switchers="ja",
              national="ja", allowance="150", reference="") -> str:  # fmt: skip
    import math

    from stagematch.wages import ADULT, minimum_wage

    start = today() + timedelta(days=30)
    if pay is None:
        pay = math.ceil(minimum_wage(ADULT, start).monthly(32)) if leerweg == "BBL" else 250
    values = [f"Plek {n}", leerweg, company.accreditations[0].qualification.crebo, "Enschede",
              start.isoformat(), "40", "32", "4" if leerweg == "BBL" else "", str(pay),
              wage_age if leerweg == "BBL" else "", "1", "Ans Meester",
              "Je leert het vak van begin tot eind.", "nee", reference, switchers, national,
              allowance]  # fmt: skip
    return ";".join(values)


def test_place_import_reads_zij_instromers_and_landelijk(client, make, company_user, auth):
    """Issue 18 audit gap 6: the new fields in, out and in again (another firm reads the export)."""
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    db.session.commit()
    content = ("\n".join([FULL_PLACE_HEADER,
                          _full_row(company, 1, reference="ZIJ-1"),
                          _full_row(company, 2, leerweg="BOL", switchers="", allowance="0",
                                    reference="LAND-1")]) + "\n").encode()  # fmt: skip
    page = _import_places(client, content).text
    assert "<strong>2</strong> plekken opgeslagen" in page, page
    switcher_place = db.session.scalar(select(Placement).where(Placement.reference == "ZIJ-1"))
    national_place = db.session.scalar(select(Placement).where(Placement.reference == "LAND-1"))
    assert switcher_place.for_switchers and switcher_place.national
    assert switcher_place.lodging_allowance == 150
    assert national_place.national and not national_place.for_switchers
    assert national_place.lodging_allowance == 0
    export = client.get("/leerbedrijf/plekken/export.csv").data
    header = export.decode("utf-8-sig").splitlines()[0].split(";")
    assert {"zij_instromers", "landelijk", "reis_of_verblijfsvergoeding"} <= set(header)
    # The export read in by another firm with a meester of the same name: the same places.
    other = make.company(qualifications=[company.accreditations[0].qualification])
    make.meester(other, name="Ans Meester", capacity=5)
    user = make.company_user(other)
    db.session.commit()
    auth.logout()
    auth.login(user)
    page = _import_places(client, export).text
    assert "<strong>2</strong> plekken opgeslagen" in page, page
    copy = db.session.scalar(
        select(Placement).where(Placement.company_id == other.id, Placement.reference == "ZIJ-1")
    )
    assert copy.for_switchers and copy.national and copy.lodging_allowance == 150
    # The import page documents the columns.
    form = client.get("/leerbedrijf/plekken/importeren").text
    assert "reis_of_verblijfsvergoeding" in form and "zij_instromers" in form


def test_a_switchers_place_below_the_adult_minimum_wage_is_refused_per_row(
    client, make, company_user
):
    import math

    from stagematch.wages import minimum_wage

    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    db.session.commit()
    youth = math.ceil(minimum_wage(18, today() + timedelta(days=30)).monthly(32))
    content = ("\n".join([FULL_PLACE_HEADER, _full_row(company, 1),
                          _full_row(company, 2, wage_age="18", pay=str(youth)),
                          _full_row(company, 3, leerweg="BOL", switchers="ja")]) + "\n").encode()  # fmt: skip
    page = _import_places(client, content).text
    assert "Er is niets opgeslagen" in page
    assert "<td>3</td>" in page and "minimumloon voor 21+-jarigen" in page
    assert "<td>4</td>" in page and "Alleen een BBL-plek" in page
    assert "<td>2</td>" not in page
    assert _count(Placement) == 0
    bad = ("\n".join([FULL_PLACE_HEADER, _full_row(company, 1, allowance="veel"),
                      _full_row(company, 2, switchers="misschien")]) + "\n").encode()  # fmt: skip
    page = _import_places(client, bad).text
    assert "<td>2</td>" in page and "<td>3</td>" in page and _count(Placement) == 0


# --- reading CSV -----------------------------------------------------------------------------

COLUMNS = [Column("naam", required=True, max_length=20), Column("plaats")]


@pytest.mark.parametrize(
    "raw",
    [
        b"naam;plaats\nJos\xe9;Enschede\n",  # cp1252
        "\ufeffNaam,Plaats\nJosé,Enschede\n".encode(),  # BOM, commas, capitals
        "naam\tplaats\r\nJosé\tEnschede\r\n".encode("utf-16"),  # Excel's "Unicode text"
        'NAAM ; "Plaats"\n"José";"Enschede"\n'.encode(),
    ],
)
def test_read_csv_decodes_and_sniffs(app, raw):
    result = read_csv(raw, COLUMNS)
    assert result.error is None and result.problems == []
    [row] = result.rows
    assert row.values == {"naam": "José", "plaats": "Enschede"} and row.line == 2


def test_read_csv_turns_unreadable_rows_into_problems(app):
    raw = f'naam;plaats\nA;B\n{BIG};C\nD\x00;E\n{"x" * 21};F\nG;"open\n'.encode()
    result = read_csv(raw, COLUMNS)
    assert [r.values["naam"] for r in result.rows] == ["A"]
    problems = {p.line: str(p.message) for p in result.problems}
    assert "128 KB" in problems[3]
    assert "NUL" in problems[4]
    assert "langer dan 20 tekens" in problems[5]
    assert "aanhalingsteken" in problems[6]


def test_read_csv_refuses_a_file_with_too_many_rows_or_no_columns(app):
    assert "ontbreken" in str(read_csv(b"plaats\nEnschede\n", COLUMNS).error)
    assert "3" in str(read_csv(b"naam\na\nb\nc\nd\n", COLUMNS, max_rows=3).error)
    assert read_csv(b"", COLUMNS).error is not None
    # A formula guard that our own export adds is taken off again.
    assert read_csv(b"naam\n'=SUM(A1)\n", COLUMNS).rows[0].values["naam"] == "=SUM(A1)"


def test_sbb_register_with_an_oversized_cell_is_refused_row_by_row(client, make, auth):
    from stagematch.models import Accreditation

    company = make.company()
    company.sbb_id = "100001"
    crebo = company.accreditations[0].qualification.crebo
    auth.login(make.admin())
    text = (f"leerbedrijf-ID;naam;plaats;crebo;geldig vanaf;geldig tot\n"
            f"100001;X;Enschede;{crebo};2020-01-01;\n100001;{BIG};Enschede;{crebo};2020-01-01;\n")  # fmt: skip
    response = _upload(client, "/beheer/sbb-register", text.encode())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<td>3</td>" in page and "128 KB" in page
    db.session.expire_all()
    assert db.session.get(Accreditation, company.accreditations[0].id).verification == "declared"


# --- house rule: services import no blueprint and no form --------------------------------------


def test_no_service_imports_a_blueprint_or_a_form():
    import ast
    from pathlib import Path

    blueprints = ("api", "auth", "companies", "coordinators", "main", "places", "students")
    offenders = []
    for path in sorted(Path("stagematch/services").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "stagematch" and (
                    (len(parts) > 1 and parts[1] in blueprints) or "forms" in parts
                ):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_saved_search_filters_are_read_without_a_request(app):
    from stagematch.services.alerts import filters_from_query

    filters = filters_from_query("crebo=25180+%E2%80%93+Kok&town=Enschede&radius=20&level=2&q=")
    assert filters.qualification.crebo == "25180" and filters.town.name == "Enschede"
    assert filters.radius_km == 20 and filters.level == 2
    for bad in ("radius=20", "town=Enschde", "crebo=99999", "level=7", "min_pay=%D9%A3",
                "start_from=31-02-2027", "leerweg=XYZ", "sector=Geen"):  # fmt: skip
        assert filters_from_query(bad) is None, bad


def test_a_quoted_cell_with_the_separator_and_quotes_is_stored_as_written(
    client, make, company_user
):
    """Issue #21: a CSV-quoted title with the separator inside and doubled quotes was stored
    wrongly. It is the title `Taart; met "quotes"`, and the export writes it back the same way."""
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    db.session.commit()
    row = _place_row(company, 1, title='"Taart; met ""quotes"""')
    page = _import_places(client, _places(row)).get_data(as_text=True)
    assert _count(Placement) == 1, page
    assert db.session.scalar(select(Placement.title)) == 'Taart; met "quotes"'
    export = client.get("/leerbedrijf/plekken/export.csv").get_data(as_text=True)
    assert '"Taart; met ""quotes"""' in export
    # Importing the export again finds the same place.
    assert "bestaat al" in _import_places(client, export.encode()).get_data(as_text=True)
    assert _count(Placement) == 1

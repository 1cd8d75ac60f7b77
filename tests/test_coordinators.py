"""School coordinators: statuses, students without a place, meesters over capacity, flags, visits,
import and export; and that a coordinator sees only their own school."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import (
    Application,
    DiscriminationReport,
    Evaluation,
    Flag,
    Internship,
    School,
    StudentProfile,
    User,
)
from stagematch.models.enums import ApplicationStatus
from stagematch.services import applications as application_service
from stagematch.services.coordinators import StudentFilters, status_counts, students_statement
from stagematch.services.flags import refresh_flags
from stagematch.timeutil import today, utcnow


@pytest.fixture
def coordinator(make, auth):
    user = make.coordinator()
    auth.login(user)
    return user


def _running(make, *, student=None, start_offset=-50, meester=None, company=None, **fields):
    """A running internship (accepted through the service) for a student of ROC van Twente."""
    company = company or make.company()
    meester = meester or make.meester(company, capacity=5)
    place = make.placement(company, meester, start_date=today() + timedelta(days=30), seats=1)
    student = student or make.student(skills="koken")
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date = today() + timedelta(days=start_offset)
    internship.end_date = internship.start_date + timedelta(weeks=20)
    for key, value in fields.items():
        setattr(internship, key, value)
    middle = internship.start_date + timedelta(weeks=10)
    for evaluation in internship.evaluations:
        evaluation.due_date = middle if evaluation.moment == "midterm" else internship.end_date
    db.session.commit()
    return internship


# --- statuses --------------------------------------------------------------------------------


def test_every_status_is_computed(make, coordinator):
    school = coordinator.school
    make.student(town=None)  # no_profile (no town)
    profile_less = make.student()
    profile_less.profile.skills = ""  # no_profile (no skills)
    make.student(skills="kassa")  # searching
    applied = make.student(skills="kassa")
    company = make.company()
    place = make.placement(company, make.meester(company, capacity=9), seats=9)
    db.session.add(Application(student=applied.profile, placement=place))
    _running(make, start_offset=10)  # placed (starts later)
    _running(make, start_offset=-10)  # active
    done = _running(make)
    application_service.end_internship(done, outcome="success", terminated=False)
    stopped = _running(make)
    application_service.end_internship(stopped, outcome="dropped_out", terminated=True)
    db.session.commit()
    counts = status_counts(school)
    assert counts == {"no_profile": 2, "searching": 1, "applied": 1, "placed": 1, "active": 1,
                      "completed": 1, "terminated": 1}  # fmt: skip
    rows = db.session.execute(students_statement(school, StudentFilters(status="applied"))).all()
    assert [r.id for r in rows] == [applied.profile.id]


def test_student_list_filters_paginates_and_exports(client, make, coordinator):
    for n in range(60):  # 50 a page
        make.student(skills="x", name=f"Student {n:02d}", leerweg="BBL" if n % 3 == 0 else "BOL")
    other_school = db.session.scalar(select(School).where(School.name == "Deltion College"))
    make.student(school=other_school, name="Niet van mij")
    db.session.commit()
    page = client.get("/coordinator/studenten").get_data(as_text=True)
    assert "60 studenten" in page and "Pagina 1 van 2" in page and "Niet van mij" not in page
    bbl = client.get("/coordinator/studenten?leerweg=BBL").get_data(as_text=True)
    assert "20 studenten" in bbl
    csv_text = client.get("/coordinator/studenten?leerweg=BBL&formaat=csv").get_data(as_text=True)
    assert csv_text.count("\r\n") == 21 and "Niet van mij" not in csv_text
    assert client.get("/coordinator/studenten?page=-3&level=9").status_code == 200


def test_students_without_a_place_before_their_planned_start(client, make, coordinator):
    soon = make.student(name="Binnenkort Zonder", planned_start=today() + timedelta(weeks=3))
    make.student(name="Later Zonder", planned_start=today() + timedelta(weeks=12))
    placed = make.student(name="Binnenkort Met", planned_start=today() + timedelta(weeks=3))
    _running(make, student=placed)
    page = client.get("/coordinator/zonder-plek?weken=6").get_data(as_text=True)
    assert (
        "Binnenkort Zonder" in page and "Later Zonder" not in page and "Binnenkort Met" not in page
    )
    wide = client.get("/coordinator/zonder-plek?weken=20").get_data(as_text=True)
    assert "Later Zonder" in wide
    csv_text = client.get("/coordinator/zonder-plek?weken=6&formaat=csv").get_data(as_text=True)
    assert soon.email in csv_text


def test_meesters_over_capacity_are_found_and_exported(client, make, coordinator):
    company = make.company(name="Drukke Garage")
    meester = make.meester(company, name="Henk Overvol", capacity=3)
    _running(make, company=company, meester=meester)
    _running(make, company=company, meester=meester)
    meester.capacity = 1  # lowered after the fact
    db.session.commit()
    page = client.get("/coordinator/meesters-over-capaciteit").get_data(as_text=True)
    assert "Henk Overvol" in page and "Drukke Garage" in page
    assert "Henk Overvol" in client.get(
        "/coordinator/meesters-over-capaciteit?formaat=csv"
    ).get_data(as_text=True)
    assert "Henk Overvol" in client.get("/coordinator/").get_data(as_text=True)


# --- flags -----------------------------------------------------------------------------------


def test_each_kind_of_flag_is_raised(make, coordinator):
    school = coordinator.school
    # over capacity
    company = make.company()
    meester = make.meester(company, capacity=2)
    _running(make, company=company, meester=meester)
    _running(make, company=company, meester=meester)
    meester.capacity = 1
    # low rating and mostly routine, from a submitted student evaluation
    rated = _running(make, last_contact_at=utcnow())
    evaluation = next(
        e for e in rated.evaluations if e.author_role == "student" and e.moment == "midterm"
    )
    evaluation.submitted_at = utcnow()
    evaluation.supervision_time, evaluation.overall, evaluation.mostly_routine = 2, 3, True
    # overdue evaluation and no contact for 6 weeks: a running internship that started 12 weeks ago
    quiet = _running(make, start_offset=-84, last_contact_at=utcnow() - timedelta(weeks=8))
    # accreditation expiring
    expiring = _running(make, last_contact_at=utcnow())
    expiring.placement.company.accreditations[0].valid_to = today() + timedelta(days=20)
    # discrimination report
    student = make.student()
    db.session.add(DiscriminationReport(company_id=company.id, school_id=school.id, student_id=student.profile.id,
                                        description="Ze wilden geen hoofddoek."))  # fmt: skip
    db.session.commit()
    refresh_flags(school)
    kinds = {f.kind for f in db.session.scalars(select(Flag).where(Flag.school_id == school.id))}
    # These placements started weeks ago with no meetings planned and their agreements unsigned
    # (issue 17), which are flags of their own.
    assert kinds == {"over_capacity", "low_supervision", "mostly_routine", "evaluation_overdue", "no_contact",
                     "accreditation", "discrimination", "meeting_missed", "agreement_unsigned"}  # fmt: skip
    no_contact = db.session.scalars(select(Flag).where(Flag.kind == "no_contact")).all()
    assert quiet.id in {f.internship_id for f in no_contact}
    for flag in no_contact:  # each message names the student of its own internship
        assert db.session.get(Internship, flag.internship_id).student.user.name in flag.message


def test_flag_is_resolved_with_a_note_and_stays_in_history(client, make, coordinator):
    _running(make, start_offset=-84)  # evaluation overdue + no contact
    page = client.get("/coordinator/signalen").get_data(as_text=True)
    flag = db.session.scalar(select(Flag).where(Flag.kind == "evaluation_overdue"))
    assert flag.message in page
    client.post(f"/coordinator/signalen/{flag.id}/afhandelen", data={"note": ""})
    db.session.refresh(flag)
    assert flag.resolved_at is None
    client.post(
        f"/coordinator/signalen/{flag.id}/afhandelen",
        data={"note": "Student gebeld, evaluatie volgt."},
    )
    db.session.refresh(flag)
    assert flag.resolved_at is not None and flag.resolved_by_id == coordinator.id
    assert flag.message not in client.get("/coordinator/signalen").get_data(as_text=True)
    history = client.get("/coordinator/signalen?toon=afgehandeld").get_data(as_text=True)
    assert "Student gebeld, evaluatie volgt." in history
    refresh_flags(coordinator.school)  # the same problem is not raised again
    same = db.session.scalars(
        select(Flag).where(Flag.subject_key == flag.subject_key, Flag.kind == flag.kind)
    ).all()
    assert same == [flag] and flag.resolved_at is not None


def test_resolving_a_discrimination_flag_marks_the_report_handled(make, coordinator, client):
    company = make.company()
    student = make.student()
    report = DiscriminationReport(company_id=company.id, school_id=coordinator.school_id,
                                  student_id=student.profile.id, description="Afgewezen om mijn naam.")  # fmt: skip
    db.session.add(report)
    db.session.commit()
    refresh_flags(coordinator.school)
    flag = db.session.scalar(select(Flag).where(Flag.kind == "discrimination"))
    client.post(
        f"/coordinator/signalen/{flag.id}/afhandelen", data={"note": "Gesprek met bedrijf gevoerd."}
    )
    db.session.refresh(report)
    assert report.handled_at is not None and report.handled_note == "Gesprek met bedrijf gevoerd."


# --- internships, visits, ratings privacy ----------------------------------------------------


def test_visit_note_counts_as_contact(client, make, coordinator):
    internship = _running(make, start_offset=-84)
    future = client.post(f"/coordinator/stages/{internship.id}",
                         data={"visited_on": (today() + timedelta(days=3)).isoformat(), "note": "Gepland bezoek"})  # fmt: skip
    assert future.status_code == 422 and "in de toekomst" in future.get_data(as_text=True)
    ok = client.post(f"/coordinator/stages/{internship.id}", data={"visited_on": today().isoformat(),
                                                                   "note": "Goed gesprek op de werkvloer."})  # fmt: skip
    assert ok.status_code == 302
    db.session.refresh(internship)
    assert internship.last_contact_at.date() == today()
    assert "Goed gesprek op de werkvloer." in client.get(
        f"/coordinator/stages/{internship.id}"
    ).get_data(as_text=True)


def test_a_coordinator_sees_only_their_own_school(client, make, coordinator):
    other_school = db.session.scalar(select(School).where(School.name == "Deltion College"))
    other = make.student(school=other_school)
    internship = _running(make, student=other)
    db.session.commit()
    refresh_flags(other_school)
    flag = db.session.scalar(select(Flag).where(Flag.school_id == other_school.id))
    assert client.get(f"/coordinator/studenten/{other.profile.id}").status_code == 403
    assert client.get(f"/coordinator/stages/{internship.id}").status_code == 403
    if flag is not None:
        assert (
            client.post(
                f"/coordinator/signalen/{flag.id}/afhandelen", data={"note": "niet van mij"}
            ).status_code
            == 403
        )
    assert other.name not in client.get("/coordinator/stages").get_data(as_text=True)


def test_a_company_never_sees_individual_ratings(client, auth, make):
    company = make.company()
    company_user = make.company_user(company)
    internship = _running(make, company=company)
    evaluation = next(e for e in internship.evaluations if e.author_role == "student")
    evaluation.submitted_at = utcnow()
    evaluation.supervision_time, evaluation.comment = 1, "Mijn meester had nooit tijd voor mij"
    db.session.commit()
    auth.login(company_user)
    for url in ("/leerbedrijf/", f"/leerbedrijf/plekken/{internship.placement_id}", "/leerbedrijf/begeleiders",
                f"/plekken/{internship.placement_id}", "/leerbedrijf/sollicitaties?status=all"):  # fmt: skip
        page = client.get(url).get_data(as_text=True)
        assert "nooit tijd" not in page, url
        assert "Gemiddelden van" not in page, url  # one student: no averages either


# --- import ----------------------------------------------------------------------------------


def test_import_students_reports_per_row_and_invites(client, coordinator, outbox):
    good = (
        "studentnummer;naam;email;crebo;niveau;leerweg;woonplaats;geplande_start\n"
        "100001;Lotte Jansen;lotte@student.nl;25180;2;BOL;Hengelo;2027-02-01\n"
        "100002;Sem de Boer;sem@student.nl;25491;3;BBL;Almelo;01-02-2027\n"
    )
    bad = (
        "100003;Fout Crebo;fout@student.nl;99999;2;BOL;Hengelo;\n"
        "100004;Fout Plaats;plaats@student.nl;25180;2;BOL;Hengeloo;\n"
        "100005;Fout Niveau;niveau@student.nl;25180;4;BOL;;\n"
        "100006;Dubbel;lotte@student.nl;25180;2;BOL;;\n"
        "100001;Zelfde nummer;ander@student.nl;25180;2;BOL;;\n"
        "100008;Geen mail;geen-adres;25180;2;BOL;;\n"
    )
    # One bad row and nothing is written; the report names every bad row.
    response = client.post("/coordinator/studenten/importeren", data={"file": (io.BytesIO((good + bad).encode()), "s.csv")},
                           content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    page = response.get_data(as_text=True)
    assert "Er is niets opgeslagen: 6 regels hebben een fout" in page
    for message in ("crebo '99999' bestaat niet", "bedoel je Hengelo", "niveau 4 past niet",
                    "lotte@student.nl staat ook op regel 2", "studentnummer 100001 staat ook op regel 2",
                    "niet geldig"):  # fmt: skip
        assert message in page, message
    assert db.session.scalars(select(User.name).where(User.role == "student")).all() == []
    assert outbox() == []
    response = client.post("/coordinator/studenten/importeren", data={"file": (io.BytesIO(good.encode()), "s.csv")},
                           content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert "<strong>2</strong> studenten toegevoegd" in response.get_data(as_text=True)
    names = set(db.session.scalars(select(User.name).where(User.role == "student")))
    assert names == {"Lotte Jansen", "Sem de Boer"}
    sem = db.session.scalar(select(StudentProfile).join(User).where(User.name == "Sem de Boer"))
    assert sem.leerweg == "BBL" and sem.city == "Almelo" and sem.planned_start.month == 2
    assert sorted(m["To"] for m in outbox()) == ["lotte@student.nl", "sem@student.nl"]
    link = next(
        line for line in outbox()[0].get_content().splitlines() if "/account/wachtwoord/" in line
    )
    assert link.strip().startswith("http")


def test_import_without_required_columns(client, coordinator):
    response = client.post("/coordinator/studenten/importeren", data={"file": (io.BytesIO(b"naam\nA\n"), "s.csv")},
                           content_type="multipart/form-data")  # fmt: skip
    assert "ontbreken" in response.get_data(as_text=True)


def test_dashboard_charts_come_with_tables(client, make, coordinator):
    done = _running(make)
    evaluation = next(e for e in done.evaluations if e.author_role == "student")
    for _ in range(1):
        evaluation.submitted_at, evaluation.overall = utcnow(), 4
    db.session.commit()
    page = client.get("/coordinator/").get_data(as_text=True)
    # Placement rate and SQI distribution are drawn; the rating trend needs 3 evaluations a quarter.
    assert page.count("<svg") == 2 and page.count("Als tabel") == 2
    assert "Nog geen gegevens" in page
    assert "<script" not in page


def test_company_accept_shows_up_for_the_coordinator(client, auth, make, coordinator):
    student = make.student(name="Nieuw Geplaatst", skills="x")
    company = make.company()
    place = make.placement(company, make.meester(company))
    application = Application(
        student=student.profile, placement=place, status=ApplicationStatus.SHORTLISTED
    )
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    page = client.get("/coordinator/stages").get_data(as_text=True)
    assert "Nieuw Geplaatst" in page
    assert (
        len(
            db.session.scalars(
                select(Evaluation).where(Evaluation.internship_id == internship.id)
            ).all()
        )
        == 4
    )
    assert db.session.get(Internship, internship.id).school_id == coordinator.school_id

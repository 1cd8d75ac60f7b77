"""AVG: export, deletion by anonymisation that keeps others' records right, retention, audit log."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import (
    Application,
    AuditEvent,
    DiscriminationReport,
    Evaluation,
    Internship,
    User,
)
from stagematch.services.privacy import run_retention
from stagematch.services.students import store_cv
from stagematch.services.supervision import rating_averages
from stagematch.timeutil import today, utcnow
from tests.conftest import PASSWORD


def _student_with_history(make):
    student = make.student(name="Noor Bakker", skills="kassa", motivation="Ik wil graag leren.",
                           accessibility_needs="Rustige plek")  # fmt: skip
    company = make.company()
    place = make.placement(company, make.meester(company))
    application = Application(student=student.profile, placement=place, motivation="Mijn motivatie")
    db.session.add(application)
    db.session.flush()
    internship = Internship(application=application, student_id=student.profile.id, placement=place,
                            school_id=student.profile.school_id, meester_id=place.meester_id,
                            start_date=today() - timedelta(days=400), end_date=today() - timedelta(days=300),
                            status="completed", outcome="success")  # fmt: skip
    db.session.add(internship)
    db.session.flush()
    db.session.add(Evaluation(internship_id=internship.id, author_role="student", moment="final", due_date=today(),
                              submitted_at=utcnow(), supervision_time=4, feedback=4, learning_tasks=4, safety=5,
                              overall=4, comment="Mijn meester Jan was top"))  # fmt: skip
    db.session.add(DiscriminationReport(application_id=application.id, company_id=company.id,
                                        school_id=student.profile.school_id, student_id=student.profile.id,
                                        description="Vervelende opmerking"))  # fmt: skip
    store_cv(student.profile, io.BytesIO(b"%PDF-1.4 mijn cv"))
    db.session.commit()
    return student, internship


def test_student_downloads_all_their_data(client, auth, make):
    student, _ = _student_with_history(make)
    coordinator = make.coordinator(school=student.profile.school)
    auth.login(coordinator)
    client.get(f"/coordinator/studenten/{student.profile.id}")
    auth.logout()
    auth.login(student)
    response = client.get("/student/mijn-gegevens.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert set(archive.namelist()) == {"data.json", "cv.pdf"}
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == student.email
    assert data["profile"]["accessibility_needs"] == "Rustige plek"
    assert data["applications"][0]["motivation"] == "Mijn motivatie"
    assert data["internships"][0]["evaluations"][0]["comment"] == "Mijn meester Jan was top"
    assert data["discrimination_reports"][0]["description"] == "Vervelende opmerking"
    assert any(
        coordinator.email in e["who"] and e["what"] == "student.view" for e in data["who_looked"]
    )
    assert archive.read("cv.pdf") == b"%PDF-1.4 mijn cv"


def test_delete_account_erases_personal_data_but_keeps_the_statistics(app, client, auth, make):
    student, internship = _student_with_history(make)
    meester_id = internship.meester_id
    before = rating_averages([meester_id])[meester_id]
    cv_path = app.instance_path + "/cv/" + student.profile.cv_filename
    auth.login(student)
    wrong = client.post("/student/privacy", data={"password": "fout", "confirm": "y"})
    assert wrong.status_code == 422 and "klopt niet" in wrong.get_data(as_text=True)
    assert (
        client.post("/student/privacy", data={"password": PASSWORD, "confirm": "y"}).status_code
        == 302
    )
    user = db.session.get(User, student.id)
    profile = user.profile
    assert (
        user.name == "Verwijderd account"
        and "noor" not in user.email.lower()
        and not user.is_active
    )
    assert (
        profile.city is None
        and profile.motivation == ""
        and profile.accessibility_needs == ""
        and profile.cv_filename is None
    )
    assert not __import__("os").path.exists(cv_path)
    application = db.session.scalar(select(Application))
    assert application.motivation == "" and application.status == "submitted"
    evaluation = db.session.scalar(select(Evaluation))
    assert (
        evaluation.comment == "" and evaluation.supervision_time == 4
    )  # kept for the meester's averages
    assert db.session.scalar(select(DiscriminationReport)).student_id is None
    assert rating_averages([meester_id])[meester_id] == before
    labels = {
        e.actor_label
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == student.id))
    }
    assert all("@" not in label for label in labels)
    assert auth.login(student).status_code == 200  # can no longer log in


def test_retention_anonymises_students_who_left(make, runner):
    old, internship = _student_with_history(make)
    old.last_login_at = utcnow() - timedelta(days=800)
    internship.start_date, internship.end_date = (
        today() - timedelta(days=900),
        today() - timedelta(days=800),
    )
    recent = make.student(name="Nog Actief")
    recent.last_login_at = utcnow() - timedelta(days=10)
    never = make.student(name="Nooit Ingelogd")
    never.created_at = utcnow() - timedelta(days=900)
    db.session.commit()
    assert "2 studenten zouden" in runner.invoke(args=["retention", "--dry-run"]).output
    assert run_retention(24) == 2
    names = set(db.session.scalars(select(User.name).where(User.role == "student")))
    assert names == {"Nog Actief", "Verwijderd account"}
    assert run_retention(24) == 0  # already anonymised


def test_admin_searches_the_audit_log(client, auth, make):
    student, _ = _student_with_history(make)
    company_user = make.company_user(db.session.scalar(select(Application)).placement.company)
    application = db.session.scalar(select(Application))
    auth.login(company_user)
    client.get(f"/leerbedrijf/sollicitaties/{application.id}")
    auth.logout()
    auth.login(make.admin())
    page = client.get("/beheer/logboek?actie=student.view").get_data(as_text=True)
    assert company_user.email in page and "studentprofile" in page
    assert "Niets gevonden" in client.get("/beheer/logboek?actie=bestaat.niet").get_data(
        as_text=True
    )


def test_privacy_page_is_plain_and_public(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "Wat we bewaren en waarom" in page and "24 maanden" in page


def _everything_else(make, student):
    """What #21 added about a student: a favourite, a notification (and its mail in the mail
    log), and a coordinator's answer to their report."""
    from stagematch.models import Flag, FlagAction, MailLog, SavedPlace
    from stagematch.services import favourites, notifications
    from stagematch.services.flags import refresh_flags

    company = make.company(name="Bakkerij Zoet")
    place = make.placement(company, make.meester(company), title="Bakker")
    favourites.save(student=student.profile, placement=place)
    notifications.notify(student, "application_shortlisted", "test:1",
                         notifications.Phrase("Je bent uitgenodigd"), "/student/sollicitaties")  # fmt: skip
    report = db.session.scalar(select(DiscriminationReport))
    refresh_flags(student.profile.school)  # the report becomes a case
    flag = db.session.scalar(select(Flag).where(Flag.report_id == report.id))
    coordinator = make.coordinator(school=student.profile.school)
    db.session.add(FlagAction(flag_id=flag.id, actor_id=coordinator.id, kind="message",
                              note="We hebben het bedrijf gebeld.", to_student=True))  # fmt: skip
    db.session.commit()
    assert db.session.scalar(select(SavedPlace)) is not None
    assert any(student.email in row.recipients for row in db.session.scalars(select(MailLog)))


def test_the_export_holds_favourites_notifications_and_the_coordinators_answers(client, auth, make):
    student, _ = _student_with_history(make)
    _everything_else(make, student)
    auth.login(student)
    data = json.loads(
        zipfile.ZipFile(io.BytesIO(client.get("/student/mijn-gegevens.zip").data)).read("data.json")
    )
    assert [f["place"] for f in data["favourites"]] == ["Bakker"]
    assert data["notifications"][0]["text"] == "Je bent uitgenodigd"
    assert (
        data["discrimination_reports"][0]["answers"][0]["text"] == "We hebben het bedrijf gebeld."
    )


def test_deleting_the_account_removes_favourites_notifications_and_the_address_in_the_mail_log(
    client, auth, make
):
    from stagematch.models import MailLog, Notification, SavedPlace

    student, _ = _student_with_history(make)
    _everything_else(make, student)
    email = student.email
    auth.login(student)
    client.post("/student/privacy", data={"password": PASSWORD, "confirm": "y"})
    assert db.session.scalar(select(SavedPlace)) is None
    assert db.session.scalar(select(Notification)) is None
    assert all(email not in row.recipients for row in db.session.scalars(select(MailLog)))

"""Evaluations during the internship: the student about the supervision, the meester about the
learner; reminders when due; what the company may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application, Evaluation
from stagematch.services import applications as application_service
from stagematch.timeutil import today


@pytest.fixture
def internship(make):
    company = make.company()
    make.company_user(company)
    place = make.placement(company, make.meester(company, email="meester@bedrijf.nl"))
    student = make.student()
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date = today() - timedelta(days=70)
    internship.end_date = today() + timedelta(days=70)
    for e in internship.evaluations:
        e.due_date = today() + timedelta(days=3) if e.moment == "midterm" else internship.end_date
    db.session.commit()
    return internship


def _evaluation(internship, author, moment="midterm"):
    return next(e for e in internship.evaluations if e.author_role == author and e.moment == moment)


def test_student_fills_in_the_midterm_evaluation(client, auth, internship):
    auth.login(internship.student.user)
    evaluation = _evaluation(internship, "student")
    home = client.get("/student/").get_data(as_text=True)
    assert "Tussenevaluatie invullen" in home
    incomplete = client.post(f"/student/evaluaties/{evaluation.id}", data={"supervision_time": "4"})
    assert incomplete.status_code == 422 and "Kies een cijfer van 1 tot 5" in incomplete.get_data(
        as_text=True
    )
    data = {"supervision_time": "2", "feedback": "3", "learning_tasks": "1", "safety": "5", "overall": "3",
            "mostly_routine": "y", "comment": "Ik veeg vooral de vloer."}  # fmt: skip
    assert client.post(f"/student/evaluaties/{evaluation.id}", data=data).status_code == 302
    db.session.refresh(evaluation)
    assert evaluation.submitted_at and evaluation.mostly_routine and evaluation.learning_tasks == 1
    again = client.post(f"/student/evaluaties/{evaluation.id}", data=data, follow_redirects=True)
    assert "al ingevuld" in again.get_data(as_text=True)
    final = _evaluation(internship, "student", "final")
    early = client.post(f"/student/evaluaties/{final.id}", data=data, follow_redirects=True)
    assert "Deze evaluatie kan vanaf" in early.get_data(as_text=True)


def test_out_of_range_rating_is_refused(client, auth, internship):
    auth.login(internship.student.user)
    evaluation = _evaluation(internship, "student")
    data = {
        "supervision_time": "9",
        "feedback": "3",
        "learning_tasks": "1",
        "safety": "5",
        "overall": "3",
    }
    assert client.post(f"/student/evaluaties/{evaluation.id}", data=data).status_code == 422
    db.session.refresh(evaluation)
    assert evaluation.submitted_at is None


def test_company_fills_in_the_meester_evaluation(client, auth, internship):
    company_user = internship.placement.company.users.select()
    user = db.session.scalars(company_user).first()
    auth.login(user)
    evaluation = _evaluation(internship, "meester")
    assert "leerlingen beoordelen" in client.get("/leerbedrijf/").get_data(as_text=True)
    response = client.post(f"/leerbedrijf/evaluaties/{evaluation.id}",
                           data={"progress": "4", "attitude": "5", "comment": "Leert snel."})  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(evaluation)
    assert (evaluation.progress, evaluation.attitude) == (4, 5)
    # The company cannot open the student's own evaluation.
    assert (
        client.get(f"/leerbedrijf/evaluaties/{_evaluation(internship, 'student').id}").status_code
        == 403
    )


def test_others_cannot_fill_in_someone_elses_evaluation(client, auth, make, internship):
    auth.login(make.student())
    assert (
        client.get(f"/student/evaluaties/{_evaluation(internship, 'student').id}").status_code
        == 403
    )
    auth.logout()
    auth.login(make.company_user())
    assert (
        client.get(f"/leerbedrijf/evaluaties/{_evaluation(internship, 'meester').id}").status_code
        == 403
    )


def test_reminders_go_to_student_company_and_meester_once_a_week(runner, internship, outbox):
    result = runner.invoke(args=["send-reminders"])
    assert "2 herinneringen verstuurd" in result.output
    recipients = sorted(r for m in outbox() for r in m["To"].split(", "))
    company_email = db.session.scalars(internship.placement.company.users.select()).first().email
    assert recipients == sorted(
        [internship.student.user.email, company_email, "meester@bedrijf.nl"]
    )
    assert "0 herinneringen verstuurd" in runner.invoke(args=["send-reminders"]).output
    submitted = db.session.scalars(
        select(Evaluation).where(Evaluation.reminded_at.is_not(None))
    ).all()
    assert len(submitted) == 2

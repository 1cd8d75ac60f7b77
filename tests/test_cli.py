from collections import Counter

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import (
    Company,
    Evaluation,
    Internship,
    Mentor,
    Placement,
    StudentProfile,
    User,
)
from stagematch.models.enums import InternshipOutcome, PlacementStatus


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _run_demo(runner, *args):
    return runner.invoke(
        args=["demo", "--students", "300", "--companies", "60", "--seed", "7", *args]
    )


def test_demo_fills_an_empty_database_and_prints_logins(runner):
    result = _run_demo(runner)
    assert result.exit_code == 0, result.output
    assert _count(StudentProfile) == 300
    assert _count(Company) == 60
    assert _count(Placement) >= 96  # 1.6 per company open or draft, plus earlier (filled) places
    assert "student1@demo.stagematch.nl" in result.output
    assert "stagematch-demo" in result.output
    # The printed logins work.
    user = db.session.scalar(select(User).where(User.email == "student1@demo.stagematch.nl"))
    assert user.check_password("stagematch-demo")


def test_demo_refuses_a_database_that_is_not_empty(runner):
    assert _run_demo(runner).exit_code == 0
    again = _run_demo(runner)
    assert again.exit_code != 0
    assert "niet leeg" in again.output


def _fingerprint():
    return (
        [tuple(r) for r in db.session.execute(select(User.email, User.name).order_by(User.id))],
        [
            tuple(r)
            for r in db.session.execute(
                select(Placement.title, Placement.city, Placement.pay_per_month).order_by(
                    Placement.id
                )
            )
        ],
        [tuple(r) for r in db.session.execute(select(Internship.outcome).order_by(Internship.id))],
    )


def test_demo_is_deterministic_with_a_seed(runner, app):
    from tests.conftest import REFERENCE_TABLES

    assert _run_demo(runner).exit_code == 0
    first = _fingerprint()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            db.session.execute(table.delete())
    db.session.commit()
    assert _run_demo(runner).exit_code == 0
    assert _fingerprint() == first


def test_demo_data_has_the_shape_of_the_domain(runner):
    assert (
        runner.invoke(
            args=["demo", "--students", "1500", "--companies", "200", "--seed", "3"]
        ).exit_code
        == 0
    )
    levels = Counter(db.session.scalars(select(StudentProfile.level)))
    assert levels[4] > levels[3] > levels[2] > levels[1] > 0  # 55/25/17/3 %
    # Meesters and gezellen, with gezellen linked to a meester of the same company.
    gezellen = db.session.scalars(select(Mentor).where(Mentor.role == "gezel")).all()
    assert gezellen and all(g.meester.company_id == g.company_id for g in gezellen)
    # Open places never ask more of a meester than his capacity.
    load = Counter()
    for place in db.session.scalars(
        select(Placement).where(Placement.status == PlacementStatus.OPEN)
    ):
        load[place.meester_id] += place.seats
    for meester_id, seats in load.items():
        assert seats <= db.session.get(Mentor, meester_id).capacity
    # A history of finished internships with evaluations and varied outcomes.
    outcomes = Counter(
        db.session.scalars(select(Internship.outcome).where(Internship.outcome.is_not(None)))
    )
    assert (
        outcomes[InternshipOutcome.SUCCESS] > 0
        and sum(outcomes.values()) > outcomes[InternshipOutcome.SUCCESS]
    )
    assert _count(Evaluation) > 0
    # Student 1 is set up to find places nearby.
    first = db.session.scalar(
        select(User).where(User.email == "student1@demo.stagematch.nl")
    ).profile
    assert first.city and first.skills and first.max_travel_km == 25


def test_create_user_makes_a_coordinator_for_a_school(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "coordinator",
            "--email",
            "c@roc.nl",
            "--name",
            "Carla",
            "--school",
            "ROC van Twente",
            "--password",
            "geheim-1234",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "c@roc.nl"))
    assert user.role == "coordinator" and user.school.name == "ROC van Twente"
    assert user.check_password("geheim-1234")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "coordinator", "--email", "c@roc.nl", "--name", "C"], "hoort bij een school"),
        (
            ["--role", "coordinator", "--email", "c@roc.nl", "--name", "C", "--school", "Nergens"],
            "Onbekende school",
        ),
        (["--role", "student", "--email", "c@roc.nl", "--name", "C"], "Invalid value"),
    ],
)
def test_create_user_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=["create-user", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert _count(User) == 0


def test_create_user_generates_a_password_when_none_given(runner):
    result = runner.invoke(
        args=["create-user", "--role", "admin", "--email", "a@sm.nl", "--name", "A"]
    )
    assert result.exit_code == 0
    password = result.output.split("Wachtwoord: ")[1].strip()
    assert db.session.scalar(select(User)).check_password(password)


def test_load_reference_is_idempotent(runner):
    result = runner.invoke(args=["load-reference"])
    assert result.exit_code == 0
    assert "0 kwalificaties en 0 scholen" in result.output

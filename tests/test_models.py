"""Database constraints back the invariants (on SQLite and PostgreSQL alike)."""

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from stagematch.extensions import db
from stagematch.models import Accreditation, Application, Company, Mentor, User
from stagematch.models.enums import MentorRole, Role
from stagematch.timeutil import age_on, today


def _fails(make_invalid):
    with pytest.raises(IntegrityError):
        make_invalid()
        db.session.flush()
    db.session.rollback()


def test_company_user_needs_a_company_and_coordinator_a_school(make):
    _fails(
        lambda: db.session.add(User(email="a@b.nl", name="A", role=Role.COMPANY, password_hash="x"))
    )
    _fails(
        lambda: db.session.add(
            User(email="c@b.nl", name="C", role=Role.COORDINATOR, password_hash="x")
        )
    )
    _fails(lambda: db.session.add(User(email="d@b.nl", name="D", role="hacker", password_hash="x")))


def test_email_is_unique(make):
    make.user(Role.ADMIN, email="x@y.nl")
    _fails(lambda: make.user(Role.ADMIN, email="x@y.nl"))


def test_kvk_number_is_eight_characters_and_unique(make):
    company = make.company()
    db.session.commit()
    _fails(
        lambda: db.session.add(
            Company(
                name="X",
                kvk_number="123",
                city="Enschede",
                lat=0,
                lon=0,
                sector="Zorg",
                size_band="1",
            )
        )
    )
    _fails(
        lambda: db.session.add(
            Company(
                name="X",
                kvk_number=company.kvk_number,
                city="Enschede",
                lat=0,
                lon=0,
                sector="Zorg",
                size_band="1",
            )
        )
    )


def test_mentor_capacity_cannot_be_negative_and_meester_has_no_meester(make):
    company = make.company()
    meester = make.meester(company)
    db.session.commit()
    _fails(lambda: make.meester(company, capacity=-1))
    _fails(
        lambda: db.session.add(
            Mentor(company=company, role=MentorRole.MEESTER, name="M", meester_id=meester.id)
        )
    )


def test_gezel_works_under_a_meester(make):
    company = make.company()
    meester = make.meester(company)
    gezel = Mentor(company=company, role=MentorRole.GEZEL, name="Piet Gezel", meester=meester)
    db.session.add(gezel)
    db.session.flush()
    assert meester.gezellen == [gezel]
    assert not gezel.is_meester and meester.is_meester


def test_placement_seats_cannot_be_negative(make):
    company = make.company()
    meester = make.meester(company)
    _fails(lambda: make.placement(company, meester, seats=-1))
    company = make.company()
    meester = make.meester(company)
    _fails(lambda: make.placement(company, meester, level=7))


def test_one_application_per_student_and_place(make):
    student = make.student()
    company = make.company()
    place = make.placement(company, make.meester(company))
    db.session.add(Application(student=student.profile, placement=place))
    db.session.flush()
    _fails(lambda: db.session.add(Application(student=student.profile, placement=place)))


def test_accreditation_current_window(make):
    company = make.company()
    q = make.qualification()
    db.session.commit()
    start = today() - timedelta(days=10)
    acc = Accreditation(valid_from=start, valid_to=start + timedelta(days=5))
    assert not acc.is_current(today())
    assert acc.is_current(start + timedelta(days=5))
    acc.valid_to = None
    assert acc.is_current(today())
    acc.withdrawn_at = today()
    assert not acc.is_current(today())
    _fails(
        lambda: db.session.add(
            Accreditation(
                company_id=company.id,
                qualification_id=q.id,
                valid_from=start,
                valid_to=start - timedelta(days=1),
            )
        )
    )


def test_accredited_for_uses_current_accreditations(make):
    q = make.qualification()
    company = make.company(qualifications=[q])
    assert company.accredited_for(q.id, today())
    assert not company.accredited_for(q.id + 100000, today())


def test_application_identity_visibility():
    application = Application(anonymous=True, status="submitted")
    assert not application.identity_visible
    application.status = "shortlisted"
    assert application.identity_visible
    assert Application(anonymous=False, status="submitted").identity_visible


def test_age_on_birthday_boundaries():
    assert age_on(date(2008, 11, 22), date(2026, 11, 22)) == 18
    assert age_on(date(2008, 11, 23), date(2026, 11, 22)) == 17


def test_sqlite_runs_in_write_ahead_mode(app):
    """Readers do not wait for a writer and small writes (the ranking log) do not wait for the
    disk: WAL with synchronous=NORMAL on every connection."""
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        return
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL

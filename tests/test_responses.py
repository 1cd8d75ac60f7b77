"""How companies answer and how many applications a place holds (services.responses): one
definition for the ranking (now, and as it stood on an earlier day for training) and the place
page."""

from __future__ import annotations

from datetime import datetime, timedelta

from stagematch.extensions import db
from stagematch.models import Application
from stagematch.models.enums import ApplicationStatus, PlacementStatus
from stagematch.ranking import data
from stagematch.services import responses
from stagematch.timeutil import today


def _world(make):
    """One company, two places; applications made 30, 20 and 5 days ago."""
    now = datetime.combine(today(), datetime.min.time()) + timedelta(hours=10)
    ago = lambda days: now - timedelta(days=days)  # noqa: E731
    company = make.company()
    meester = make.meester(company, capacity=3, hours_per_week=6)
    a = make.placement(company, meester, status=PlacementStatus.OPEN, seats=2)
    b = make.placement(company, meester, status=PlacementStatus.OPEN)

    def apply(place, days, status, **moments):
        student = make.student()
        db.session.add(Application(student_id=student.profile.id, placement=place, status=status,
                                   created_at=ago(days), updated_at=ago(days), **moments))  # fmt: skip

    apply(a, 30, ApplicationStatus.SHORTLISTED, shortlisted_at=ago(27))  # answered in 3 days
    apply(a, 30, ApplicationStatus.REJECTED, decided_at=ago(10))  # answered after 20 days
    apply(a, 20, ApplicationStatus.SUBMITTED)  # nobody answered within 14 days
    apply(a, 5, ApplicationStatus.SUBMITTED)  # the answer period runs
    apply(b, 25, ApplicationStatus.WITHDRAWN, decided_at=ago(24))  # withdrawn before an answer
    apply(b, 20, ApplicationStatus.EXPIRED, decided_at=ago(6))
    db.session.commit()
    return company, a, b


def test_answers_and_open_applications_now(make):
    company, a, b = _world(make)
    # Period ended: the two of 30 days, the submitted one and the expired one of 20 days (the
    # withdrawn one asked nothing); answered: the shortlisted and the rejected one.
    assert responses.company_answers([company.id]) == {company.id: (4, 2)}
    assert responses.open_applications([a.id, b.id]) == {a.id: 3}
    summary = responses.summary(a, free_seats=2)
    assert (summary.asked, summary.answered, summary.rate) == (4, 2, 0.5)
    assert summary.median_days == 11.5  # 3 and 20 days
    assert summary.per_seat == 1.5

    [place_a] = data.load_places([a.id])
    assert (place_a.company_asked, place_a.company_answered, place_a.open_applications) == (4, 2, 3)


def test_history_gives_the_same_numbers_on_each_earlier_day(make):
    company, a, b = _world(make)
    history = data.history()
    # Today: what the site counts now.
    asked, answered, open_a, received_a = history.market(company.id, a.id, today())
    assert (asked, answered, open_a, received_a) == (4, 2, 3, 4)
    # 12 days ago: only the two of 30 days had a finished answer period; the rejection (10 days
    # ago) had not come yet; at place a the three older applications were open.
    assert history.market(company.id, a.id, today() - timedelta(days=12)) == (2, 1, 3, 3)
    # 25 days ago: nothing had reached the end of its answer period.
    assert history.market(company.id, b.id, today() - timedelta(days=25))[:2] == (0, 0)
    # 8 days ago at place b: the withdrawn one was decided, the other still open then.
    assert history.market(company.id, b.id, today() - timedelta(days=8))[2:] == (1, 2)


def test_the_place_page_shows_how_the_company_answers_and_the_competition(client, make):
    company, a, b = _world(make)
    page = client.get(f"/plekken/{a.id}").get_data(as_text=True)
    assert "1.5 open sollicitaties per vrije plaats" in page or "1,5 open sollicitaties" in page
    assert "nog te weinig sollicitaties om te zeggen" in page  # 4 finished answer periods
    student = make.student()
    old = datetime.combine(today(), datetime.min.time()) - timedelta(days=40)
    db.session.add(Application(student_id=student.profile.id, placement=b, created_at=old,
                               status=ApplicationStatus.REJECTED, decided_at=old + timedelta(days=1)))  # fmt: skip
    db.session.commit()
    page = client.get(f"/plekken/{a.id}").get_data(as_text=True)
    assert "reageerde op 60 % van de sollicitaties" in page


def test_the_coordinators_company_list_shows_how_the_company_answers(client, auth, make):
    """Issue #21: the answer rate and median answer time count in the coordinator's view too —
    the same numbers as on the place page (one definition)."""
    from stagematch.models import Internship

    company, a, _b = _world(make)
    # The company is one of the school's: a student of the school is placed there now.
    student = make.student()
    application = Application(student_id=student.profile.id, placement=a,
                              status=ApplicationStatus.ACCEPTED)  # fmt: skip
    db.session.add(application)
    db.session.flush()
    db.session.add(Internship(application=application, student_id=student.profile.id, placement=a,
                              school_id=student.profile.school_id, meester_id=a.meester_id,
                              start_date=today() - timedelta(days=10),
                              end_date=today() + timedelta(days=100), status="active"))  # fmt: skip
    db.session.commit()
    [row] = responses.company_responses([company.id]).values()
    assert (row.asked, row.answered, row.median_days) == (4, 2, 11.5)
    auth.login(make.coordinator(school=student.profile.school))
    page = client.get("/coordinator/bedrijven").get_data(as_text=True)
    assert company.name in page
    assert "reageerde op 2 van de 4 sollicitaties" in page

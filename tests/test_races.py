"""Races on applications, with real threads on PostgreSQL (row locks, READ COMMITTED: where the
races of issue 14 happened). Each thread has its own app context and session; a barrier starts
them together. The last two tests go through a multi-threaded HTTP server.

(a) two decisions on one application at once (withdraw vs accept, withdraw vs offer, accept vs
    decline): exactly one wins, the other is told so, and what the winner was told is what stays;
(b) offers for the last seats of a place: only as many offers as free seats;
(c) a double-submitted application: one application, a clear message, never a 500."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Application, Internship
from stagematch.models.enums import ApplicationStatus
from stagematch.services import applications as service
from stagematch.timeutil import today
from tests.conftest import OK, PASSWORD, REFUSED, run_together


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "needs PostgreSQL: these races need concurrent writers with row locks (SQLite "
            "serialises every write); set TEST_DATABASE_URL"
        )


def _world(make, *, seats: int, capacity: int, applicants: int):
    company = make.company()
    meester = make.meester(company, capacity=capacity)
    place = make.placement(company, meester, seats=seats)
    ids = []
    for _ in range(applicants):
        student = make.student()
        application = Application(student=student.profile, placement=place, motivation="")
        db.session.add(application)
        db.session.flush()
        ids.append(application.id)
    db.session.commit()
    return place, ids


def _offer(application_id: int, days: int = 7):
    return lambda: service.make_offer(application_id, respond_by=today() + timedelta(days=days))


def _withdraw(application_id: int):
    return lambda: service.withdraw(db.session.get(Application, application_id))


def _state(application_id: int) -> tuple[str, bool]:
    db.session.expire_all()
    status = db.session.get(Application, application_id).status
    internship = db.session.scalar(
        select(Internship.id).where(Internship.application_id == application_id)
    )
    return status, internship is not None


# --- (a) two decisions on one application -------------------------------------------------------


def test_withdraw_and_accept_at_once_exactly_one_wins_and_stays(app, make, postgres):
    """The reported race: a withdrawal the student was told had succeeded was overwritten by a
    simultaneous accept (6 of 100 pairs ended 'accepted' with an internship)."""
    place, ids = _world(make, seats=50, capacity=50, applicants=50)
    jobs = []
    for i in ids:
        jobs += [lambda i=i: service.accept(i), _withdraw(i)]
    outcomes = run_together(app, jobs)
    for n, application_id in enumerate(ids):
        accepted, withdrawn = outcomes[2 * n], outcomes[2 * n + 1]
        assert sorted([accepted, withdrawn]) == [OK, REFUSED], (application_id, outcomes)
        status, has_internship = _state(application_id)
        if withdrawn == OK:
            assert (status, has_internship) == (ApplicationStatus.WITHDRAWN, False)
        else:
            assert (status, has_internship) == (ApplicationStatus.ACCEPTED, True)


def test_withdraw_and_offer_at_once_exactly_one_wins_and_stays(app, make, postgres):
    place, ids = _world(make, seats=30, capacity=30, applicants=30)
    jobs = []
    for i in ids:
        jobs += [_offer(i), _withdraw(i)]
    outcomes = run_together(app, jobs)
    for n, application_id in enumerate(ids):
        offered, withdrawn = outcomes[2 * n], outcomes[2 * n + 1]
        assert sorted([offered, withdrawn]) == [OK, REFUSED], (application_id, outcomes)
        want = ApplicationStatus.WITHDRAWN if withdrawn == OK else ApplicationStatus.OFFERED
        assert _state(application_id) == (want, False)


def test_accept_and_decline_of_one_offer_at_once_exactly_one_wins(app, make, postgres):
    place, ids = _world(make, seats=30, capacity=30, applicants=30)
    for i in ids:
        service.make_offer(i, respond_by=today() + timedelta(days=7))
    jobs = []
    for i in ids:
        jobs += [lambda i=i: service.accept_offer(i), lambda i=i: service.decline_offer(i)]
    outcomes = run_together(app, jobs)
    for n, application_id in enumerate(ids):
        accepted, declined = outcomes[2 * n], outcomes[2 * n + 1]
        assert sorted([accepted, declined]) == [OK, REFUSED], (application_id, outcomes)
        want = (
            (ApplicationStatus.ACCEPTED, True)
            if accepted == OK
            else (ApplicationStatus.DECLINED, False)
        )
        assert _state(application_id) == want


def test_two_offers_of_one_student_taken_at_once_make_one_internship(app, make, postgres):
    """Different places (different locks): the student's row lock decides."""
    pairs = []
    for _ in range(10):
        student = make.student().profile
        ids = []
        for _ in range(2):
            company = make.company()
            place = make.placement(company, make.meester(company))
            application = Application(student=student, placement=place, motivation="")
            db.session.add(application)
            db.session.flush()
            ids.append(application.id)
        db.session.commit()
        for i in ids:
            service.make_offer(i, respond_by=today() + timedelta(days=7))
        pairs.append((student.id, ids))
    jobs = [lambda i=i: service.accept_offer(i) for _s, ids in pairs for i in ids]
    outcomes = run_together(app, jobs)
    assert outcomes.count(OK) == 10 and outcomes.count(REFUSED) == 10, outcomes
    for student_id, _ids in pairs:
        count = db.session.scalar(
            select(func.count(Internship.id)).where(Internship.student_id == student_id)
        )
        assert count == 1


# --- (b) offers for the last seats ------------------------------------------------------------


def test_simultaneous_offers_never_exceed_the_free_seats(app, make, postgres):
    place, ids = _world(make, seats=2, capacity=3, applicants=20)
    outcomes = run_together(app, [_offer(i) for i in ids])
    assert outcomes.count(OK) == 2 and outcomes.count(REFUSED) == 18, outcomes
    db.session.expire_all()
    offered = db.session.scalar(
        select(func.count(Application.id)).where(Application.status == ApplicationStatus.OFFERED)
    )
    assert offered == 2


# --- (c) double submits -------------------------------------------------------------------------


def test_twenty_simultaneous_submits_of_ten_students_make_ten_applications(app, make, postgres):
    """Was: 24 × 500 IntegrityError out of 10 students × 20 submits."""
    company = make.company()
    place = make.placement(company, make.meester(company, capacity=5), seats=5)
    students = [make.student().profile for _ in range(10)]
    db.session.commit()
    place_id, student_ids = place.id, [s.id for s in students]

    def submit(student_id: int):
        from stagematch.models import Placement, StudentProfile

        return lambda: service.apply(
            student=db.session.get(StudentProfile, student_id),
            placement=db.session.get(Placement, place_id),
            motivation="Graag.",
        )

    outcomes = run_together(app, [submit(s) for s in student_ids for _ in range(20)])
    assert outcomes.count(OK) == 10 and outcomes.count(REFUSED) == 190, set(outcomes)
    assert db.session.scalar(select(func.count(Application.id))) == 10


# --- through a multi-threaded HTTP server -------------------------------------------------------


def _logged_in(base: str, email: str) -> dict:
    session = requests.Session()
    response = session.post(
        f"{base}/account/inloggen",
        data={"email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 302
    return session.cookies.get_dict()


def _post_together(urls: list[str], cookies: dict) -> list[requests.Response]:
    barrier = threading.Barrier(len(urls))
    responses: list = [None] * len(urls)

    def post(i: int, url: str) -> None:
        barrier.wait()
        responses[i] = requests.post(url, cookies=cookies, data={"motivation": "Ik wil hier graag het vak leren.", "anonymous": "y"},
                                     allow_redirects=False, timeout=60)  # fmt: skip

    threads = [threading.Thread(target=post, args=(i, u)) for i, u in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


def test_twenty_simultaneous_apply_requests_make_one_application_and_no_500(make, server, postgres):
    company = make.company()
    place = make.placement(company, make.meester(company))
    student = make.student()
    db.session.commit()
    cookies = _logged_in(server, student.email)
    responses = _post_together([f"{server}/plekken/{place.id}/solliciteren"] * 20, cookies)
    assert [r.status_code for r in responses] == [302] * 20
    succeeded = [r for r in responses if r.headers["Location"].endswith("/student/sollicitaties")]
    assert len(succeeded) == 1
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_accept_and_decline_in_two_tabs_over_http_exactly_one_wins(make, server, postgres):
    place, ids = _world(make, seats=10, capacity=10, applicants=1)
    student = db.session.get(Application, ids[0]).student
    # One student, ten offers from ten places; both answers to each offer at once.
    offers = []
    for _ in range(10):
        company = make.company()
        other = make.placement(company, make.meester(company))
        application = Application(student=student, placement=other, motivation="")
        db.session.add(application)
        db.session.flush()
        offers.append(application.id)
    db.session.commit()
    for i in offers:
        service.make_offer(i, respond_by=today() + timedelta(days=7))
    cookies = _logged_in(server, student.user.email)
    urls = []
    for i in offers:
        urls += [f"{server}/student/sollicitaties/{i}/aanbod-aannemen",
                 f"{server}/student/sollicitaties/{i}/aanbod-afslaan"]  # fmt: skip
    responses = _post_together(urls, cookies)
    assert all(r.status_code == 302 for r in responses), [r.status_code for r in responses]
    db.session.expire_all()
    states = [_state(i) for i in offers]
    # At most one offer became the internship (the student's lock); every other one was
    # declined by its own decline, which nothing else can refuse; none is left undecided.
    assert sum(1 for s in states if s == (ApplicationStatus.ACCEPTED, True)) <= 1, states
    assert all(
        s in ((ApplicationStatus.ACCEPTED, True), (ApplicationStatus.DECLINED, False))
        for s in states
    ), states
    count = db.session.scalar(
        select(func.count(Internship.id)).where(Internship.student_id == student.id)
    )
    assert count == sum(1 for s in states if s[1])


def test_two_coordinators_closing_one_case_at_once_close_it_once(app, make, postgres):
    """Two coordinators press "Sluiten" on the same case: one closes it, the other is told it is
    already closed; the history holds one "resolved" step."""
    from stagematch.models import Flag, FlagAction
    from stagematch.services import cases

    first, second = make.coordinator(), make.coordinator()
    student = make.student()
    flag = Flag(school_id=student.profile.school_id, kind="discrimination",
                subject_key="test:race", message="Melding")  # fmt: skip
    db.session.add(flag)
    db.session.commit()
    ids = (flag.id, first.id, second.id)

    def close(coordinator_id: int, note: str):
        def job():
            from stagematch.models import User

            case = db.session.get(Flag, ids[0])
            cases.resolve(case, by=db.session.get(User, coordinator_id), note=note)

        return job

    outcomes = run_together(app, [close(ids[1], "Gebeld"), close(ids[2], "Gemaild")])
    assert sorted(outcomes) == [OK, REFUSED]
    db.session.expire_all()
    steps = db.session.scalars(
        select(FlagAction).where(FlagAction.flag_id == ids[0], FlagAction.kind == "resolved")
    ).all()
    assert len(steps) == 1
    kept = db.session.get(Flag, ids[0])
    assert kept.resolution_note == steps[0].note

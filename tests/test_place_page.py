"""The place page (`/plekken/<id>`) shows the facts of the services that own them (issue #20 item
3 folded its queries into few): seats, the meester's load, ratings, the company's answers, the
competition, the SQI, the rotation, the accreditation, the student's application and favourite.
Each figure is asked of its home service here and must be what the page says."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application, Evaluation, Internship, Mentor, Qualification
from stagematch.models.enums import ApplicationStatus, MentorRole
from stagematch.models.network import PlaceRotation
from stagematch.ranking.data import placement_sqi
from stagematch.services import favourites
from stagematch.services.capacity import mentor_load, place_rooms
from stagematch.services.responses import company_responses, open_applications
from stagematch.services.supervision import rating_averages
from stagematch.timeutil import today


@pytest.fixture
def rich(make):
    """A place with a gezel, a rotation to a second firm, a running internship and an open offer
    on it, an open sister place of the same meester, three rated and finished internships, and
    company answers old enough to count."""
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    company = make.company(qualifications=[kok], name="Brasserie De Pan")
    partner = make.company(qualifications=[kok], name="Hotel Het Anker")
    meester = make.meester(company, capacity=4, name="Kees Kok")
    gezel = Mentor(company=company, role=MentorRole.GEZEL, name="Gijs Gezel", function="kok",
                   years_experience=4, meester=meester)  # fmt: skip
    db.session.add(gezel)
    place = make.placement(company, meester, gezel=gezel, seats=3, title="Kok in de brasserie")
    sister = make.placement(company, meester, seats=1, title="Kok in de keuken")
    db.session.add(PlaceRotation(placement_id=place.id, company_id=partner.id, position=0,
                                 weekdays="ma,di,wo", period=""))  # fmt: skip
    now = datetime.combine(today(), datetime.min.time()) + timedelta(hours=10)
    ago = lambda days: now - timedelta(days=days)  # noqa: E731
    running = make.student()
    db.session.add(Internship(student_id=running.profile.id, placement=place,
                              school_id=running.profile.school_id, meester_id=meester.id,
                              start_date=place.start_date, end_date=place.end_date, status="active"))  # fmt: skip
    offered = make.student()
    db.session.add(Application(student_id=offered.profile.id, placement=place, status=ApplicationStatus.OFFERED,
                               created_at=ago(30), updated_at=ago(20), offered_at=ago(20),
                               respond_by=today() + timedelta(days=5)))  # fmt: skip
    for n, rating in enumerate([3, 4, 5]):
        s = make.student()
        i = Internship(student_id=s.profile.id, placement=sister, school_id=s.profile.school_id,
                       meester_id=meester.id, start_date=today() - timedelta(days=300),
                       end_date=today() - timedelta(days=100), status="completed",
                       outcome="success" if n else "dropped_out")  # fmt: skip
        db.session.add(i)
        db.session.flush()
        db.session.add(Evaluation(internship_id=i.id, author_role="student", moment="final",
                                  due_date=today(), submitted_at=i.created_at, supervision_time=rating,
                                  feedback=6 - rating, learning_tasks=rating, safety=4, overall=rating))  # fmt: skip
    for days, answered in [(40, 2), (35, 5), (30, None), (25, 1), (20, 9), (50, 4)]:
        s = make.student()
        extra = {"shortlisted_at": ago(days - answered)} if answered else {}
        status = ApplicationStatus.SHORTLISTED if answered else ApplicationStatus.SUBMITTED
        db.session.add(Application(student_id=s.profile.id, placement=sister, status=status,
                                   created_at=ago(days), updated_at=ago(days), **extra))  # fmt: skip
    for _ in range(2):  # two open applications on the place itself
        s = make.student()
        db.session.add(Application(student_id=s.profile.id, placement=place, created_at=ago(1),
                                   updated_at=ago(1)))  # fmt: skip
    db.session.commit()
    return dict(place=place, meester=meester, kok=kok, company=company)


def _facts(place, *, per_seat_now: int = 3) -> list[str]:
    """What the page must say, each figure asked of its own service."""
    load = mentor_load(place.meester_id, start=place.start_date, end=place.end_date)
    seats_left = place_rooms([place.id])[place.id].seats_free
    ratings = rating_averages([place.meester_id])[place.meester_id]
    answers = company_responses([place.company_id])[place.company_id]
    per_seat = open_applications([place.id])[place.id] / max(1, seats_left)
    sqi = placement_sqi(place)
    # The world as built: numbers a reader can check.
    assert (load.active, load.capacity, seats_left) == (1, 4, 1)
    assert (ratings.students, ratings.finished, ratings.completed_ok) == (3, 3, 2)
    assert (answers.asked, answers.answered, answers.median_days) == (7, 6, 4.5)
    assert per_seat == per_seat_now
    return [
        f"nog {seats_left} van 3",
        f"Begeleidt nu {load.active} leerling (maximaal {load.capacity})",
        f"{per_seat:.0f} open sollicitaties per vrije plaats",
        f"reageerde op {round(100 * answers.rate)} % van de sollicitaties",
        "meestal na 4,5 dagen",
        f"Gemiddelden van {ratings.students} studenten",
        '<th scope="row">Tijd voor begeleiding</th><td>4</td>',
        '<th scope="row">Uitleg en feedback</th><td>2</td>',
        '<th scope="row">Veilig gevoel op het werk</th><td>4</td>',
        f"{ratings.completed_ok} van de {ratings.finished} eerdere stages",
        f"Begeleidingskwaliteit: {round(sqi.score)} van 100",
        "maandag–woensdag",
        "Hotel Het Anker",
        "kok, 4 jaar ervaring. Werkt elke dag met je samen.",  # the gezel
        "erkenning nog niet gecontroleerd",  # declared by the company, not checked yet
    ]


def test_the_place_page_shows_the_facts_of_each_service_to_a_visitor(client, rich):
    place = rich["place"]
    facts = _facts(place)
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    for fact in facts:
        assert fact in page, fact
    assert "Account maken en solliciteren" in page


def test_the_place_page_shows_a_students_application_and_favourite(client, auth, make, rich):
    place = rich["place"]
    student = make.student(qualification=rich["kok"], town="Enschede")
    db.session.add(Application(student=student.profile, placement=place, motivation="Graag"))
    saver = make.student(qualification=rich["kok"], town="Enschede")
    favourites.save(student=saver.profile, placement=place)
    db.session.commit()
    facts = _facts(place, per_seat_now=4)  # the student's application is one more open one
    auth.login(student)
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert "Je hebt gesolliciteerd op" in page and "Bekijk je sollicitatie" in page
    assert "favourite is-saved" not in page  # another student saved it
    assert "Solliciteren</a>" not in page
    auth.logout()
    auth.login(saver)
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    for fact in facts:
        assert fact in page, fact
    assert favourites.saved_ids(saver.profile, [place.id]) == {place.id}
    assert "favourite is-saved" in page
    # The rules read the same place data: the gezel (no capacity of its own here) is full.
    assert "Je kunt hier niet solliciteren: gezel heeft geen ruimte." in page


def test_a_richer_place_costs_no_more_statements(client, auth, make, rich):
    """The query-count world has no gezel, rotation, application or favourite: here the page
    reads them with the place, not one query each (tests/test_query_counts.py's budget)."""
    from tests.test_query_counts import TODAY, _report, statements_for

    place = rich["place"]
    url = f"/plekken/{place.id}"
    student = make.student(qualification=rich["kok"], town="Enschede")
    db.session.add(Application(student=student.profile, placement=place, motivation="Graag"))
    favourites.save(student=student.profile, placement=place)
    db.session.commit()
    auth.login(student)
    statements = statements_for(client, url)
    assert len(statements) <= TODAY["place_as_student"], _report(statements)
    auth.logout()
    statements = statements_for(client, url)
    assert len(statements) <= TODAY["place_as_visitor"], _report(statements)

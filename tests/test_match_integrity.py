"""Issue 14, reproduced at request level: every path shows, offers and places only what the
eligibility rules allow, and capacity is counted one way (services/capacity.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Internship, Mentor, Placement
from stagematch.models.enums import InternshipStatus, Leerweg, MentorRole, PlacementStatus
from stagematch.services.tokens import create_token
from stagematch.timeutil import today
from stagematch.wages import minimum_wage
from tests.conftest import OK, REFUSED, run_together
from tests.test_companies import _mentor_form, _place_form


def _running(make, placement, meester, *, start=None, weeks=20, gezel=None):
    """A running internship of a new student with `meester` (as meester or gezel)."""
    student = make.student()
    start = start or today() - timedelta(days=10)
    internship = Internship(
        student_id=student.profile.id, placement=placement, school_id=student.profile.school_id,
        meester_id=meester.id, gezel_id=gezel.id if gezel else None, start_date=start,
        end_date=start + timedelta(weeks=weeks), status=InternshipStatus.ACTIVE,
    )  # fmt: skip
    db.session.add(internship)
    db.session.flush()
    return internship


def _world(make):
    """A student in Hengelo and four places nearby: one allowed, three that a rule forbids."""
    student = make.student(town="Hengelo", max_travel_km=40)
    q = student.profile.qualification
    company = make.company(town="Enschede", qualifications=[q])
    meester = make.meester(company, capacity=3)
    good = make.placement(company, meester, title="Goede plek")
    # Accreditation lapses before the start of this place.
    lapsed_company = make.company(town="Enschede", qualifications=[q])
    lapsed_company.accreditations[0].valid_to = today() + timedelta(days=20)
    lapsed = make.placement(
        lapsed_company, make.meester(lapsed_company), title="Erkenning verlopen"
    )
    # A meester with more learners than capacity (capacity lowered before this rule existed).
    busy_company = make.company(town="Enschede", qualifications=[q])
    busy = make.meester(busy_company, capacity=1)
    full = make.placement(busy_company, busy, title="Meester vol")
    old = make.placement(busy_company, busy, title="Oud", status=PlacementStatus.FILLED)
    _running(make, old, busy)
    # A gezel on the place who is already full (hiring checked gezellen, rounds and lists did not).
    gezel_company = make.company(town="Enschede", qualifications=[q])
    g_meester = make.meester(gezel_company, capacity=3)
    gezel = Mentor(company=gezel_company, role=MentorRole.GEZEL, name="Gijs Gezel", capacity=1,
                   meester_id=g_meester.id)  # fmt: skip
    db.session.add(gezel)
    db.session.flush()
    gezel_full = make.placement(gezel_company, g_meester, gezel=gezel, title="Gezel vol")
    _running(make, make.placement(gezel_company, g_meester, title="Oud 2", status=PlacementStatus.FILLED),
             g_meester, gezel=gezel)  # fmt: skip
    db.session.commit()
    return student, good, [lapsed, full, gezel_full]


def test_home_search_and_api_show_only_allowed_places(client, auth, make):
    student, good, forbidden = _world(make)
    auth.login(student)
    pages = [client.get("/student/").get_data(as_text=True)]
    for sort in ("relevance", "distance", "start", "pay"):
        pages.append(client.get(f"/plekken/?sort={sort}").get_data(as_text=True))
        pages.append(client.get(f"/plekken/?sort={sort}&alle=1").get_data(as_text=True))
    for page in pages:
        assert "Goede plek" in page
        for place in forbidden:
            assert place.title not in page
    secret = create_token(student, "test")[1]
    headers = {"Authorization": f"Bearer {secret}"}
    db.session.commit()
    matches = client.get(
        f"/api/v1/students/{student.profile.id}/matches", headers=headers
    ).get_json()
    found = client.get("/api/v1/places?sort=start", headers=headers).get_json()
    for body in (matches, found):
        ids = {item.get("place_id", item.get("id")) for item in body["items"]}
        assert good.id in ids and not ids & {p.id for p in forbidden}


def test_visitors_do_not_see_places_that_no_student_may_take(client, make):
    _student, good, forbidden = _world(make)
    page = client.get("/plekken/?alle=1&sort=start").get_data(as_text=True)
    assert "Goede plek" in page
    assert "Meester vol" not in page and "Gezel vol" not in page
    exported = client.get("/api/v1/export/places.json").get_json()
    rows = exported if isinstance(exported, list) else exported.get("places", exported.get("items"))
    ids = {p["id"] for p in rows}
    assert good.id in ids and not ids & {forbidden[1].id, forbidden[2].id}


def test_place_page_tells_the_student_why_they_cannot_apply(client, auth, make):
    student, _good, forbidden = _world(make)
    auth.login(student)
    page = client.get(f"/plekken/{forbidden[0].id}").get_data(as_text=True)
    assert "Je kunt hier niet solliciteren" in page and "niet (meer) erkend" in page
    assert f"/plekken/{forbidden[0].id}/solliciteren" not in page


def _bbl_world(make, *, birth_date):
    student = make.student(leerweg=Leerweg.BBL, birth_date=birth_date)
    company = make.company(qualifications=[student.profile.qualification])
    meester = make.meester(company)
    start = today() + timedelta(days=30)
    floor_18 = minimum_wage(18, start).monthly(32)
    place = make.placement(company, meester, title="BBL voor 18", leerweg=Leerweg.BBL, days_per_week=4,
                           hours_per_week=32, wage_age=18, pay_per_month=int(floor_18) + 1, start_date=start)  # fmt: skip
    db.session.commit()
    return student, place


def test_bbl_pay_is_checked_against_the_minimum_for_the_students_own_age(client, auth, make):
    start = today() + timedelta(days=30)
    adult, place = _bbl_world(make, birth_date=start.replace(year=start.year - 25))
    auth.login(adult)
    assert "BBL voor 18" not in client.get("/plekken/?sort=start").get_data(as_text=True)
    assert "minimumloon" in client.get(f"/plekken/{place.id}").get_data(as_text=True)
    auth.logout()
    eighteen = make.student(leerweg=Leerweg.BBL, qualification=adult.profile.qualification,
                            birth_date=start.replace(year=start.year - 18) - timedelta(days=1))  # fmt: skip
    db.session.commit()
    auth.login(eighteen)
    assert "BBL voor 18" in client.get("/plekken/?sort=start").get_data(as_text=True)


def test_sixty_hours_five_days_bbl_for_a_minor_is_not_published(client, make, company_user):
    meester = make.meester(company_user.company)
    db.session.commit()
    data = _place_form(company_user.company, meester, leerweg="BBL", days_per_week="5", hours_per_week="60",
                       wage_age="16", pay_per_month="4000")  # fmt: skip
    response = client.post("/leerbedrijf/plekken/nieuw", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "minstens één dag per week naar school" in page
    assert "onder de 18" in page and "Arbeidstijdenwet" in page
    assert 'value="60' in page  # the input comes back
    assert db.session.scalar(select(func.count(Placement.id))) == 0


def test_start_dates_are_bounded_and_an_old_far_future_place_breaks_nothing(
    client, auth, make, company_user
):
    meester = make.meester(company_user.company, capacity=3)
    db.session.commit()
    data = _place_form(company_user.company, meester, start_date="9999-12-01")
    response = client.post("/leerbedrijf/plekken/nieuw", data=data)
    assert response.status_code == 422
    assert "binnen twee jaar" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Placement.id))) == 0
    # A row from before the rule: no page or computation fails on it.
    legacy = make.placement(
        company_user.company, meester, start_date=date(9999, 12, 1), duration_weeks=20
    )
    student = make.student(qualification=company_user.company.accreditations[0].qualification)
    db.session.commit()
    assert legacy.end_date == date.max
    from stagematch.ranking import rank_students

    assert rank_students([student.profile.id], top=None)[student.profile.id] == []
    from stagematch.services import allocation_rounds as rounds

    coordinator = make.coordinator(school=student.profile.school)
    db.session.commit()
    with_round = rounds.open_round(
        school=coordinator.school, name="Ronde", closes_on=today() + timedelta(days=7), max_choices=3,
        cohort=rounds.Cohort(qualification_id=student.profile.qualification_id), created_by=coordinator,
    )  # fmt: skip
    assert legacy.id not in {p.placement_id for p in with_round.places}
    auth.login(student)
    assert client.get(f"/plekken/{legacy.id}").status_code == 200
    assert client.get("/plekken/?sort=start&alle=1").status_code == 200


def test_capacity_cannot_be_lowered_below_what_is_committed(client, make, company_user):
    company = company_user.company
    meester = make.meester(company, capacity=3)
    make.placement(company, meester, seats=2)
    _running(make, make.placement(company, meester, status=PlacementStatus.FILLED), meester)
    db.session.commit()
    url = f"/leerbedrijf/begeleiders/{meester.id}"
    response = client.post(url, data=_mentor_form(name=meester.name, capacity="2"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "kan niet lager dan 3" in page
    db.session.refresh(meester)
    assert meester.capacity == 3
    assert client.post(url, data=_mentor_form(name=meester.name, capacity="4")).status_code == 302


def test_a_learner_until_march_leaves_the_meester_free_in_april(client, make, company_user):
    company = company_user.company
    meester = make.meester(company, capacity=1)
    old = make.placement(company, meester, status=PlacementStatus.FILLED)
    _running(make, old, meester, start=today() - timedelta(weeks=10), weeks=14)  # ends in 4 weeks
    db.session.commit()
    overlapping = _place_form(
        company, meester, start_date=(today() + timedelta(weeks=2)).isoformat()
    )
    assert client.post("/leerbedrijf/plekken/nieuw", data=overlapping).status_code == 422
    after = _place_form(company, meester, start_date=(today() + timedelta(weeks=5)).isoformat())
    assert client.post("/leerbedrijf/plekken/nieuw", data=after).status_code == 302


def test_simultaneous_publishing_never_reserves_more_than_the_meesters_capacity(app, make):
    from stagematch.services import placements as placement_service

    company = make.company()
    meester = make.meester(company, capacity=4)
    drafts = [
        make.placement(company, meester, seats=2, status=PlacementStatus.DRAFT).id
        for _ in range(10)
    ]
    db.session.commit()
    outcomes = run_together(
        app, [lambda i=i: placement_service.publish(db.session.get(Placement, i)) for i in drafts]
    )
    db.session.expire_all()
    seats = db.session.scalar(
        select(func.sum(Placement.seats)).where(Placement.status == PlacementStatus.OPEN)
    )
    assert outcomes.count(OK) == 2 and outcomes.count(REFUSED) == 8 and seats == 4


def test_place_page_shows_the_gezel_of_that_place_not_the_meesters_other_gezel(client, make):
    company = make.company()
    meester = make.meester(company)
    db.session.add(Mentor(company=company, role=MentorRole.GEZEL, name="Elders Gezel", capacity=2,
                          meester_id=meester.id))  # fmt: skip
    place = make.placement(company, meester)
    db.session.commit()
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert "Er is geen gezel" in page
    assert "Gezel in de begeleiding</dt><dd>ja" not in page.replace("\n", "").replace("  ", "")
    from stagematch.ranking import placement_sqi

    assert dict(placement_sqi(place).parts)["Gezel in de begeleiding"] == "nee"


def test_allocation_rounds_respect_the_gezels_capacity_and_the_rules_at_computing(make):
    from stagematch.models import RoundStudent
    from stagematch.services import allocation_rounds as rounds

    q = make.qualification()
    for town in ("Hengelo", "Enschede", "Borne"):
        make.student(qualification=q, town=town)
    company = make.company(qualifications=[q])
    meester = make.meester(company, capacity=4)
    gezel = Mentor(
        company=company, role=MentorRole.GEZEL, name="Gijs Gezel", capacity=1, meester_id=meester.id
    )
    db.session.add(gezel)
    db.session.flush()
    # The gezel already works with a learner: the place with this gezel has no room, the meester has.
    _running(
        make, make.placement(company, meester, status=PlacementStatus.FILLED), meester, gezel=gezel
    )
    with_gezel = make.placement(company, meester, gezel=gezel, title="Met gezel")
    without = make.placement(company, meester, title="Zonder gezel")
    coordinator = make.coordinator()
    db.session.commit()
    round_ = rounds.open_round(
        school=coordinator.school, name="Ronde", closes_on=today() + timedelta(days=7), max_choices=3,
        cohort=rounds.Cohort(qualification_id=q.id), created_by=coordinator,
    )  # fmt: skip
    assert {p.placement_id for p in round_.places} == {without.id}
    assert rounds.compute(round_, by=coordinator).assigned == 1
    assigned = set(
        db.session.scalars(
            select(RoundStudent.assigned_placement_id).where(RoundStudent.round_id == round_.id)
        )
    )
    assert with_gezel.id not in assigned
    # An accreditation that lapses before the start after opening: nobody is assigned there.
    rounds.reopen(round_, by=coordinator)
    company.accreditations[0].valid_to = today() + timedelta(days=1)
    db.session.commit()
    assert rounds.compute(round_, by=coordinator).assigned == 0

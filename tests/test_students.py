"""Students: profile and CV, search with every filter, the place page, applying fairly."""

from __future__ import annotations

import gc
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Application,
    DiscriminationReport,
    Evaluation,
    Internship,
    Qualification,
    SavedSearch,
)
from stagematch.models.enums import ApplicationStatus, PlacementStatus
from stagematch.services.search import SearchFilters, search
from stagematch.timeutil import today

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _read(response) -> bytes:
    """The body of a file response (closed afterwards, so no file handle leaks)."""
    try:
        return response.get_data()
    finally:
        response.close()


def _q(crebo: str) -> Qualification:
    return db.session.scalar(select(Qualification).where(Qualification.crebo == crebo))


@pytest.fixture
def student(make, auth):
    user = make.student(qualification=_q("25180"), town="Enschede", max_travel_km=25)
    auth.login(user)
    return user


def _profile_form(**overrides):
    data = {
        "school": "", "qualification": "25180", "leerweg": "BOL", "town": "Enschede",
        "max_travel_km": "25", "available_from": "2027-02-01", "skills": "snijden, hygiëne, snijden",
        "interests": "koken", "languages": "Nederlands, Turks", "bbl_days": "",
        "motivation": "Ik kook graag en wil leren hoe een echte keuken werkt.",
        "accessibility_needs": "", "discoverable": "y",
    }  # fmt: skip
    data.update(overrides)
    return data


# --- profile and CV --------------------------------------------------------------------------


def test_student_completes_the_profile(client, student):
    data = _profile_form(school=str(student.school_id))
    response = client.post("/student/profiel", data=data)
    assert response.status_code == 302
    profile = student.profile
    db.session.refresh(profile)
    assert profile.skills == "snijden, hygiëne"  # duplicates dropped
    assert profile.available_from == date(2027, 2, 1) and profile.discoverable
    home = client.get("/student/").get_data(as_text=True)
    assert "6 van de 6 stappen klaar" in home


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("town", "Enschde", "Bedoel je Enschede"), ("max_travel_km", "-5", "Kies tussen 1 en 300 km"),
     ("max_travel_km", "veel", "Vul een heel getal in"), ("qualification", "12345", "Deze opleiding kennen we niet"),
     ("available_from", "31-02-2027", "Vul een geldige datum in")],
)  # fmt: skip
def test_bad_profile_input_is_refused_and_kept(client, student, field, value, message):
    data = _profile_form(school=str(student.school_id), **{field: value})
    response = client.post("/student/profiel", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert "Ik kook graag" in page  # the rest of the input is kept
    db.session.refresh(student.profile)
    assert student.profile.motivation == ""


def _upload(client, student, content: bytes, name: str = "cv.pdf"):
    data = _profile_form(school=str(student.school_id))
    data["cv"] = (io.BytesIO(content), name)
    return client.post("/student/profiel", data=data, content_type="multipart/form-data")


def test_cv_upload_accepts_a_real_pdf_outside_the_web_root(app, client, student):
    assert _upload(client, student, PDF).status_code == 302
    db.session.refresh(student.profile)
    stored = Path(app.instance_path) / "cv" / student.profile.cv_filename
    assert stored.read_bytes() == PDF
    assert "static" not in str(stored)
    response = client.get("/student/cv")
    assert _read(response) == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [(b"MZ\x90\x00" + b"\x00" * 2000, "cv.pdf", "Dit is geen pdf-bestand"),
     (b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "cv.pdf", "groter dan 2 MB"),
     (b"", "", None)],
)  # fmt: skip
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_cv_that_is_not_a_small_pdf_is_refused(client, student, content, name, message):
    response = _upload(client, student, content, name)
    # Werkzeug's test client spools big request bodies to a temporary file it never closes;
    # collect it here so the warning is not raised in some later test.
    gc.collect()
    if message is None:  # an empty file field is simply "no new CV"
        assert response.status_code == 302
    else:
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page
        assert "Ik kook graag" in page
    db.session.refresh(student.profile)
    assert student.profile.cv_filename is None


def test_cv_is_served_only_to_the_student_and_companies_that_may_see_it(
    client, auth, make, student
):
    _upload(client, student, PDF)
    profile_id = student.profile.id
    auth.logout()
    other = make.student()
    auth.login(other)
    assert client.get(f"/student/{profile_id}/cv").status_code == 403
    auth.logout()
    company = make.company(qualifications=[_q("25180")])
    place = make.placement(company, make.meester(company))
    company_user = make.company_user(company)
    auth.login(company_user)
    assert client.get(f"/student/{profile_id}/cv").status_code == 403  # never applied
    application = Application(student_id=profile_id, placement=place, anonymous=True)
    db.session.add(application)
    db.session.commit()
    assert client.get(f"/student/{profile_id}/cv").status_code == 403  # anonymous, not shortlisted
    application.status = ApplicationStatus.SHORTLISTED
    db.session.commit()
    assert _read(client.get(f"/student/{profile_id}/cv")) == PDF
    auth.logout()
    assert client.get(f"/student/{profile_id}/cv").status_code == 302  # anonymous -> login


# --- search ----------------------------------------------------------------------------------


@pytest.fixture
def places(make):
    """Places in towns at known distances from Enschede, for two qualifications."""
    kok, zw_kok, verzorgende = _q("25180"), _q("25182"), _q("25491")
    company = make.company(qualifications=[kok, zw_kok, verzorgende], town="Enschede")
    meester = make.meester(company, capacity=20)
    result = {}

    def add(key, town, qualification, **fields):
        t = geo.find_town(town)
        result[key] = make.placement(company, meester, qualification=qualification, city=t.name, lat=t.lat,
                                     lon=t.lon, title=fields.pop("title", key), **fields)  # fmt: skip

    add("enschede", "Enschede", kok, pay_per_month=300)
    add("hengelo", "Hengelo", kok, pay_per_month=150, start_date=today() + timedelta(days=10))
    add("almelo", "Almelo", zw_kok, pay_per_month=0, start_date=today() + timedelta(days=90))
    add("zwolle", "Zwolle", kok, pay_per_month=500)
    add("bbl", "Enschede", kok, leerweg="BBL", days_per_week=4, pay_per_month=2000, wage_age=21)
    add("zorg", "Hengelo", verzorgende, title="Verzorgende in het verpleeghuis")
    db.session.commit()
    return result


def _ids(page) -> set[str]:
    return {hit.placement.title for hit in page.hits}


def test_distance_filter_matches_hand_computed_distances(places):
    enschede = geo.find_town("Enschede")
    distances = {
        k: geo.distance_km(enschede.lat, enschede.lon, p.lat, p.lon) for k, p in places.items()
    }
    # Hand-checked: Hengelo ~8 km, Almelo ~21 km, Zwolle ~63 km from Enschede (town centres).
    assert (
        6 < distances["hengelo"] < 10
        and 18 < distances["almelo"] < 24
        and 58 < distances["zwolle"] < 68
    )
    for radius in (5, 12, 30, 100):
        page = search(SearchFilters(town=enschede, radius_km=radius, sort="distance"), per_page=50)
        assert _ids(page) == {places[k].title for k, d in distances.items() if d <= radius}
        shown = [h.distance_km for h in page.hits]
        assert shown == sorted(shown)


def test_each_filter_on_its_own(places):
    everything = {p.title for p in places.values()}
    assert _ids(search(SearchFilters(), per_page=50)) == everything
    assert _ids(search(SearchFilters(leerweg="BBL"))) == {"bbl"}
    assert _ids(search(SearchFilters(leerweg="BOL"), per_page=50)) == everything - {"bbl"}
    # Equivalent crebos of the same dossier count: Kok finds Zelfstandig werkend kok too.
    assert _ids(search(SearchFilters(qualification=_q("25180")), per_page=50)) == everything - {
        "Verzorgende in het verpleeghuis"
    }
    assert _ids(search(SearchFilters(qualification=_q("25491")))) == {
        "Verzorgende in het verpleeghuis"
    }
    assert _ids(search(SearchFilters(level=3), per_page=50)) == {
        "almelo",
        "Verzorgende in het verpleeghuis",
    }
    assert _ids(search(SearchFilters(min_pay=300), per_page=50)) == {"enschede", "zwolle", "bbl"}
    assert _ids(search(SearchFilters(min_pay=0), per_page=50)) == everything
    assert _ids(search(SearchFilters(start_to=today() + timedelta(days=20)))) == {"hengelo"}
    assert _ids(search(SearchFilters(start_from=today() + timedelta(days=60)))) == {"almelo"}
    assert _ids(search(SearchFilters(bbl_days=4))) == {"bbl"}
    assert _ids(search(SearchFilters(bbl_days=3))) == set()
    assert _ids(search(SearchFilters(q="verpleeghuis"))) == {"Verzorgende in het verpleeghuis"}
    assert (
        _ids(search(SearchFilters(q=places["zwolle"].company.name.split()[0]), per_page=50))
        == everything
    )
    assert _ids(search(SearchFilters(sector="Bestaat niet"))) == set()
    assert (
        _ids(search(SearchFilters(sector=places["zwolle"].company.sector), per_page=50))
        == everything
    )


def test_filters_combine(places):
    enschede = geo.find_town("Enschede")
    page = search(
        SearchFilters(
            town=enschede, radius_km=30, leerweg="BOL", qualification=_q("25180"), min_pay=100
        )
    )
    assert _ids(page) == {"enschede", "hengelo"}


def test_sort_orders(places):
    by_pay = [
        h.placement.pay_per_month for h in search(SearchFilters(sort="pay"), per_page=50).hits
    ]
    assert by_pay == sorted(by_pay, reverse=True)
    by_start = [
        h.placement.start_date for h in search(SearchFilters(sort="start"), per_page=50).hits
    ]
    assert by_start == sorted(by_start)


def test_hidden_places_are_not_found(places):
    places["zwolle"].status = PlacementStatus.CLOSED
    places["hengelo"].confirmed_at = places["hengelo"].confirmed_at - timedelta(days=61)
    db.session.commit()
    assert not {"zwolle", "hengelo"} & _ids(search(SearchFilters(), per_page=50))


def test_search_page_keeps_filters_in_the_url_and_paginates(client, make, places):
    response = client.get("/plekken/?town=Enschede&radius=30&leerweg=BOL&sort=distance")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 plekken gevonden" in page  # enschede, hengelo, almelo, and zorg (in Hengelo)
    # Pagination: with 25+ places the next page is linked and holds the rest.
    company = places["zwolle"].company
    meester = make.meester(company, capacity=50)
    for n in range(25):
        make.placement(company, meester, title=f"Extra {n:02d}")
    db.session.commit()
    first = client.get("/plekken/?sort=start").get_data(as_text=True)
    assert "Pagina 1 van 2" in first and "page=2" in first
    second = client.get("/plekken/?sort=start&page=2").get_data(as_text=True)
    assert "Pagina 2 van 2" in second


@pytest.mark.parametrize(
    ("query", "message"),
    [("page=-1", "Die pagina bestaat niet"), ("radius=-5&town=Enschede", "Kies tussen 1 en 300 km"),
     ("town=Nergenshuizen", "We kennen de plaats"), ("radius=10", "Vul een plaats in"),
     ("min_pay=abc", "Vul een heel getal in"), ("start_from=gisteren", "Vul een geldige datum in"),
     ("crebo=99999", "Deze opleiding kennen we niet"), ("q=%27%20OR%201%3D1--", None),
     ("q=<script>alert(1)</script>", None), ("sort=evil&leerweg=XYZ", "Kies een van de mogelijkheden")],
)  # fmt: skip
def test_bad_search_input_gives_a_clear_message_never_a_500(client, places, query, message):
    response = client.get(f"/plekken/?{query}")
    assert response.status_code in (200, 422)
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    if message:
        assert message in page


def test_student_search_starts_from_their_profile(client, student, places):
    page = client.get("/plekken/").get_data(as_text=True)
    assert 'value="Enschede"' in page and 'value="25"' in page
    assert "Verzorgende in het verpleeghuis" not in page  # not their qualification
    assert "hengelo" in page and "zwolle" not in page  # Zwolle is beyond 25 km


# --- place page and applying -----------------------------------------------------------------


def test_place_page_shows_who_supervises(client, student, make):
    company = make.company(qualifications=[_q("25180")])
    meester = make.meester(
        company,
        name="Kees Meester",
        function="chef-kok",
        years_experience=17,
        trained=True,
        capacity=3,
    )
    from stagematch.models import Mentor

    gezel = Mentor(
        company=company,
        role="gezel",
        name="Gerda Gezel",
        function="kok",
        years_experience=4,
        meester=meester,
    )
    place = make.placement(company, meester, gezel=gezel)
    db.session.commit()
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    for text in ("Kees Meester", "chef-kok", "17 jaar ervaring", "cursus praktijkopleider gedaan",
                 "Gerda Gezel", "Begeleidt nu 0 leerlingen (maximaal 3)", "Solliciteren", "km van huis"):  # fmt: skip
        assert text in page, text
    assert "Nog te weinig beoordelingen" in page


def _rated_internships(make, place, ratings: list[int]):
    for rating in ratings:
        s = make.student()
        i = Internship(student_id=s.profile.id, placement=place, school_id=s.profile.school_id,
                       meester_id=place.meester_id, start_date=today() - timedelta(days=200),
                       end_date=today() - timedelta(days=10), status="completed", outcome="success")  # fmt: skip
        db.session.add(i)
        db.session.flush()
        db.session.add(Evaluation(internship_id=i.id, author_role="student", moment="final", due_date=today(),
                                  submitted_at=i.created_at, supervision_time=rating, feedback=rating,
                                  learning_tasks=rating, safety=rating, overall=rating))  # fmt: skip
    db.session.commit()


def test_ratings_are_shown_only_as_averages_from_three_students(client, student, make):
    company = make.company(qualifications=[_q("25180")])
    place = make.placement(company, make.meester(company))
    _rated_internships(make, place, [4, 5])
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert "Nog te weinig beoordelingen" in page and "4.5" not in page
    _rated_internships(make, place, [3])
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert "Gemiddelden van 3 studenten" in page and "<td>4</td>" in page  # 4.0, written "4"
    assert "3 van de 3 eerdere stages" in page


def test_apply_anonymously_and_the_company_is_told(client, student, make, outbox):
    company = make.company(qualifications=[_q("25180")])
    company_user = make.company_user(company)
    place = make.placement(company, make.meester(company))
    db.session.commit()
    form = client.get(f"/plekken/{place.id}/solliciteren").get_data(as_text=True)
    assert 'name="anonymous" type="checkbox" value="y" checked' in form or "checked" in form
    short = client.post(
        f"/plekken/{place.id}/solliciteren", data={"motivation": "kort", "anonymous": "y"}
    )
    assert short.status_code == 422 and "minstens één zin" in short.get_data(as_text=True)
    ok = client.post(f"/plekken/{place.id}/solliciteren",
                     data={"motivation": "Ik wil leren koken in een echte keuken.", "anonymous": "y"})  # fmt: skip
    assert ok.status_code == 302
    application = db.session.scalar(select(Application))
    assert application.anonymous and application.status == ApplicationStatus.SUBMITTED
    [message] = outbox()
    assert message["To"] == company_user.email and student.name not in message.get_content()
    again = client.post(f"/plekken/{place.id}/solliciteren", data={"motivation": "Nog een keer solliciteren hier.", "anonymous": "y"},
                        follow_redirects=True)  # fmt: skip
    assert "al op deze plek gesolliciteerd" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_student_can_turn_anonymity_off_per_application(client, student, make):
    company = make.company(qualifications=[_q("25180")])
    place = make.placement(company, make.meester(company))
    db.session.commit()
    client.post(
        f"/plekken/{place.id}/solliciteren",
        data={"motivation": "Ik wil leren koken in een echte keuken."},
    )
    assert db.session.scalar(select(Application)).anonymous is False


def test_applying_to_a_closed_place_is_refused(client, student, make):
    company = make.company(qualifications=[_q("25180")])
    place = make.placement(company, make.meester(company), status=PlacementStatus.CLOSED)
    db.session.commit()
    response = client.post(f"/plekken/{place.id}/solliciteren", data={"motivation": "Ik wil leren koken in een echte keuken."},
                           follow_redirects=True)  # fmt: skip
    assert "staat niet meer open" in response.get_data(as_text=True)
    assert client.get(f"/plekken/{place.id}").status_code == 410


def test_withdraw_an_application(client, student, make):
    company = make.company(qualifications=[_q("25180")])
    place = make.placement(company, make.meester(company))
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    client.post(f"/student/sollicitaties/{application.id}/intrekken")
    db.session.refresh(application)
    assert application.status == ApplicationStatus.WITHDRAWN


def test_another_students_application_is_out_of_reach(client, student, make):
    other = make.student()
    company = make.company()
    application = Application(
        student=other.profile, placement=make.placement(company, make.meester(company))
    )
    db.session.add(application)
    db.session.commit()
    assert client.post(f"/student/sollicitaties/{application.id}/intrekken").status_code == 403
    assert client.get(f"/student/sollicitaties/{application.id}/melden").status_code == 403


def test_discrimination_report_reaches_the_coordinator_never_the_company(
    client, auth, student, make, outbox
):
    coordinator = make.coordinator(school=student.profile.school)
    company = make.company(qualifications=[_q("25180")])
    company_user = make.company_user(company)
    place = make.placement(company, make.meester(company))
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    response = client.post(f"/student/sollicitaties/{application.id}/melden",
                           data={"description": "Ze vroegen naar mijn geloof en wezen me daarna af."})  # fmt: skip
    assert response.status_code == 302
    report = db.session.scalar(select(DiscriminationReport))
    assert report.company_id == company.id and report.school_id == student.profile.school_id
    recipients = [m["To"] for m in outbox()]
    assert recipients == [coordinator.email]
    auth.logout()
    auth.login(company_user)
    for url in (
        "/leerbedrijf/",
        f"/leerbedrijf/sollicitaties/{application.id}",
        f"/leerbedrijf/plekken/{place.id}",
    ):
        assert "geloof" not in client.get(url).get_data(as_text=True)


def test_saved_search_sends_an_alert_for_new_places_only(
    app, client, student, make, runner, outbox
):
    client.post(
        "/student/zoekopdrachten",
        data={"name": "Kok in Enschede", "query_string": "crebo=25180&town=Enschede&radius=20"},
    )
    saved = db.session.scalar(select(SavedSearch))
    assert saved.user_id == student.id
    company = make.company(qualifications=[_q("25180")])
    meester = make.meester(company, capacity=5)
    make.placement(company, meester, title="Nieuwe kokplek")
    far = geo.find_town("Zwolle")
    make.placement(company, meester, title="Te ver weg", city=far.name, lat=far.lat, lon=far.lon)
    db.session.commit()
    result = runner.invoke(args=["send-alerts"])
    assert "1 e-mails verstuurd" in result.output, result.output
    [message] = outbox()
    body = message.get_content()
    assert "Nieuwe kokplek" in body and "Te ver weg" not in body
    # Nothing new since: no second mail.
    assert "0 e-mails verstuurd" in runner.invoke(args=["send-alerts"]).output


def test_the_home_page_reads_the_applications_places_in_one_query(client, auth, make):
    """Issue #20: the home page loaded each application's place one by one (an N+1): the number
    of queries must not grow with the applications shown."""
    from sqlalchemy import event

    from stagematch.models import Application

    student = make.student()
    company = make.company()
    meester = make.meester(company, capacity=9)
    places = [make.placement(company, meester, title=f"Plek {i}", seats=2) for i in range(5)]
    db.session.add(Application(student=student.profile, placement=places[0]))
    db.session.commit()
    auth.login(student)

    def queries() -> int:
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/student/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    client.get("/student/")  # warm caches (the model registry, the reference data)
    one = queries()
    for place in places[1:]:
        db.session.add(Application(student=student.profile, placement=place))
    db.session.commit()
    assert queries() == one

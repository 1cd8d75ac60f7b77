"""The student's everyday path (issue #21, item 4): saved searches that can be found and switched
off from the alert mail, registration that keeps the place, no second apply form, favourites
(bewaarde plekken), and "SQI" explained where it appears."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import Application, Qualification, SavedPlace, SavedSearch
from stagematch.models.enums import ApplicationStatus, PlacementStatus
from stagematch.services.alerts import send_search_alerts
from tests.conftest import PASSWORD, mailed_link

SQI_SENTENCE = (
    "SQI = begeleidingskwaliteit: tijd van de meester per leerling, opleiding, gezel, beoordelingen"
)


def _q(crebo: str) -> Qualification:
    return db.session.scalar(select(Qualification).where(Qualification.crebo == crebo))


@pytest.fixture
def student(make, auth):
    user = make.student(qualification=_q("25180"), town="Enschede", max_travel_km=25)
    auth.login(user)
    return user


@pytest.fixture
def place(make):
    company = make.company(qualifications=[_q("25180")], name="Restaurant De Pan")
    place = make.placement(
        company, make.meester(company, capacity=4), title="Leerling-kok", seats=2
    )
    db.session.commit()
    return place


def _path(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _nav(html: str) -> str:
    return html.split('<nav aria-label="Hoofdmenu">', 1)[1].split("</nav>", 1)[0]


# --- saved searches ----------------------------------------------------------------------------


def test_search_page_offers_to_save_the_search_with_a_name_field(client, student, place):
    html = client.get("/plekken/", query_string={"q": "kok"}).get_data(as_text=True)
    form = html.split('class="save-search"', 1)[1].split("</form>", 1)[0]
    assert "Zoekopdracht bewaren" in form
    assert 'name="name"' in form and 'name="query_string" value="q=kok"' in form
    assert 'name="next"' in form


def test_saving_a_search_without_a_name_gets_a_default_name(client, student, place):
    query = "q=bakker&town=Enschede&radius=20"
    response = client.post(
        "/student/zoekopdrachten",
        data={"name": "", "query_string": query, "next": f"/plekken/?{query}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/plekken/?{query}"  # back to the results
    saved = db.session.scalar(select(SavedSearch))
    assert saved is not None and saved.query_string == query
    assert "bakker" in saved.name and "Enschede" in saved.name
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "bewaard" in page and "Zoekopdrachten" in page


def test_a_search_without_words_or_town_still_gets_a_name(client, student):
    response = client.post(
        "/student/zoekopdrachten", data={"name": "  ", "query_string": "leerweg=BOL"}
    )
    assert response.status_code == 302
    [name] = db.session.scalars(select(SavedSearch.name)).all()
    assert name.strip()


def test_the_same_search_saved_twice_is_kept_once(client, student):
    for name in ("Koken", "Koken nog eens"):
        client.post("/student/zoekopdrachten", data={"name": name, "query_string": "q=kok"})
    assert db.session.scalar(select(func.count(SavedSearch.id))) == 1


def test_a_too_long_name_is_refused_with_a_message(client, student):
    response = client.post(
        "/student/zoekopdrachten", data={"name": "x" * 121, "query_string": "q=kok"}
    )
    assert response.status_code == 422
    assert "120" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SavedSearch.id))) == 0


def test_saved_searches_and_favourites_are_in_the_students_menu(client, student, make, auth):
    nav = _nav(client.get("/student/").get_data(as_text=True))
    assert 'href="/student/zoekopdrachten"' in nav and 'href="/student/bewaard"' in nav
    home = client.get("/student/").get_data(as_text=True)
    assert home.count('href="/student/zoekopdrachten"') >= 2  # the menu and the home page
    auth.logout()
    auth.login(make.company_user())
    nav = _nav(client.get("/leerbedrijf/").get_data(as_text=True))
    assert "/student/zoekopdrachten" not in nav and "/student/bewaard" not in nav


def _alert_mail(client, student, make, outbox):
    client.post("/student/zoekopdrachten", data={"name": "Kok", "query_string": "crebo=25180"})
    company = make.company(qualifications=[_q("25180")])
    make.placement(company, make.meester(company), title="Nieuwe kokplek")
    db.session.commit()
    assert send_search_alerts() == (1, 1)
    [message] = outbox()
    return message


def test_alert_mail_links_to_the_saved_searches_page(client, student, make, outbox):
    message = _alert_mail(client, student, make, outbox)
    assert message["Subject"] == "StageMatch: 1 nieuwe plek voor 'Kok'"
    body = message.get_content()
    assert "Nieuwe kokplek" in body
    assert _path(mailed_link(message, "/student/zoekopdrachten")) == "/student/zoekopdrachten"
    assert "/student/zoekopdrachten/uit/" in body
    assert '"Bewaarde zoekopdrachten"' not in body  # no longer "delete it there", without a link


def test_unsubscribe_link_works_logged_out_in_two_steps(client, student, make, outbox, auth):
    message = _alert_mail(client, student, make, outbox)
    link = _path(mailed_link(message, "/student/zoekopdrachten/uit/"))
    auth.logout()
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Kok" in html and "<button" in html and 'method="post"' in html
    saved = db.session.scalar(select(SavedSearch))
    assert saved.alert  # a GET (a mail scanner) changes nothing
    done = client.post(link, follow_redirects=True)
    assert done.status_code == 200 and "geen e-mail meer" in done.get_data(as_text=True)
    db.session.refresh(saved)
    assert saved.alert is False
    # New places since: no mail any more.
    company = make.company(qualifications=[_q("25180")])
    make.placement(company, make.meester(company), title="Nog een kokplek")
    db.session.commit()
    outbox_before = len(outbox())
    send_search_alerts()
    assert len(outbox()) == outbox_before
    # Once more: a clear answer, no error.
    assert client.post(link, follow_redirects=True).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_unsubscribe_link_gets_a_clear_message(
    client, student, make, outbox, auth, method
):
    message = _alert_mail(client, student, make, outbox)
    link = _path(mailed_link(message, "/student/zoekopdrachten/uit/"))
    auth.logout()
    response = getattr(client, method)(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"))
    assert response.status_code == 400
    assert "Deze link klopt niet" in response.get_data(as_text=True)
    assert db.session.scalar(select(SavedSearch)).alert
    assert client.get("/student/zoekopdrachten/uit/%00%ff").status_code == 400


def test_unsubscribe_link_of_a_deleted_search_says_so(client, student, make, outbox, auth):
    message = _alert_mail(client, student, make, outbox)
    link = _path(mailed_link(message, "/student/zoekopdrachten/uit/"))
    saved = db.session.scalar(select(SavedSearch))
    assert client.post(f"/student/zoekopdrachten/{saved.id}/verwijderen").status_code == 302
    auth.logout()
    for response in (client.get(link), client.post(link, follow_redirects=True)):
        assert response.status_code == 200
        assert "bestaat niet meer" in response.get_data(as_text=True)


def test_alert_can_be_switched_back_on_from_the_list(client, student):
    client.post("/student/zoekopdrachten", data={"name": "Kok", "query_string": "q=kok"})
    saved = db.session.scalar(select(SavedSearch))
    saved.alert = False
    db.session.commit()
    html = client.get("/student/zoekopdrachten").get_data(as_text=True)
    assert "E-mail staat uit" in html
    response = client.post(f"/student/zoekopdrachten/{saved.id}/mail", data={"alert": "1"})
    assert response.status_code == 302
    db.session.refresh(saved)
    assert saved.alert is True
    client.post(f"/student/zoekopdrachten/{saved.id}/mail", data={"alert": "0"})
    db.session.refresh(saved)
    assert saved.alert is False


def test_another_students_saved_search_is_out_of_reach(client, student, make):
    other = make.student()
    saved = SavedSearch(user=other, name="Van een ander", query_string="q=kok")
    db.session.add(saved)
    db.session.commit()
    assert (
        client.post(f"/student/zoekopdrachten/{saved.id}/mail", data={"alert": "0"}).status_code
        == 403
    )
    db.session.refresh(saved)
    assert saved.alert


# --- registration keeps the place ----------------------------------------------------------------


def test_registration_from_a_place_returns_the_student_to_its_apply_page(client, place, outbox):
    apply_path = f"/plekken/{place.id}/solliciteren"
    detail = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    register = re.search(r'href="(/account/registreren/student[^"]*)"', detail).group(1)
    assert parse_qs(urlsplit(register.replace("&amp;", "&")).query)["next"] == [apply_path]
    login_link = re.search(
        r'href="(/account/inloggen[^"]*)"', detail.split('class="apply-box"')[1]
    ).group(1)
    assert parse_qs(urlsplit(login_link.replace("&amp;", "&")).query)["next"] == [apply_path]

    form = client.get(register.replace("&amp;", "&")).get_data(as_text=True)
    assert "Account maken" in form
    response = client.post(register.replace("&amp;", "&"), data={
        "name": "Sanne de Vries", "email": "sanne@example.nl", "password": PASSWORD, "password2": PASSWORD,
        "school": str(_school_id()),
        "qualification": "25180", "leerweg": "BOL", "town": "Hengelo",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    link = _path(mailed_link(outbox()[0], "/account/bevestigen/"))
    assert parse_qs(urlsplit(link).query)["next"] == [apply_path]
    page = client.get(link).get_data(as_text=True)
    assert "Bevestigen en inloggen" in page
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == apply_path
    assert "Sollicitatie versturen" in client.get(apply_path).get_data(as_text=True)


def _school_id() -> int:
    from stagematch.models import School

    return db.session.scalar(select(School.id).where(School.name == "ROC van Twente"))


def test_a_confirmed_account_logging_in_from_the_link_still_goes_to_the_place(client, place, make):
    user = make.student(qualification=_q("25180"), town="Enschede")
    db.session.commit()
    from stagematch.services.accounts import confirmation_token

    apply_path = f"/plekken/{place.id}/solliciteren"
    # Already confirmed: the page offers to log in, and logging in goes on to the place.
    page = client.get(f"/account/bevestigen/{confirmation_token(user)}?next={apply_path}").get_data(
        as_text=True
    )
    content = page.split('id="inhoud"', 1)[1]
    login_link = (
        re.search(r'href="(/account/inloggen[^"]*)"', content).group(1).replace("&amp;", "&")
    )
    assert parse_qs(urlsplit(login_link).query)["next"] == [apply_path]
    response = client.post(login_link, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == apply_path


@pytest.mark.parametrize("evil", ["https://evil.example/x", "//evil.example", "/\\evil.example"])
def test_registration_next_stays_on_the_site(client, outbox, evil):
    client.post("/account/registreren/student", query_string={"next": evil}, data={
        "name": "Sanne de Vries", "email": "sanne@example.nl", "password": PASSWORD, "password2": PASSWORD,
        "school": str(_school_id()), "qualification": "25180", "leerweg": "BOL", "town": "Hengelo",
    })  # fmt: skip
    link = _path(mailed_link(outbox()[0], "/account/bevestigen/"))
    assert "evil" not in link
    confirmed = client.post(link + "&next=" + evil if "?" in link else link + "?next=" + evil)
    assert confirmed.status_code == 302 and "evil" not in confirmed.headers["Location"]


# --- no second apply form ----------------------------------------------------------------------


def test_the_apply_form_is_not_shown_after_applying(client, student, place):
    apply_path = f"/plekken/{place.id}/solliciteren"
    data = {"motivation": "Ik wil leren koken in een echte keuken.", "anonymous": "y"}
    assert client.post(apply_path, data=data).status_code == 302
    application = db.session.scalar(select(Application))
    again = client.get(apply_path)
    assert again.status_code == 302 and again.headers["Location"] == f"/plekken/{place.id}"
    detail = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    box = detail.split('class="apply-box"', 1)[1].split("</div>", 1)[0]
    assert "Je hebt gesolliciteerd op" in box and "verstuurd" in box  # the status
    assert f'href="/student/sollicitaties#sollicitatie-{application.id}"' in box
    assert apply_path not in detail
    second = client.post(apply_path, data=data, follow_redirects=True)
    assert "al op deze plek gesolliciteerd" in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Application.id))) == 1


# --- favourites ----------------------------------------------------------------------------------


def test_student_saves_a_place_from_the_search_and_returns_there(client, student, place):
    search = client.get("/plekken/", query_string={"q": "kok"}).get_data(as_text=True)
    assert f'action="/student/bewaard/{place.id}"' in search and "Bewaren" in search
    response = client.post(f"/student/bewaard/{place.id}", data={"next": "/plekken/?q=kok"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/plekken/?q=kok#plek-{place.id}"
    assert (
        client.post(f"/student/bewaard/{place.id}", data={"next": "/plekken/?q=kok"}).status_code
        == 302
    )
    assert db.session.scalar(select(func.count(SavedPlace.id))) == 1  # twice: saved once
    search = client.get("/plekken/", query_string={"q": "kok"}).get_data(as_text=True)
    assert f'action="/student/bewaard/{place.id}/verwijderen"' in search
    listing = client.get("/student/bewaard").get_data(as_text=True)
    assert "Leerling-kok" in listing and "Restaurant De Pan" in listing


def test_favourite_button_on_the_place_page_and_removing_it(client, student, place):
    detail = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert f'action="/student/bewaard/{place.id}"' in detail
    client.post(f"/student/bewaard/{place.id}", data={"next": f"/plekken/{place.id}"})
    detail = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert f'action="/student/bewaard/{place.id}/verwijderen"' in detail
    response = client.post(
        f"/student/bewaard/{place.id}/verwijderen", data={"next": "/student/bewaard"}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/student/bewaard"
    )
    assert db.session.scalar(select(func.count(SavedPlace.id))) == 0
    assert "Nog geen bewaarde plekken" in client.get("/student/bewaard").get_data(as_text=True)


def test_a_closed_favourite_shows_as_closed(client, student, place):
    client.post(f"/student/bewaard/{place.id}")
    place.status = PlacementStatus.CLOSED
    db.session.commit()
    listing = client.get("/student/bewaard").get_data(as_text=True)
    assert "Leerling-kok" in listing and "staat niet meer open" in listing


def test_favourites_redirect_only_on_site(client, student, place):
    response = client.post(f"/student/bewaard/{place.id}", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/plekken/{place.id}#plek-{place.id}"


def test_favourites_are_for_students_only(client, make, auth, place):
    assert "/student/bewaard/" not in client.get("/plekken/", query_string={"q": "kok"}).get_data(
        as_text=True
    )
    response = client.post(f"/student/bewaard/{place.id}")
    assert response.status_code == 302 and "/account/inloggen" in response.headers["Location"]
    auth.login(make.company_user())
    assert client.post(f"/student/bewaard/{place.id}").status_code == 403
    assert db.session.scalar(select(func.count(SavedPlace.id))) == 0


def test_a_draft_or_unknown_place_cannot_be_saved(client, student, place):
    place.status = PlacementStatus.DRAFT
    db.session.commit()
    assert client.post(f"/student/bewaard/{place.id}").status_code == 404
    assert client.post("/student/bewaard/999999999").status_code == 404
    assert client.post("/student/bewaard/99999999999999999999").status_code == 404
    assert db.session.scalar(select(func.count(SavedPlace.id))) == 0


# --- SQI explained -------------------------------------------------------------------------------


def test_sqi_is_explained_on_the_place_page(client, place, student):
    html = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert SQI_SENTENCE in html
    assert (
        'class="sqi-heading"' in html
    )  # kept whole on a phone (tests/browser/test_saved_search.py)


# --- application states as properties --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "can_withdraw", "awaiting_answer"),
    [(ApplicationStatus.SUBMITTED, True, True), (ApplicationStatus.SHORTLISTED, True, True),
     (ApplicationStatus.OFFERED, False, False), (ApplicationStatus.ACCEPTED, False, False),
     (ApplicationStatus.REJECTED, False, False), (ApplicationStatus.WITHDRAWN, False, False),
     (ApplicationStatus.EXPIRED, False, False)],
)  # fmt: skip
def test_application_state_properties(status, can_withdraw, awaiting_answer):
    application = Application(status=status)
    assert application.can_withdraw is can_withdraw
    assert application.awaiting_answer is awaiting_answer
    assert application.is_offer is (status == ApplicationStatus.OFFERED)


def test_from_the_login_page_to_registration_the_place_is_kept(client, place):
    apply_path = f"/plekken/{place.id}/solliciteren"
    login = client.get("/account/inloggen", query_string={"next": apply_path}).get_data(
        as_text=True
    )
    choice = (
        re.search(r'href="(/account/registreren\?[^"]*)"', login).group(1).replace("&amp;", "&")
    )
    page = client.get(choice).get_data(as_text=True)
    student = re.search(r'href="(/account/registreren/student[^"]*)"', page).group(1)
    assert parse_qs(urlsplit(student.replace("&amp;", "&")).query)["next"] == [apply_path]


def test_the_alert_mail_has_a_one_click_unsubscribe_header_that_works_without_a_form(
    app, client, student, make, outbox, auth
):
    """RFC 8058: the mail program shows "Afmelden" and POSTs to the header's link itself, with no
    form token; the signed link is the key."""
    message = _alert_mail(client, student, make, outbox)
    link = _path(mailed_link(message, "/student/zoekopdrachten/uit/"))
    header = (message["List-Unsubscribe"] or "").strip()
    assert header.startswith("<http") and header.strip("<>").endswith(link)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    auth.logout()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(_path(header.strip("<>")), data={"List-Unsubscribe": "One-Click"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (200, 302)
    assert db.session.scalar(select(SavedSearch)).alert is False

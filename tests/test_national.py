"""National scope at request level (issue 18, item 3): landelijke places with a lodging
allowance, and searching the whole country ("Heel Nederland")."""

from __future__ import annotations

import re

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Placement
from tests.test_companies import _place_form


def _world(make, *, far_places: int = 1):
    """Places for one qualification: one near Enschede, `far_places` in Maastricht (not national)
    and one national place in Groningen with a lodging allowance."""
    q = make.qualification()
    near_company = make.company(town="Hengelo", qualifications=[q])
    near = make.placement(near_company, make.meester(near_company), title="Dichtbij")
    far = []
    for n in range(far_places):
        company = make.company(town="Maastricht", qualifications=[q])
        far.append(make.placement(company, make.meester(company), title=f"Ver weg {n}"))
    smithy = make.company(town="Groningen", qualifications=[q], name="Smederij Het Aambeeld")
    national = make.placement(smithy, make.meester(smithy, capacity=3), title="Leerling-smid",
                              national=True, lodging_allowance=350)  # fmt: skip
    db.session.commit()
    return q, near, far, national


def _titles(page: str) -> set[str]:
    return set(re.findall(r'id="plek-\d+-titel"><a [^>]*>([^<]+)</a>', page))


def _search(client, q, **args):
    params = {"crebo": q.label, "town": "Enschede", "radius": "25", **args}
    response = client.get("/plekken/", query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_radius_search_shows_national_places_with_their_distance(client, make):
    q, near, far, national = _world(make)
    page = _search(client, q)
    assert _titles(page) == {"Dichtbij", "Leerling-smid"}
    card = page.split(f'id="plek-{national.id}"')[1].split("</article>")[0]
    assert "Landelijk" in card
    assert re.search(r"\d+ km van Enschede", card)  # the distance, however far
    assert "€ 350" in card  # the lodging allowance


def test_heel_nederland_searches_without_a_distance_limit(client, make):
    q, near, far, national = _world(make)
    page = _search(client, q, heel_nederland="1")
    assert _titles(page) == {"Dichtbij", "Ver weg 0", "Leerling-smid"}
    card = page.split(f'id="plek-{far[0].id}"')[1].split("</article>")[0]
    assert re.search(r"\d+ km van Enschede", card)
    assert (
        'name="heel_nederland"' in page and "checked" in page.split('name="heel_nederland"')[1][:80]
    )


def test_few_places_nearby_suggests_the_whole_country_with_the_count(client, make):
    q, near, far, national = _world(make, far_places=3)
    page = _search(client, q)
    assert "Weinig plekken in de buurt" in page
    link = re.search(r'href="([^"]*heel_nederland=1[^"]*)"[^>]*>([^<]*)', page)
    assert link is not None and "zoek in heel Nederland" in link.group(2)
    assert "5 plekken" in page.split("Weinig plekken in de buurt")[1][:300]
    assert _titles(client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)) == {
        "Dichtbij", "Ver weg 0", "Ver weg 1", "Ver weg 2", "Leerling-smid"
    }  # fmt: skip


def test_no_suggestion_when_the_whole_country_adds_nothing_or_is_searched(client, make):
    q, near, far, national = _world(make, far_places=0)
    assert "Weinig plekken in de buurt" not in _search(client, q)
    assert "Weinig plekken in de buurt" not in _search(client, q, heel_nederland="1")


def test_heel_nederland_needs_no_radius_but_shows_distances_from_the_town(client, make):
    q, near, far, national = _world(make)
    page = _search(client, q, radius="", heel_nederland="1")
    assert _titles(page) == {"Dichtbij", "Ver weg 0", "Leerling-smid"}


def test_a_student_finds_a_national_place_beyond_their_travel_radius(client, make, auth):
    q, near, far, national = _world(make)
    student = make.student(town="Enschede", qualification=q, max_travel_km=20)
    auth.login(student)
    page = client.get("/plekken/").get_data(as_text=True)  # starts from the student's own radius
    assert "Leerling-smid" in _titles(page) and "Ver weg 0" not in _titles(page)
    page = client.get(f"/plekken/{national.id}").get_data(as_text=True)
    assert "Landelijk" in page and "€ 350" in page
    assert "te ver weg" not in page


def test_company_publishes_a_national_place_with_an_allowance(client, company_user, make):
    company = company_user.company
    meester = make.meester(company)
    db.session.commit()
    data = _place_form(company, meester, national="y", lodging_allowance="275")
    response = client.post("/leerbedrijf/plekken/nieuw", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    place = db.session.scalar(select(Placement).where(Placement.company_id == company.id))
    assert (place.national, place.lodging_allowance) == (True, 275)
    page = client.get(f"/plekken/{place.id}").get_data(as_text=True)
    assert "Landelijk" in page and "€ 275" in page
    edit = client.get(f"/leerbedrijf/plekken/{place.id}/bewerken").get_data(as_text=True)
    assert "Landelijk: de leerling mag uit het hele land komen" in edit
    assert 'value="275"' in edit


def test_place_form_refuses_a_bad_allowance_and_keeps_the_input(client, company_user, make):
    company = company_user.company
    meester = make.meester(company)
    db.session.commit()
    for bad in ("-5", "abc", "100000"):
        data = _place_form(
            company, meester, title="Mijn titel", national="y", lodging_allowance=bad
        )
        response = client.post("/leerbedrijf/plekken/nieuw", data=data)
        assert response.status_code in (200, 422), bad
        page = response.get_data(as_text=True)
        assert "Mijn titel" in page
    assert db.session.scalar(select(Placement).where(Placement.company_id == company.id)) is None


def test_a_plain_place_is_not_national(client, company_user, make):
    company = company_user.company
    meester = make.meester(company)
    db.session.commit()
    client.post("/leerbedrijf/plekken/nieuw", data=_place_form(company, meester))
    place = db.session.scalar(select(Placement).where(Placement.company_id == company.id))
    assert (place.national, place.lodging_allowance) == (False, 0)
    assert "Landelijk" not in client.get(f"/plekken/{place.id}").get_data(as_text=True)


def test_registration_offers_every_school_grouped_by_province(client):
    page = client.get("/account/registreren/student").get_data(as_text=True)
    select_html = page.split('name="school"')[1].split("</select>")[0]
    assert len(re.findall(r"<option ", select_html)) >= 56  # the placeholder and >= 55 schools
    groups = re.findall(r'<optgroup label="([^"]+)"', select_html)
    assert groups == sorted(groups) and "Overijssel" in groups and "Limburg" in groups
    overijssel = select_html.split('label="Overijssel"')[1].split("</optgroup>")[0]
    assert "ROC van Twente" in overijssel and "Yuverta" not in overijssel


def test_student_profile_offers_every_school_grouped_by_province(client, make, auth):
    student = make.student(school=make.school("Yuverta"))
    auth.login(student)
    page = client.get("/student/profiel").get_data(as_text=True)
    select_html = page.split('name="school"')[1].split("</select>")[0]
    assert '<optgroup label="Utrecht">' in select_html
    assert re.search(r'<option selected value="\d+">Yuverta</option>', select_html)

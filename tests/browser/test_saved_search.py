"""The student's everyday path on a 360 px phone (issue #21, item 4): save a search from the search
page, find it in the menu, switch its alert off from the mail's link after logging out; keep a
place as a favourite; read what "SQI" means without the heading breaking mid-word."""

from __future__ import annotations

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Qualification, SavedPlace, SavedSearch
from stagematch.services.alerts import send_search_alerts
from tests.browser.conftest import (
    PHONE,
    assert_no_horizontal_scroll,
    flash_text,
    login,
    main,
    screenshot,
)
from tests.conftest import mailed_link


def _student_and_place(make):
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    student = make.student(
        qualification=kok, town="Enschede", max_travel_km=25, name="Sanne de Vries"
    )
    company = make.company(qualifications=[kok], town="Enschede", name="Restaurant De Pan")
    meester = make.meester(company, capacity=4)
    place = make.placement(company, meester, title="Leerling-kok in een drukke keuken", seats=2)
    db.session.commit()
    return student, company, meester, place


def _menu(page):
    return page.get_by_role("navigation", name="Hoofdmenu")


def _site_path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_student_saves_a_search_finds_it_in_the_menu_and_unsubscribes_from_the_mail(
    make, new_page, outbox
):
    student, company, meester, _place = _student_and_place(make)
    page = new_page(*PHONE)
    login(page, student)

    # The search page, with words: save it without typing a name.
    _menu(page).get_by_role("link", name="Zoeken").click()
    page.wait_for_url("**/plekken/**")
    page.locator("#q").fill("kok")
    main(page).get_by_role("button", name="Zoeken", exact=True).click()
    page.wait_for_url("**q=kok**")
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("button", name="Zoekopdracht bewaren").click()
    page.wait_for_url("**/plekken/?**")
    assert "bewaard" in flash_text(page)
    assert_no_horizontal_scroll(page)
    screenshot(page, "student-search-saved-360")
    saved = db.session.scalar(select(SavedSearch))
    assert saved is not None and "kok" in saved.name.lower()

    # Found again from the menu.
    _menu(page).get_by_role("link", name="Zoekopdrachten").click()
    page.wait_for_url("**/student/zoekopdrachten")
    assert main(page).get_by_role("link", name=saved.name).is_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "student-saved-searches-360")

    # A new place: the alert mail, with the unsubscribe link; the student logs out first.
    make.placement(company, meester, title="Hulpkok voor de lunch")
    db.session.commit()
    assert send_search_alerts() == (1, 1)
    [message] = outbox()
    assert "Hulpkok voor de lunch" in message.get_content()
    link = _site_path(mailed_link(message, "/student/zoekopdrachten/uit/"))
    _menu(page).get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(lambda url: "/student/" not in url)

    page.goto(link)
    assert_no_horizontal_scroll(page)
    db.session.expire_all()
    assert db.session.get(SavedSearch, saved.id).alert  # opening the link changes nothing
    main(page).get_by_role("button", name="Geen e-mail meer over deze zoekopdracht").click()
    page.wait_for_load_state()
    assert "geen e-mail meer" in main(page).inner_text()
    assert_no_horizontal_scroll(page)
    screenshot(page, "student-alert-unsubscribed-360")
    db.session.expire_all()
    assert db.session.get(SavedSearch, saved.id).alert is False


def test_student_keeps_a_favourite_and_reads_what_sqi_means_on_a_phone(make, new_page):
    student, _company, _meester, place = _student_and_place(make)
    page = new_page(*PHONE)
    login(page, student)
    page.goto(f"/plekken/{place.id}")
    assert_no_horizontal_scroll(page)

    # "Begeleidingskwaliteit" stays whole: every character of the word on one line box.
    lines = page.evaluate(
        """() => {
            const h = document.querySelector('.sqi-heading');
            const node = [...h.childNodes].find(n => n.nodeType === 3 && n.data.includes('Begeleidingskwaliteit'));
            const start = node.data.indexOf('Begeleidingskwaliteit');
            const tops = new Set();
            for (let i = start; i < start + 'Begeleidingskwaliteit'.length; i++) {
                const r = document.createRange();
                r.setStart(node, i); r.setEnd(node, i + 1);
                tops.add(Math.round(r.getBoundingClientRect().top));
            }
            return tops.size;
        }"""
    )
    assert lines == 1, "the heading breaks inside 'Begeleidingskwaliteit'"
    assert "SQI = begeleidingskwaliteit" in main(page).inner_text()

    main(page).get_by_role("button", name="Bewaren").click()
    page.wait_for_url(f"**/plekken/{place.id}#plek-{place.id}")
    assert "Bewaard" in flash_text(page)
    assert db.session.scalar(select(SavedPlace.placement_id)) == place.id
    _menu(page).get_by_role("link", name="Bewaard").click()
    page.wait_for_url("**/student/bewaard")
    assert main(page).get_by_role("link", name=place.title).is_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "student-favourites-360")

"""'Waarom zie ik dit?' on a 360 px phone: the student opens the explanation of a suggested place
from the home list, objects, the coordinator answers, and the student reads the answer."""

from __future__ import annotations

from stagematch.extensions import db
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, flash_text, login, screenshot

OBJECTION = "Ik zoek een plek met meer uren in de keuken, niet achter de kassa."
ANSWER = "Goed dat je het zegt. Zet keuken bij je interesses; dan komen die plekken bovenaan."


def test_a_student_objects_on_a_phone_and_reads_the_coordinators_answer(make, new_page):
    company = make.company(town="Enschede")
    make.placement(company, make.meester(company, capacity=3), title="Stage in de keuken")
    student = make.student(town="Hengelo")
    coordinator = make.coordinator(student.school)
    db.session.commit()

    page = new_page(*PHONE)
    login(page, student)
    page.goto("/student/")
    page.get_by_role("link", name="Waarom zie ik dit?").first.click()
    # is_visible() does not wait: the new page must have loaded (failed once under load in CI).
    page.get_by_role("heading", name="Waarom zie ik dit?").wait_for(state="visible")
    assert page.get_by_role("heading", name="Aan deze regels voldoet de plek").is_visible()
    assert page.get_by_role("heading", name="Hoe werkt dit?").is_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "objection-explanation-phone")
    page.get_by_label("Je bezwaar").fill(OBJECTION)
    page.get_by_role("button", name="Bezwaar versturen").click()
    assert "Je bezwaar is verstuurd" in flash_text(page)
    assert OBJECTION in page.content() and coordinator.name in page.content()

    page.context.clear_cookies()
    login(page, coordinator)
    page.goto("/coordinator/bezwaren")
    page.get_by_role("link", name="Stage in de keuken").click()
    assert OBJECTION in page.content()
    page.get_by_label("Je antwoord").fill(ANSWER)
    page.get_by_role("button", name="Antwoord versturen").click()
    assert "Je antwoord is verstuurd." in flash_text(page)

    page.context.clear_cookies()
    login(page, student)
    page.goto("/student/bezwaren")
    assert ANSWER in page.content()
    assert_no_horizontal_scroll(page)
    screenshot(page, "objection-answer-phone")

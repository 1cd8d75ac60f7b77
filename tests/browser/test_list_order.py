"""Working without the model on a 360 px phone without JavaScript: the student switches the home
list to distance, the page comes back in that order, and the choice holds on the search page."""

from __future__ import annotations

from datetime import timedelta

from stagematch import geo
from stagematch.extensions import db
from stagematch.timeutil import today
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, flash_text, login, screenshot


def test_a_student_switches_to_distance_on_a_phone_without_javascript(make, new_page):
    q = make.qualification()
    for i, town in enumerate(("Almelo", "Hengelo", "Enschede")):
        t = geo.find_town(town)
        company = make.company(town=town, qualifications=[q])
        make.placement(company, make.meester(company, capacity=3), title=f"Stage in {town}",
                       start_date=today() + timedelta(days=30 + 10 * i),
                       city=t.name, lat=t.lat, lon=t.lon)  # fmt: skip
    student = make.student(qualification=q, town="Hengelo")
    db.session.commit()

    page = new_page(*PHONE, java_script_enabled=False)
    login(page, student)
    page.goto("/student/")
    page.get_by_text("Volgorde: beste match (model)").click()  # folded away until asked for
    order = page.get_by_role("group", name="Volgorde")
    assert order.get_by_label("beste match (model)").is_checked()
    assert_no_horizontal_scroll(page)
    order.get_by_label("afstand").check()
    page.get_by_role("button", name="Volgorde bewaren").click()
    assert "De volgorde is bewaard." in flash_text(page)
    page.get_by_text("Volgorde: afstand").click()
    assert page.get_by_role("group", name="Volgorde").get_by_label("afstand").is_checked()
    titles = page.locator("article.place-card h3").all_inner_texts()
    assert titles == ["Stage in Hengelo", "Stage in Enschede", "Stage in Almelo"]
    screenshot(page, "list-order-phone")
    page.goto("/plekken/")
    assert page.locator("article.place-card h3").all_inner_texts() == titles
    assert_no_horizontal_scroll(page)

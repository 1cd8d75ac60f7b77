"""A zij-instromer on a 360 px phone (issue 18): hired without a school, says what they can
already do, chooses a school with the employer; the school confirms the EVC; the learner reads
"bevestigd door <school>"."""

from __future__ import annotations

import math
from datetime import date, timedelta

from stagematch.extensions import db
from stagematch.models.enums import Leerweg
from stagematch.services import adults
from stagematch.services import applications as application_service
from stagematch.timeutil import today
from stagematch.wages import ADULT, minimum_wage
from tests.browser.conftest import (
    LAPTOP,
    PHONE,
    assert_no_horizontal_scroll,
    flash_text,
    login,
    screenshot,
)


def test_a_switcher_hired_first_chooses_a_school_and_the_school_confirms(make, new_page):
    qualification = make.qualification()
    company = make.company(qualifications=[qualification], name="Smederij Hamer")
    meester = make.meester(company, capacity=3)
    start = today() + timedelta(days=30)
    pay = math.ceil(minimum_wage(ADULT, start).monthly(32))
    place = make.placement(company, meester, leerweg=Leerweg.BBL, days_per_week=4,
                           hours_per_week=32, pay_per_month=pay, wage_age=ADULT,
                           title="Smid in opleiding", for_switchers=True, start_date=start)  # fmt: skip
    school = make.school()
    coordinator = make.coordinator(school)
    user = make.student(leerweg=Leerweg.BBL, qualification=qualification,
                        birth_date=date(today().year - 38, 3, 1), name="Karin Bos")  # fmt: skip
    user.school, user.profile.school = None, None
    db.session.commit()
    application = application_service.apply(student=user.profile, placement=place,
                                             motivation="Ik wil smid worden.")  # fmt: skip
    internship = application_service.accept(application.id)
    first, second = adults.processes_for(qualification)[:2]

    page = new_page(*PHONE)
    login(page, user)
    page.goto("/student/")
    assert "nog geen school" in page.content()
    page.get_by_role("link", name="Wat kun je al?").click()
    page.get_by_label("Je werkervaring").fill("Twaalf jaar monteur.")
    page.get_by_label("Hoeveel jaar werkervaring heb je?").fill("12")
    page.locator(f"input[name='level-{first.id}'][value='good']").check()
    page.locator(f"input[name='level-{second.id}'][value='some']").check()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Bewaren").click()
    assert "Je antwoorden zijn bewaard." in flash_text(page)

    page.goto(f"/stage/{internship.id}")
    assert "De overeenkomst wacht op de school" in page.content()
    page.get_by_role("link", name="Kies samen met je werkgever een school").click()
    assert "Smederij Hamer" in page.content()
    page.get_by_label(school.name, exact=False).first.check()
    assert_no_horizontal_scroll(page)
    screenshot(page, "switcher-choose-school-phone")
    page.get_by_role("button", name="Deze school kiezen").click()
    assert school.name in flash_text(page)
    page.goto(f"/stage/{internship.id}")
    assert "Lezen en tekenen" in page.content()  # version 1 waits for the student first

    desk = new_page(*LAPTOP)  # the coordinator, in a browser context of their own
    login(desk, coordinator)
    desk.goto(f"/coordinator/studenten/{user.profile.id}")
    desk.get_by_role("link", name="Wat kan de student al? (EVC)").click()
    assert "Twaalf jaar monteur." in desk.content()
    desk.locator(f"select[name='level-{second.id}']").select_option("not_yet")
    desk.locator(f"input[name='note-{second.id}']").fill("Eerst samen oefenen.")
    desk.get_by_role("button", name="Bevestigen").click()
    assert "De EVC is bevestigd." in flash_text(desk)

    page.goto("/student/wat-kan-ik-al")
    assert f"bevestigd door {school.name}" in page.content()
    assert "Eerst samen oefenen." in page.content()
    assert_no_horizontal_scroll(page)
    screenshot(page, "switcher-evc-confirmed-phone")

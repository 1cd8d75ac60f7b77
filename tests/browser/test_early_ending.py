"""Ending a placement early, on a phone (issue 17, "another ends a placement early and frees the
capacity"): the leerbedrijf asks to end a running placement, the coordinator approves with a
reason after confirming, the meester's load shows the learner gone, and the student sees places
that fit the weeks left."""

from __future__ import annotations

from datetime import timedelta

from stagematch.extensions import db
from stagematch.models import Application
from stagematch.services import applications as application_service
from stagematch.timeutil import today
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, login, main, screenshot


def test_a_company_ends_a_placement_early_and_the_capacity_is_freed(make, new_page):
    company = make.company(name="Bakkerij De Korenbloem", town="Hengelo")
    owner = make.company_user(company)
    meester = make.meester(company, capacity=2, name="Jan Meester")
    place = make.placement(company, meester, title="Leerling-bakker", seats=1)
    other = make.meester(company, capacity=2, name="Piet Meester")
    make.placement(company, other, title="Banketbakker in de winkel", duration_weeks=10,
                   start_date=today() + timedelta(days=7))  # fmt: skip
    student = make.student(name="Sanne de Vries")
    coordinator = make.coordinator(student.school)
    db.session.commit()
    application = Application(student=student.profile, placement=place, motivation="Graag.")
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date = today() - timedelta(days=21)
    internship.end_date = internship.start_date + timedelta(weeks=20)
    db.session.commit()
    yesterday = today() - timedelta(days=1)

    # The leerbedrijf asks.
    page = new_page(*PHONE)
    login(page, owner)
    page.goto("/leerbedrijf/begeleiders")
    assert "1 bezig" in main(page).inner_text()
    page.goto(f"/stage/{internship.id}")
    main(page).get_by_role("link", name="Vragen om de stage eerder te beëindigen").click()
    page.get_by_label("Waarom moet de stage eerder stoppen?").fill("We sluiten de bakkerij.")
    page.get_by_label("Voorgestelde laatste stagedag").fill(yesterday.isoformat())
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("button", name="Verzoek versturen").click()
    page.wait_for_url(f"**/stage/{internship.id}#beeindigen")
    assert "Wacht op besluit van de school" in main(page).inner_text()
    screenshot(page, "ending-requested")

    # The coordinator approves with a reason, after a confirming step.
    page.context.clear_cookies()
    login(page, coordinator)
    page.goto("/coordinator/")
    main(page).get_by_role("link", name="Verzoeken om eerder te stoppen (1)").click()
    main(page).get_by_role("link", name="Sanne de Vries").click()
    assert "We sluiten de bakkerij." in main(page).inner_text()
    page.get_by_label("Goedkeuren: de stage stopt").check()
    page.get_by_label("Bedrijf stopt of reorganiseert").check()
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("button", name="Verder").click()
    assert "Weet je het zeker?" in main(page).inner_text()
    main(page).get_by_role("button", name="Ja, stage beëindigen").click()
    page.wait_for_url(f"**/stage/{internship.id}#beeindigen")
    text = main(page).inner_text()
    assert "Voortijdig beëindigd" in text and "Hulp bij een nieuwe plek" in text
    assert "Banketbakker in de winkel" in text
    assert_no_horizontal_scroll(page)

    # The meester's learner is gone.
    page.context.clear_cookies()
    login(page, owner)
    page.goto("/leerbedrijf/begeleiders")
    mentors = main(page).inner_text()
    assert "Jan Meester" in mentors and "1 bezig" not in mentors  # Piet has none either
    screenshot(page, "ending-capacity-freed")

    # The student sees places that fit the weeks left.
    page.context.clear_cookies()
    login(page, student)
    page.goto(f"/stage/{internship.id}")
    help_ = page.locator("#nieuwe-plek")
    assert "Hulp bij een nieuwe plek" in help_.inner_text()
    assert "Banketbakker in de winkel" in help_.inner_text()
    assert_no_horizontal_scroll(page)
    screenshot(page, "ending-replacement")

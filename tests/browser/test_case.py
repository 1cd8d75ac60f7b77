"""A discrimination report handled end to end on a 360 px phone: the student reports it, the
coordinator opens the case from the flags list, takes it over, sets the priority, writes to the
student and resolves it; the student reads the answer next to the report."""

from __future__ import annotations

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application, Flag, FlagAction
from stagematch.services import applications as application_service
from tests.browser.conftest import (
    PHONE,
    assert_no_horizontal_scroll,
    flash_text,
    login,
    main,
    screenshot,
)

REPORT = "Bij het gesprek vroeg de eigenaar of mijn ouders wel Nederlands spreken."
ANSWER = "We hebben met het bedrijf gesproken en het aan SBB gemeld. Je hoeft er niet meer heen."


def _press(page, name: str) -> str:
    """Press a button in the page's main content, wait for the next page; its flash message."""
    with page.expect_navigation():
        main(page).get_by_role("button", name=name).click()
    return flash_text(page)


def test_coordinator_handles_a_discrimination_case_end_to_end(make, new_page):
    company = make.company(name="Autobedrijf Van der Berg", town="Hengelo")
    place = make.placement(company, make.meester(company, capacity=3), title="Leerling-monteur")
    student = make.student(name="Liza de Strigter", skills="sleutelen")
    db.session.add(Application(student=student.profile, placement=place))
    coordinator = make.coordinator()
    db.session.commit()

    # The student reports, on a phone.
    page = new_page(*PHONE)
    login(page, student)
    page.goto("/student/sollicitaties")
    main(page).get_by_role("link", name="Discriminatie melden").click()
    assert_no_horizontal_scroll(page)
    page.get_by_label("Wat is er gebeurd?").fill(REPORT)
    main(page).get_by_role("button", name="Melding versturen").click()
    page.wait_for_url("**/student/sollicitaties")
    assert "Bedankt voor je melding" in flash_text(page)
    assert "in behandeling" in main(page).inner_text()

    # The coordinator opens the case from the flags list.
    coordinator_page = new_page(*PHONE)
    login(coordinator_page, coordinator)
    coordinator_page.goto("/coordinator/signalen")
    assert_no_horizontal_scroll(coordinator_page)
    main(coordinator_page).get_by_role("link", name="Melding van discriminatie").first.click()
    coordinator_page.wait_for_url("**/coordinator/signalen/*")
    content = main(coordinator_page)
    assert REPORT in content.inner_text()
    assert "Autobedrijf Van der Berg" in content.inner_text()
    assert "Liza de Strigter" in content.inner_text()
    assert_no_horizontal_scroll(coordinator_page)

    assert "Je bent nu eigenaar" in _press(coordinator_page, "Neem over")
    content.get_by_label("Prioriteit", exact=True).select_option(label="hoog")
    assert "Prioriteit aangepast" in _press(coordinator_page, "Prioriteit opslaan")
    content.get_by_role("textbox", name="Bericht aan de student").fill(ANSWER)
    assert "Bericht verstuurd" in _press(coordinator_page, "Bericht versturen")
    content.get_by_label("Wat heb je gedaan?").fill("Gesprek met de eigenaar, gemeld bij SBB.")
    assert "Afgehandeld" in _press(coordinator_page, "Afhandelen")
    history = content.locator(".case-history").inner_text()
    for step in ("Eigenaar", "Prioriteit", "Bericht aan de student", "Afgehandeld"):
        assert step in history, step
    assert coordinator.name in history
    assert_no_horizontal_scroll(coordinator_page)
    screenshot(coordinator_page, "coordinator-case")

    flag = db.session.scalar(select(Flag).where(Flag.kind == "discrimination"))
    assert flag.owner_id == coordinator.id and flag.priority == "high" and flag.resolved_at
    kinds = db.session.scalars(
        select(FlagAction.kind).where(FlagAction.flag_id == flag.id).order_by(FlagAction.id)
    ).all()
    assert kinds == ["owner", "priority", "message", "resolved"]

    # The student sees the answer next to the report.
    page.goto("/student/sollicitaties")
    text = main(page).inner_text()
    assert ANSWER in text and REPORT in text and "afgehandeld" in text
    assert "SBB." not in text.replace(ANSWER, "")  # the resolution note stays with the school
    assert_no_horizontal_scroll(page)
    screenshot(page, "student-case-answer")


def test_coordinator_lists_filter_and_fit_a_phone(make, new_page):
    coordinator = make.coordinator()
    company = make.company(name="Kapsalon Knip & Go", town="Almelo")
    place = make.placement(company, make.meester(company, name="Karin Schaar", capacity=3))
    student = make.student(name="Noor Bakker", skills="knippen")
    application = Application(student=student.profile, placement=place)
    db.session.add(application)
    db.session.commit()
    application_service.accept(application.id)
    db.session.commit()

    page = new_page(*PHONE)
    login(page, coordinator)
    for url, field, value, expected in [
        ("/coordinator/bedrijven", "Naam of plaats", "almelo", "Kapsalon Knip & Go"),
        ("/coordinator/studenten", "Naam, e-mail of studentnummer", "noor", "Noor Bakker"),
        ("/coordinator/stages", "Meester", "karin", "Noor Bakker"),
    ]:
        page.goto(url)
        main(page).get_by_label(field).fill(value)
        with page.expect_navigation():
            main(page).get_by_role("button", name="Filteren").click()
        assert expected in main(page).inner_text(), url
        assert main(page).get_by_label(field).input_value() == value  # the form keeps its value
        assert_no_horizontal_scroll(page)
        main(page).get_by_label(field).fill("zzzz")
        with page.expect_navigation():
            main(page).get_by_role("button", name="Filteren").click()
        assert "gevonden voor 'zzzz'" in main(page).inner_text(), url
    page.goto("/coordinator/signalen?van=mij&prioriteit=high")
    assert main(page).get_by_label("Eigenaar").input_value() == "mij"
    assert "Geen signalen met deze filters." in main(page).inner_text()
    assert_no_horizontal_scroll(page)

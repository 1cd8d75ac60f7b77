"""A student whose birth date is unknown (signed up without it, or imported without the column)
gives it on the agreement before signing; under 18 on the start date, the guardian step follows
(issue 17). On a phone, as most students sign."""

from __future__ import annotations

from datetime import timedelta

from stagematch.extensions import db
from stagematch.models import Application
from stagematch.services import applications as application_service
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, flash_text, login, main


def test_a_student_without_a_birth_date_gives_it_and_then_gets_the_guardian_step(make, new_page):
    company = make.company(name="Bakkerij Bol")
    meester = make.meester(company, capacity=2)
    place = make.placement(company, meester, title="Stage bakkerij")
    student = make.student(name="Jip Jong", birth_date=None)
    db.session.commit()
    application = Application(student=student.profile, placement=place, motivation="Graag.")
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    stage = f"/stage/{internship.id}"
    sixteen = internship.start_date.replace(year=internship.start_date.year - 16)

    page = new_page(*PHONE)
    login(page, student)
    page.goto(stage)
    text = main(page).inner_text()
    assert "Vul eerst je geboortedatum in" in text and "Lezen en tekenen" not in text
    main(page).get_by_role("link", name="Geboortedatum invullen").click()
    page.wait_for_url(f"**{stage}/overeenkomst/geboortedatum")
    main(page).get_by_role("button", name="Opslaan").click()  # nothing filled in
    assert "Vul je geboortedatum in." in main(page).inner_text()
    assert_no_horizontal_scroll(page)
    # A date input: the browser's own picker sends 2010-11-25.
    page.get_by_label("Je geboortedatum").fill((sixteen + timedelta(days=1)).isoformat())
    main(page).get_by_role("button", name="Opslaan").click()
    page.wait_for_url(f"**{stage}#overeenkomst")
    assert "vul nu de gegevens van je ouder of verzorger in" in flash_text(page)
    text = main(page).inner_text()
    assert "Je bent op de begindatum nog geen 18" in text
    assert "Ouder/verzorger: daarna" in text
    assert_no_horizontal_scroll(page)

"""An allocation round from opening to an accepted offer, in the browser: the coordinator opens a
round for a cohort, a student orders the places on a phone, the leerbedrijf ranks the students who
chose its meester's places, the coordinator computes and publishes, the student takes the offer."""

from __future__ import annotations

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import AllocationRound, Application, Internship, RoundStudent
from stagematch.models.enums import ApplicationStatus
from tests.browser.conftest import (
    LAPTOP,
    PHONE,
    assert_no_horizontal_scroll,
    flash_text,
    login,
    main,
    screenshot,
)


def test_allocation_round_from_opening_to_accepted_offer(make, new_page):
    q = make.qualification()
    roc = make.school()
    coordinator = make.coordinator(roc)
    students = [
        make.student(school=roc, qualification=q, town=town, name=name).profile
        for town, name in (("Hengelo", "Sanne Visser"), ("Enschede", "Daan Mulder"),
                           ("Almelo", "Noor Bos"))
    ]  # fmt: skip
    bakery = make.company(qualifications=[q], town="Enschede", name="Bakkerij Ten Brinke")
    garage = make.company(qualifications=[q], town="Hengelo", name="Zorghuis De Es")
    anja = make.meester(bakery, name="Anja Ten Brinke", capacity=1)
    kees = make.meester(garage, name="Kees Oude", capacity=2)
    make.placement(bakery, anja, title="Stage in de bakkerij", seats=1)
    make.placement(garage, kees, title="Stage in de zorg", seats=2)
    owner = make.company_user(bakery)
    db.session.commit()
    sanne = students[0]
    sanne_email = sanne.user.email

    # The coordinator opens a round for the cohort.
    page = new_page(*LAPTOP)
    login(page, coordinator)
    main(page).get_by_role("link", name="Verdeelrondes").click()
    page.wait_for_url("**/coordinator/verdeelrondes")
    main(page).get_by_role("button", name="Nieuwe ronde").click()
    page.locator("#name").fill("Verzorgende IG, start februari")
    page.locator("#qualification").select_option(value=str(q.id))
    page.locator("#max_choices").fill("2")
    main(page).get_by_role("button", name="Ronde openen").click()
    page.wait_for_url("**/coordinator/verdeelrondes/*")
    assert "De ronde is open: 3 studenten kunnen kiezen uit 2 plekken" in flash_text(page)
    round_id = db.session.scalar(select(AllocationRound.id))

    # Sanne, on her phone, puts the bakery first.
    student_page = new_page(*PHONE)
    login(student_page, sanne_email)
    main(student_page).get_by_role("button", name="Plekken kiezen").click()
    student_page.wait_for_url(f"**/student/verdeelronde/{round_id}")
    assert_no_horizontal_scroll(student_page)
    card = main(student_page).locator("article").filter(has_text="Stage in de bakkerij")
    card.get_by_label("Jouw keuze").select_option(label="keuze 1")
    other = main(student_page).locator("article").filter(has_text="Stage in de zorg")
    other.get_by_label("Jouw keuze").select_option(label="keuze 2")
    main(student_page).get_by_role("button", name="Keuzes opslaan").click()
    student_page.wait_for_url(f"**/student/verdeelronde/{round_id}")
    assert "Je keuzes zijn opgeslagen" in flash_text(student_page)

    # The bakery ranks, for Anja, the students who chose her place; they stay anonymous.
    company_page = new_page(*LAPTOP)
    login(company_page, owner)
    main(company_page).get_by_role("button", name="Studenten rangschikken").click()
    company_page.wait_for_url(f"**/leerbedrijf/verdeelrondes/{round_id}")
    text = main(company_page).inner_text()
    assert "Anja Ten Brinke" in text and "Sanne Visser" not in text
    main(company_page).get_by_role("button", name="Volgorde opslaan voor Anja Ten Brinke").click()
    company_page.wait_for_url(f"**/leerbedrijf/verdeelrondes/{round_id}")
    assert "De volgorde voor Anja Ten Brinke is opgeslagen" in flash_text(company_page)

    # The coordinator computes, reviews and publishes (after confirming).
    page.reload()
    main(page).get_by_role("button", name="Verdeling berekenen").click()
    page.wait_for_url(f"**/coordinator/verdeelrondes/{round_id}")
    assert "Berekend: 3 van de 3 studenten hebben een plek" in flash_text(page)
    db.session.expire_all()
    assigned = db.session.scalar(
        select(RoundStudent).where(RoundStudent.student_id == sanne.id)
    ).assigned_placement
    row = main(page).get_by_role("row").filter(has_text="Sanne Visser")
    assert assigned.title in row.inner_text()
    main(page).get_by_text("Publiceren…").click()
    main(page).get_by_role("button", name="Ja, publiceren").click()
    page.wait_for_url(f"**/coordinator/verdeelrondes/{round_id}")
    assert "Gepubliceerd: 3 studenten hebben een aanbod gekregen" in flash_text(page)
    screenshot(page, "allocation_coordinator")

    # Sanne takes her offer.
    student_page.goto("/student/sollicitaties")
    offer = main(student_page).locator("article, li, tr").filter(has_text=assigned.title)
    assert "Reageer uiterlijk op" in offer.first.inner_text()  # a round's offer has a date too
    offer.first.get_by_text("Aanbod aannemen…").click()
    offer.first.get_by_role("button", name="Ja, aannemen").click()
    student_page.wait_for_url("**/student/sollicitaties")
    assert "Gefeliciteerd" in flash_text(student_page)
    assert_no_horizontal_scroll(student_page)
    screenshot(student_page, "allocation_journey")

    db.session.expire_all()
    application = db.session.scalar(
        select(Application).where(
            Application.student_id == sanne.id, Application.round_id == round_id
        )
    )
    assert application.status == ApplicationStatus.ACCEPTED
    assert db.session.scalar(select(Internship).where(Internship.student_id == sanne.id))

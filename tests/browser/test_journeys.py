"""Journeys through the real site in a real browser, one per kind of user, each ending with a
screenshot of its last page in test-artifacts/screenshots/.

Each test builds its data with the `make` factory and commits before the browser acts; the browser
only does what a person would do: follow links, fill in forms, press buttons."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application, Internship, Placement, User
from stagematch.models.enums import ApplicationStatus, Leerweg, PlacementStatus
from stagematch.services import applications as application_service
from stagematch.timeutil import today
from tests.browser.conftest import (
    LAPTOP,
    PHONE,
    assert_no_horizontal_scroll,
    flash_text,
    login,
    main,
    screenshot,
)
from tests.conftest import PASSWORD, mailed_link

# --- a. student, on a phone ---------------------------------------------------------------------


def test_student_registers_completes_profile_searches_and_applies(make, new_page, outbox):
    qualification = make.qualification()
    company = make.company(town="Enschede", name="Bakkerij De Korenbloem")
    meester = make.meester(company, name="Anja Bakker", capacity=3)
    make.placement(
        company, meester, title="Leerling-bakker in onze bakkerij", seats=2,
        tasks="Je leert deeg maken, bakken en de winkel runnen.",
    )  # fmt: skip
    db.session.commit()

    page = new_page(*PHONE)
    page.goto("/")
    assert_no_horizontal_scroll(page)
    page.goto("/account/registreren/student")
    assert_no_horizontal_scroll(page)
    page.locator("#name").fill("Sanne de Vries")
    page.locator("#email").fill("sanne@example.nl")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password2").fill(PASSWORD)
    page.locator("#school").select_option(label="ROC van Twente")
    page.locator("#qualification").fill(qualification.crebo)
    page.get_by_label("BOL", exact=False).first.check()
    page.locator("#town").fill("Hengelo")
    main(page).get_by_role("button", name="Account maken").click()
    page.wait_for_url("**/account/kijk-in-je-mail")
    assert_no_horizontal_scroll(page)
    # The confirmation link from the mail: its page has one button, which logs the student in.
    link = mailed_link(outbox()[0], "/account/bevestigen/")
    page.goto("/" + link.split("://", 1)[1].split("/", 1)[1])
    main(page).get_by_role("button", name="Bevestigen en inloggen").click()
    page.wait_for_url("**/student/")
    assert "Welkom" in flash_text(page)
    assert_no_horizontal_scroll(page)

    # Complete the profile: the progress bar drives a student to fill in what matching needs.
    page.get_by_role("button", name="Profiel aanvullen").click()
    page.wait_for_url("**/student/profiel")
    assert_no_horizontal_scroll(page)
    page.locator("#available_from").fill((today() + timedelta(days=20)).isoformat())
    page.locator("#skills").fill("klantcontact, kassa, deeg kneden")
    page.locator("#interests").fill("bakken, vroeg opstaan")
    page.locator("#motivation").fill(
        "Ik wil leren bakken in een echte bakkerij. Ik ben op tijd en werk graag met mijn handen."
    )
    main(page).get_by_role("button", name="Opslaan").click()
    page.wait_for_url("**/student/")
    assert "Je profiel is opgeslagen" in flash_text(page)
    assert main(page).locator("progress").get_attribute("value") == "6"

    # Search: the search page starts from the student's own situation (crebo, leerweg, town).
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Zoeken").click()
    page.wait_for_url("**/plekken/**")
    assert page.locator("#crebo").input_value().startswith(qualification.crebo)
    assert page.locator("#town").input_value() == "Hengelo"
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("link", name="Leerling-bakker in onze bakkerij").click()

    # The place page, then apply.
    page.wait_for_url("**/plekken/*")
    assert main(page).get_by_role("heading", level=1).inner_text() == (
        "Leerling-bakker in onze bakkerij"
    )
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("button", name="Solliciteren").click()
    page.wait_for_url("**/solliciteren")
    assert_no_horizontal_scroll(page)
    page.locator("#motivation").fill(
        "Ik bak thuis elke week brood en wil het vak echt leren bij een meester."
    )
    assert page.locator("#anonymous").is_checked()  # anonymous by default
    main(page).get_by_role("button", name="Sollicitatie versturen").click()
    page.wait_for_url("**/student/sollicitaties")
    assert "Je sollicitatie is verstuurd" in flash_text(page)
    assert_no_horizontal_scroll(page)
    screenshot(page, "student_journey")

    student = db.session.scalar(select(User).where(User.email == "sanne@example.nl"))
    [application] = db.session.scalars(
        select(Application).where(Application.student_id == student.profile.id)
    ).all()
    assert application.status == ApplicationStatus.SUBMITTED and application.anonymous


# --- b. leerbedrijf: a meester, a BBL place under the rules, an applicant hired -----------------


def test_company_adds_meester_publishes_bbl_place_and_hires(make, new_page):
    qualification = make.qualification()
    assert qualification.offers(Leerweg.BBL)
    company = make.company(town="Zwolle", name="Garage Van Dijk")
    owner = make.company_user(company)
    db.session.commit()

    page = new_page(*LAPTOP)
    login(page, owner)
    page.goto("/leerbedrijf/begeleiders/nieuw")
    page.locator("#role-0").check()  # meester
    page.locator("#name").fill("Henk van Dijk")
    page.locator("#function").fill("eigenaar")
    page.locator("#years_experience").fill("22")
    page.locator("#hours_per_week").fill("4")
    page.locator("#capacity").fill("2")
    page.locator("#trained").check()
    page.locator("#trained_on").fill("2019-09-01")
    main(page).get_by_role("button", name="Opslaan").click()
    page.wait_for_url("**/leerbedrijf/begeleiders")
    assert "Henk van Dijk staat erin als meester" in flash_text(page)

    page.goto("/leerbedrijf/plekken/nieuw")
    page.locator("#title").fill("BBL-monteur in onze werkplaats")
    page.locator("#leerweg-1").check()  # BBL
    # The only accreditation and the only meester are chosen already.
    assert page.locator("#qualifications-0").is_checked()
    assert page.locator("#meester").input_value() != "0"
    page.locator("#tasks").fill("Je leert onderhoud en APK-keuringen zelfstandig uitvoeren.")
    page.locator("#start_date").fill((today() + timedelta(days=45)).isoformat())
    page.locator("#hours_per_week").fill("32")
    page.locator("#days_per_week").fill("4")
    page.locator("#wage_age").select_option("18")
    page.locator("#seats").fill("3")
    # Below the BBL minimum youth wage: refused, with the reason at the field.
    page.locator("#pay_per_month").fill("500")
    publish = main(page).get_by_role("button", name="Opslaan en online zetten")
    publish.click()
    page.wait_for_load_state()
    assert "minimumloon" in page.locator("#pay_per_month-error").inner_text()
    assert page.locator("#pay_per_month").get_attribute("aria-invalid") == "true"
    # A legal wage, but more seats than the meester's free capacity: refused again.
    page.locator("#pay_per_month").fill("1100")
    page.locator("#tasks").fill("Je leert onderhoud en APK-keuringen zelfstandig uitvoeren.")
    publish.click()
    page.wait_for_load_state()
    assert (
        "Henk van Dijk kan nog 2 leerlingen begeleiden" in page.locator("#seats-error").inner_text()
    )
    page.locator("#seats").fill("1")
    publish.click()
    page.wait_for_url("**/leerbedrijf/plekken/*")
    assert "De plek staat online" in flash_text(page)
    placement_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    placement = db.session.get(Placement, placement_id)
    assert placement.status == PlacementStatus.OPEN and placement.leerweg == Leerweg.BBL
    assert placement.pay_per_month == 1100 and placement.wage_age == 18

    # A student applies (anonymously); the company shortlists and then hires.
    student = make.student(town="Zwolle", leerweg=Leerweg.BBL, name="Mo Yilmaz")
    application = application_service.apply(
        student=student.profile, placement=placement, motivation="Ik sleutel al jaren aan brommers.",
        anonymous=True,
    )  # fmt: skip
    db.session.commit()
    application_id = application.id

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Sollicitaties"
    ).click()
    page.wait_for_url("**/leerbedrijf/sollicitaties")
    main(page).locator(f"a[href$='/sollicitaties/{application_id}']").click()
    page.wait_for_url(f"**/sollicitaties/{application_id}")
    assert "Mo Yilmaz" not in main(page).inner_text()  # anonymous until shortlisted
    main(page).get_by_role("button", name="Uitnodigen (shortlist)").click()
    page.wait_for_url(f"**/sollicitaties/{application_id}")
    assert "shortlist" in flash_text(page)
    assert "Mo Yilmaz" in main(page).inner_text()
    # No instant hire: an offer with a date to answer by (7 days ahead unless changed).
    main(page).get_by_text("Aanbod doen…").click()
    respond_by = page.locator("#respond_by")
    assert respond_by.input_value() == (today() + timedelta(days=7)).isoformat()
    respond_by.fill((today() + timedelta(days=10)).isoformat())
    main(page).get_by_role("button", name="Aanbod doen", exact=True).click()
    page.wait_for_url(f"**/sollicitaties/{application_id}")
    assert "Je aanbod is verstuurd" in flash_text(page)
    assert "Aanbod gedaan" in main(page).inner_text()
    screenshot(page, "company_journey")
    db.session.expire_all()
    assert db.session.get(Application, application_id).status == ApplicationStatus.OFFERED
    assert (
        db.session.scalar(select(Internship).where(Internship.placement_id == placement_id)) is None
    )

    # The student accepts on "Mijn sollicitaties"; the other open application is withdrawn
    # because its box stays ticked.
    second = make.company(town="Zwolle", qualifications=[qualification], name="Autobedrijf Zwolle")
    elsewhere = make.placement(second, make.meester(second), title="Andere werkplaats")
    other = Application(student=student.profile, placement=elsewhere, motivation="Ook leuk.")
    db.session.add(other)
    db.session.commit()
    other_id = other.id
    student_page = new_page(*PHONE)
    login(student_page, student)
    student_page.goto("/student/sollicitaties")
    offer = main(student_page).locator(f"#sollicitatie-{application_id}")
    assert "Garage Van Dijk biedt je deze plek aan" in offer.inner_text()
    offer.get_by_text("Aanbod aannemen…").click()
    assert offer.get_by_label("Andere werkplaats", exact=False).is_checked()
    offer.get_by_role("button", name="Ja, aannemen").click()
    student_page.wait_for_url("**/student/sollicitaties")
    assert "Gefeliciteerd" in flash_text(student_page)
    screenshot(student_page, "company_journey_student_accepts")

    db.session.expire_all()
    assert db.session.get(Application, application_id).status == ApplicationStatus.ACCEPTED
    assert db.session.get(Application, other_id).status == ApplicationStatus.WITHDRAWN
    assert db.session.scalar(select(Internship).where(Internship.placement_id == placement_id))


# --- c. coordinator: the new internship, a flag, a CSV export ----------------------------------


def test_coordinator_sees_internship_flag_and_exports_csv(make, new_page):
    roc = make.school()
    coordinator = make.coordinator(roc)
    company = make.company(name="Zorgcentrum De Linde")
    meester = make.meester(company, name="Petra Jansen")
    placement = make.placement(company, meester, title="Stage verzorgende")
    student = make.student(school=roc, name="Lotte Smit")
    application = Application(student=student.profile, placement=placement, motivation="Graag.")
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    # Started 10 weeks ago and nobody from school has been in touch: a 'no contact' flag.
    internship.start_date = today() - timedelta(weeks=10)
    db.session.commit()

    page = new_page(*LAPTOP)
    login(page, coordinator)
    page.wait_for_url("**/coordinator/")
    nav = main(page).get_by_role("navigation", name="Coördinator")
    nav.get_by_role("link", name="Stages").click()
    page.wait_for_url("**/coordinator/stages")
    row = main(page).get_by_role("row").filter(has_text="Lotte Smit")
    assert "Stage verzorgende" in row.inner_text() and "Petra Jansen" in row.inner_text()

    page.goto("/coordinator/")
    nav.get_by_role("link", name="Signalen").click()
    page.wait_for_url("**/coordinator/signalen")
    flag = main(page).locator(".flag-list li").filter(has_text="Geen contact met Lotte Smit")
    assert flag.count() == 1
    with page.expect_download() as download_info:
        main(page).get_by_role("link", name="Exporteren (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "signalen.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")  # the file starts with a BOM
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["gemeld", "soort", "wat", "afgehandeld", "notitie"]
    assert any("Geen contact met Lotte Smit" in r[2] for r in rows[1:])
    screenshot(page, "coordinator_journey")


# --- e. allocation round ------------------------------------------------------------------------
# The allocation-round journey (coordinator opens a round, students rank their choices, the round
# is run and published) belongs here or in tests/browser/test_allocation_journey.py, with the same
# fixtures: build data with `make`, commit, `new_page(...)`, `login(page, user)`, end with
# `screenshot(page, "allocation_journey")`.

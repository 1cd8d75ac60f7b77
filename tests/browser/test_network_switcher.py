"""Issue 18, "Done when": a one-person smithy and a partner firm form a leerbedrijf network in the
browser; the smithy publishes a BBL place for zij-instromers supervised by the partner's meester;
an adult without a school registers, confirms the mail, finds the place, applies and is hired;
the meester's capacity of one is then counted across both firms (the partner cannot publish a
place of its own for the same period); the placement page shows the chain and "no school yet".

Everything happens on a 360 px phone. Setup through the factory is only what a person cannot do
on the site: the two firms with their accreditation (SBB) and the partner's meester."""

from __future__ import annotations

import math
from datetime import date, timedelta

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application, Internship, Placement, User
from stagematch.models.enums import ApplicationStatus, Leerweg, PlacementStatus, SizeBand
from stagematch.timeutil import today
from stagematch.wages import ADULT, minimum_wage
from tests.browser.conftest import (
    PHONE,
    assert_no_horizontal_scroll,
    flash_text,
    login,
    main,
    screenshot,
)
from tests.conftest import PASSWORD, mailed_link

HOEFSMID = "25467"  # Hoefsmid, level 3, BOL/BBL (stagematch/data/qualifications.csv)
SWITCHER_EMAIL = "ruud.jansen@example.nl"
BLOCKING = {"serious", "critical"}


def _site_path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _axe_blocking(page) -> list[str]:
    results = Axe().run(page).response
    return [f"{v['id']}: {v['help']}" for v in results["violations"] if v["impact"] in BLOCKING]


def _fill_bbl_place(page, *, title: str, start: date, pay: int) -> None:
    page.locator("#title").fill(title)
    page.locator("#leerweg-1").check()  # BBL
    assert page.locator("#qualifications-0").is_checked()  # the one accreditation
    page.locator("#tasks").fill("Je leert hoeven bekappen, ijzers smeden en passend beslaan.")
    page.locator("#start_date").fill(start.isoformat())
    page.locator("#duration_weeks").fill("40")
    page.locator("#hours_per_week").fill("32")
    page.locator("#days_per_week").fill("4")
    page.locator("#pay_per_month").fill(str(pay))
    page.locator("#wage_age").select_option("21")
    page.locator("#seats").fill("1")


def test_a_solo_smithy_and_a_partner_train_a_switcher_together(make, new_page, outbox):
    hoefsmid = make.qualification(HOEFSMID)
    assert hoefsmid is not None and hoefsmid.offers(Leerweg.BBL)
    smithy = make.company(name="Smederij Het Aambeeld", town="Enschede", qualifications=[hoefsmid])
    smithy.size_band = SizeBand.SOLO
    smith = make.company_user(smithy)  # the one person of the firm
    partner = make.company(name="Hoefsmederij Kamp", town="Hengelo", qualifications=[hoefsmid])
    partner_user = make.company_user(partner)
    make.meester(partner, name="Gerrit Kamp", capacity=1)
    db.session.commit()
    start = today() + timedelta(days=40)
    pay = math.ceil(minimum_wage(ADULT, start).monthly(32))

    # --- 1. the network: the smithy creates it and invites by KvK; the partner accepts -------
    smithy_page = new_page(*PHONE)
    login(smithy_page, smith)
    smithy_page.goto("/leerbedrijf/netwerken")
    assert "Je bedrijf zit nog niet in een netwerk." in main(smithy_page).inner_text()
    smithy_page.get_by_label("Naam van het netwerk").fill("Smeden in Twente")
    main(smithy_page).get_by_role("button", name="Netwerk maken").click()
    smithy_page.wait_for_url("**/leerbedrijf/netwerken/*")
    assert "Het netwerk Smeden in Twente is gemaakt" in flash_text(smithy_page)
    network_path = "/" + smithy_page.url.split("/", 3)[3]
    smithy_page.get_by_label("KvK-nummer van het bedrijf").fill(partner.kvk_number)
    assert_no_horizontal_scroll(smithy_page)
    main(smithy_page).get_by_role("button", name="Uitnodigen").click()
    smithy_page.wait_for_url(f"**{network_path}")
    assert "Hoefsmederij Kamp is uitgenodigd" in flash_text(smithy_page)
    assert "uitgenodigd, nog niet geaccepteerd" in main(smithy_page).inner_text()

    partner_page = new_page(*PHONE)
    login(partner_page, partner_user)
    partner_page.goto("/leerbedrijf/netwerken")
    assert "uitnodiging: nog niet geaccepteerd" in main(partner_page).inner_text()
    main(partner_page).get_by_role("link", name="Smeden in Twente").click()
    partner_page.wait_for_url(f"**{network_path}")
    main(partner_page).get_by_role("button", name="Uitnodiging accepteren").click()
    partner_page.wait_for_url(f"**{network_path}")
    assert "Je bedrijf is nu lid van Smeden in Twente" in flash_text(partner_page)
    assert "nog niet geaccepteerd" not in main(partner_page).inner_text()
    assert_no_horizontal_scroll(partner_page)

    # --- 2. the smithy publishes a BBL place for switchers under the partner's meester -------
    smithy_page.goto("/leerbedrijf/plekken/nieuw")
    meester_options = smithy_page.locator("#meester option").all_inner_texts()
    assert any(o.startswith("Gerrit Kamp (Hoefsmederij Kamp)") for o in meester_options), (
        meester_options
    )
    _fill_bbl_place(smithy_page, title="Leerling-hoefsmid in onze smidse", start=start, pay=pay)
    smithy_page.locator("#meester").select_option(
        label=next(o for o in meester_options if o.startswith("Gerrit Kamp"))
    )
    smithy_page.get_by_label("Ook voor zij-instromers", exact=False).check()
    assert_no_horizontal_scroll(smithy_page)
    main(smithy_page).get_by_role("button", name="Opslaan en online zetten").click()
    smithy_page.wait_for_url("**/leerbedrijf/plekken/*")
    assert "De plek staat online" in flash_text(smithy_page), flash_text(smithy_page)
    placement_id = int(smithy_page.url.rstrip("/").rsplit("/", 1)[1])
    # Where the learner works: Monday to Wednesday at the smithy, Thursday at the partner.
    main(smithy_page).get_by_role("link", name="Rooster aanpassen").click()
    smithy_page.wait_for_url(f"**/plekken/{placement_id}/rooster")
    smithy_page.locator("#rows-0-company").select_option(label="Smederij Het Aambeeld")
    for day in ("ma", "di", "wo"):
        smithy_page.locator(f"input[name='rows-0-weekdays'][value='{day}']").check()
    smithy_page.locator("#rows-1-company").select_option(label="Hoefsmederij Kamp")
    smithy_page.locator("input[name='rows-1-weekdays'][value='do']").check()
    assert_no_horizontal_scroll(smithy_page)
    main(smithy_page).get_by_role("button", name="Rooster opslaan").click()
    smithy_page.wait_for_url(f"**/leerbedrijf/plekken/{placement_id}")
    assert "Het rooster is opgeslagen." in flash_text(smithy_page)
    db.session.expire_all()
    placement = db.session.get(Placement, placement_id)
    assert placement.status == PlacementStatus.OPEN and placement.leerweg == Leerweg.BBL
    assert placement.for_switchers and placement.company_id == smithy.id
    assert placement.meester.company_id == partner.id

    # --- 3. an adult switcher registers without a school, confirms, searches and applies -----
    page = new_page(*PHONE)
    page.goto("/account/registreren/student")
    page.locator("#name").fill("Ruud Jansen")
    page.locator("#email").fill(SWITCHER_EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password2").fill(PASSWORD)
    page.get_by_label("Ik zit nog niet op een school", exact=False).check()
    page.locator("#birth_date").fill(date(today().year - 35, 5, 12).isoformat())
    page.locator("#work_experience").fill("Vijftien jaar hovenier, paarden in de familie.")
    page.locator("#work_experience_years").fill("15")
    page.locator("#qualification").fill(HOEFSMID)
    page.locator("#leerweg-1").check()  # BBL
    page.locator("#town").fill("Enschede")
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("button", name="Account maken").click()
    page.wait_for_url("**/account/kijk-in-je-mail")
    [confirmation] = [m for m in outbox() if SWITCHER_EMAIL in m["To"]]
    page.goto(_site_path(mailed_link(confirmation, "/account/bevestigen/")))
    main(page).get_by_role("button", name="Bevestigen en inloggen").click()
    page.wait_for_url("**/student/**")
    assert "Welkom" in flash_text(page)
    switcher = db.session.scalar(select(User).where(User.email == SWITCHER_EMAIL))
    assert switcher.school is None and switcher.profile.school is None

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Zoeken").click()
    page.wait_for_url("**/plekken/**")
    page.get_by_label("zij-instromers", exact=False).check()
    main(page).get_by_role("button", name="Zoeken").click()
    page.wait_for_load_state()
    assert "zij_instromers" in page.url
    card = main(page).locator("article").filter(has_text="Leerling-hoefsmid in onze smidse")
    assert "Ook voor zij-instromers" in card.inner_text()
    assert_no_horizontal_scroll(page)
    card.get_by_role("link", name="Leerling-hoefsmid in onze smidse").click()
    page.wait_for_url(f"**/plekken/{placement_id}")
    text = main(page).inner_text()
    assert "Gerrit Kamp" in text or "Hoefsmederij Kamp" in text  # the chain on the place page
    main(page).get_by_role("button", name="Solliciteren").first.click()
    page.wait_for_url("**/solliciteren")
    page.locator("#motivation").fill(
        "Ik werk al jaren met paarden en wil het vak van hoefsmid echt leren bij een meester."
    )
    assert_no_horizontal_scroll(page)
    main(page).get_by_role("button", name="Sollicitatie versturen").click()
    page.wait_for_url("**/student/sollicitaties")
    assert "Je sollicitatie is verstuurd" in flash_text(page)
    application_id = db.session.scalar(
        select(Application.id).where(Application.student_id == switcher.profile.id)
    )

    # --- 4. the smithy shortlists and offers; the switcher accepts ----------------------------
    smithy_page.goto("/leerbedrijf/sollicitaties")
    main(smithy_page).locator(f"a[href$='/sollicitaties/{application_id}']").click()
    smithy_page.wait_for_url(f"**/sollicitaties/{application_id}")
    main(smithy_page).get_by_role("button", name="Uitnodigen (shortlist)").click()
    smithy_page.wait_for_url(f"**/sollicitaties/{application_id}")
    assert "Ruud Jansen" in main(smithy_page).inner_text()
    main(smithy_page).get_by_text("Aanbod doen…").click()
    assert_no_horizontal_scroll(smithy_page)
    main(smithy_page).get_by_role("button", name="Aanbod doen", exact=True).click()
    smithy_page.wait_for_url(f"**/sollicitaties/{application_id}")
    assert "Je aanbod is verstuurd" in flash_text(smithy_page), flash_text(smithy_page)

    page.goto("/student/sollicitaties")
    offer = main(page).locator(f"#sollicitatie-{application_id}")
    assert "Smederij Het Aambeeld biedt je deze plek aan" in offer.inner_text()
    offer.get_by_text("Aanbod aannemen…").click()
    offer.get_by_role("button", name="Ja, aannemen").click()
    page.wait_for_url("**/student/sollicitaties")
    assert "Gefeliciteerd" in flash_text(page)
    db.session.expire_all()
    assert db.session.get(Application, application_id).status == ApplicationStatus.ACCEPTED
    internship_id = db.session.scalar(
        select(Internship.id).where(Internship.application_id == application_id)
    )
    assert internship_id is not None

    # --- 5. capacity across firms: the partner cannot publish its own place for Gerrit -------
    partner_page.goto("/leerbedrijf/plekken/nieuw")
    assert (
        partner_page.locator("#meester option:checked")
        .inner_text()
        .startswith("Gerrit Kamp – nog ruimte voor 0 van 1")
    )
    _fill_bbl_place(partner_page, title="Leerling-hoefsmid bij Kamp", start=start, pay=pay)
    main(partner_page).get_by_role("button", name="Opslaan en online zetten").click()
    partner_page.wait_for_load_state()
    seats_error = partner_page.locator("#seats-error").inner_text()
    assert (
        "Gerrit Kamp kan nog 0 leerlingen begeleiden (capaciteit 1: 1 bezig, 0 gereserveerd op "
        "andere open plekken)" in seats_error
    )
    assert partner_page.locator("#seats").get_attribute("aria-invalid") == "true"
    assert partner_page.locator("#title").input_value() == "Leerling-hoefsmid bij Kamp"
    assert_no_horizontal_scroll(partner_page)
    screenshot(partner_page, "network-partner-capacity-refused")
    assert db.session.scalar(select(Placement.id).where(Placement.company_id == partner.id)) is None

    # --- 6. the placement page: the chain and "no school yet" ---------------------------------
    page.goto(f"/stage/{internship_id}")
    chain = main(page).locator("section.chain")
    chain_text = " ".join(chain.inner_text().split())
    assert "Waar je werkt en wie je begeleidt" in chain_text
    assert "maandag–woensdag: Smederij Het Aambeeld (Enschede)" in chain_text
    assert "donderdag: Hoefsmederij Kamp (Hengelo)" in chain_text
    assert "Meester: Gerrit Kamp, Hoefsmederij Kamp" in chain_text
    assert "Nog geen school gekozen." in main(page).inner_text()
    assert_no_horizontal_scroll(page)
    assert _axe_blocking(page) == []
    screenshot(page, "network-switcher-placement-phone")
    smithy_page.goto(f"/stage/{internship_id}")
    text = " ".join(main(smithy_page).inner_text().split())
    assert "Meester: Gerrit Kamp, Hoefsmederij Kamp" in text
    assert "Nog geen school gekozen." in text
    assert_no_horizontal_scroll(smithy_page)

    # --- 7. the meester's own firm: lists the learner and opens the placement with the chain --
    partner_page.goto("/stage/")
    main(partner_page).get_by_role("link", name="Ruud Jansen").click()
    partner_page.wait_for_url(f"**/stage/{internship_id}")
    text = " ".join(main(partner_page).locator("section.chain").inner_text().split())
    assert "maandag–woensdag: Smederij Het Aambeeld (Enschede)" in text
    assert "Meester: Gerrit Kamp, Hoefsmederij Kamp" in text
    assert_no_horizontal_scroll(partner_page)
    screenshot(partner_page, "network-meesters-firm-placement-phone")

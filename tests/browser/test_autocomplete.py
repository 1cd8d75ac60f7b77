"""The search form's autocomplete on a 360 px phone (issue #20): typing "zwo" in the town field
offers Zwolle from the server, choosing it runs the search, and the page passes axe with the list
filled. Without JavaScript the field is free text (tests/test_suggestions.py)."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import Qualification
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, main, screenshot

# What the browser fires when a person picks an option of a datalist (mouse, or arrow keys and
# Enter): headless Chromium draws no datalist popup to click, so the test sends that event.
CHOOSE = """([selector, value]) => {
    const input = document.querySelector(selector);
    input.value = value;
    input.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertReplacementText'}));
}"""


def test_typing_zwo_offers_zwolle_and_choosing_it_searches(make, new_page):
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    zwolle = geo.find_town("Zwolle")
    company = make.company(qualifications=[kok], town="Zwolle")
    make.placement(company, make.meester(company), title="Leerling-kok aan de IJssel",
                   city=zwolle.name, lat=zwolle.lat, lon=zwolle.lon)  # fmt: skip
    db.session.commit()
    page = new_page(*PHONE)
    page.goto("/plekken/?alle=1")
    town = main(page).get_by_label("Vanaf plaats")
    town.focus()
    page.keyboard.type("zwo", delay=60)  # keystrokes, as a person types
    page.wait_for_selector('#plaatsen option[value="Zwolle"]', state="attached")
    offered = page.eval_on_selector_all("#plaatsen option", "options => options.map(o => o.value)")
    assert offered[0] == "Zwolle" and len(offered) <= 10
    assert (
        town.evaluate("el => el.list && el.list.id") == "plaatsen"
    )  # a combobox to assistive tech
    violations = [
        v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not violations, violations
    assert_no_horizontal_scroll(page)
    screenshot(page, "search-autocomplete-360")

    page.evaluate(CHOOSE, ["#town", "Zwolle"])
    page.wait_for_url("**town=Zwolle**")
    assert "Leerling-kok aan de IJssel" in main(page).inner_text()
    assert main(page).get_by_label("Vanaf plaats").input_value() == "Zwolle"


def test_typing_without_choosing_does_not_search(new_page):
    page = new_page(*PHONE)
    page.goto("/plekken/?alle=1")
    main(page).get_by_label("Vanaf plaats").focus()
    page.keyboard.type("zwolle", delay=60)  # typed in full: the person may still add a distance
    page.wait_for_selector('#plaatsen option[value="Zwolle"]', state="attached")
    page.wait_for_timeout(400)
    assert "town=" not in page.url

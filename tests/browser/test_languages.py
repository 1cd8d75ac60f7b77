"""A student switches the site to Arabic (right to left), Polish (long words) or Ukrainian
(Cyrillic) on a 360 px phone: the home page, a place page and the application form are laid out
for the language (dir="rtl" for Arabic), do not scroll sideways, keep the menu and the form
fields inside the screen, and pass axe-core. Screenshots: test-artifacts/screenshots/lang-<code>-<page>.png."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from stagematch.extensions import db
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, login, screenshot

BLOCKING = {"serious", "critical"}
NAMES = {"ar": "العربية", "pl": "Polski", "uk": "Українська"}

# Menu items and form controls whose box is not inside the viewport (a few px of rounding).
OUTSIDE = """(width) => [...document.querySelectorAll(
        'header nav a, header nav button, main input, main select, main textarea, main button')]
    .filter(el => el.offsetParent !== null && el.type !== 'hidden')
    .filter(el => { const r = el.getBoundingClientRect(); return r.left < -1 || r.right > width + 1; })
    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' '
               + (el.textContent || el.name || '').trim().slice(0, 30))"""


@pytest.mark.parametrize("code", ["ar", "pl", "uk"])
def test_a_student_uses_the_site_in_the_language_on_a_phone(make, new_page, code):
    student = make.student()
    company = make.company(name="Installatietechniekbedrijf Hoogeveen-Vriezenveen B.V.")
    meester = make.meester(company)
    place = make.placement(
        company,
        meester,
        title="Eerste monteur elektrotechnische installaties (woning-/utiliteitsbouw)",
    )
    db.session.commit()
    page = new_page(*PHONE)
    login(page, student)
    page.goto("/")
    page.locator("footer .language-switch").get_by_role("button", name=NAMES[code]).click()
    page.wait_for_load_state("load")
    axe = Axe()
    problems = []
    for name, url in [("home", "/"), ("place", f"/plekken/{place.id}"),
                      ("apply", f"/plekken/{place.id}/solliciteren")]:  # fmt: skip
        page.goto(url)
        page.wait_for_load_state("load")
        screenshot(page, f"lang-{code}-{name}")
        assert page.evaluate("document.documentElement.lang") == code
        direction = page.evaluate("document.documentElement.dir")
        assert direction == ("rtl" if code == "ar" else ""), (name, direction)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        assert_no_horizontal_scroll(page)
        outside = page.evaluate(OUTSIDE, PHONE[0])
        if outside:
            problems.append(f"{name}: outside the screen: {outside}")
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in BLOCKING:
                problems.append(
                    f"{name}: {violation['impact']} {violation['id']}: {violation['help']}"
                )
    if code == "ar":  # the form on the application page is right to left too
        assert page.locator("textarea").evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert problems == [], "\n".join(problems)

"""Keyboard only: the skip link, logging in and applying with Tab, typing and Enter. Every stop of
the focus must be an element a sighted keyboard user can see, with a visible focus indicator."""

from __future__ import annotations

from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Application
from tests.browser.conftest import LAPTOP, flash_text, screenshot
from tests.conftest import PASSWORD

# What the focused element is, and whether a person can see it and see that it has the focus.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const inView = box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
    && box.top < window.innerHeight && box.left < window.innerWidth;
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  return {
    tag: el.tagName.toLowerCase(), id: el.id, type: el.type || '', href: el.getAttribute('href') || '',
    text: (el.innerText || el.value || '').trim().slice(0, 60),
    visible: inView && style.visibility !== 'hidden' && parseFloat(style.opacity) > 0,
    indicator: outline || ring,
  };
}"""


def press_tab(page) -> dict:
    """Tab once and check that the focus landed on a visible element with a focus indicator."""
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    assert focused is not None, f"{page.url}: Tab left the focus nowhere"
    assert focused["visible"], f"{page.url}: focus went to an invisible element: {focused}"
    assert focused["indicator"], f"{page.url}: focused element shows no focus indicator: {focused}"
    return focused


def tab_to(page, matches, limit: int = 40) -> dict:
    """Tab until `matches(focused)`; every stop on the way is checked by press_tab."""
    stops = []
    for _ in range(limit):
        focused = press_tab(page)
        if matches(focused):
            return focused
        stops.append(focused["id"] or focused["text"] or focused["tag"])
    raise AssertionError(f"{page.url}: not reached after {limit} Tabs; stops: {stops}")


def test_keyboard_only_login_and_application(make, new_page):
    student = make.student()
    company = make.company(name="Kapsalon Knip")
    meester = make.meester(company)
    place = make.placement(company, meester, title="Stage kapper")
    db.session.commit()
    place_id, student_profile_id = place.id, student.profile.id

    page = new_page(*LAPTOP)
    page.goto("/account/inloggen")
    # The first Tab reaches the skip link, which shows itself; Enter jumps to the content.
    skip = press_tab(page)
    assert skip["tag"] == "a" and skip["href"] == "#inhoud", skip
    page.keyboard.press("Enter")
    page.wait_for_url("**#inhoud")  # the fragment navigation is asynchronous in Chromium
    assert press_tab(page)["id"] == "email"  # the first field of the form, past the menu
    page.keyboard.type(student.email)
    assert press_tab(page)["id"] == "password"
    page.keyboard.type(PASSWORD)
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Inloggen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/student/**")  # the browser keeps the #inhoud fragment over the redirect

    # Apply for a place with the keyboard only.
    page.goto(f"/plekken/{place_id}")
    tab_to(page, lambda f: f["tag"] == "a" and f["href"].endswith("/solliciteren"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/solliciteren")
    tab_to(page, lambda f: f["id"] == "motivation")
    page.keyboard.type("Ik wil graag leren knippen en kleuren bij een ervaren kapper.")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Sollicitatie versturen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/student/sollicitaties")
    assert "Je sollicitatie is verstuurd" in flash_text(page)
    screenshot(page, "keyboard_journey")

    assert db.session.scalar(
        select(Application.id).where(
            Application.student_id == student_profile_id, Application.placement_id == place_id
        )
    )

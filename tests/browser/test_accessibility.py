"""Every page of the site in a real browser: axe-core (the copy shipped in the axe-playwright-python
package, injected into the page; no network) finds no serious or critical violation, and the page
reflows at 200% zoom — a 1280 px window at 200% is a 640 CSS px viewport at device scale 2 — without
a horizontal scrollbar. The pages come from the access table (tests/test_access_matrix.py), so a new
page is checked as soon as it has an entry there; each is opened as a user allowed to see it, with
the data of the access test's world (applications, an internship, flags, a round, an offer)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import Company, Mentor, Placement, User
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, login, screenshot
from tests.test_access_matrix import OK, ROUTES, build_world

ZOOMED = dict(width=640, height=450, device_scale_factor=2)
PHONE_VIEWPORT = dict(width=PHONE[0], height=PHONE[1])
# Who opens a page: the first of these the access table allows.
ROLE_ORDER = ["anon", "student", "company", "coordinator", "admin", "internship_student"]
BLOCKING = {"serious", "critical"}


def pages_by_role(ids: dict) -> dict[str, list[tuple[str, str]]]:
    pages = defaultdict(list)
    for endpoint, (method, template, expected, _data) in sorted(ROUTES.items()):
        if method != "GET":
            continue
        role = next((r for r in ROLE_ORDER if expected.get(r) == OK), None)
        if role is not None:
            pages[role].append((endpoint, template.format(**ids)))
    return pages


def describe(violation: dict) -> str:
    nodes = "; ".join(" ".join(n["target"]) for n in violation["nodes"][:3])
    return f"{violation['impact']} {violation['id']}: {violation['help']} [{nodes}]"


def lengthen_texts() -> None:
    """Real names, addresses and titles are long (the factory's are short): long Dutch compounds
    and e-mail addresses with no place to break a line must not widen any page."""
    for user in db.session.scalars(select(User)):
        user.name = f"Anne-Marie van den Berg-Hoogeveen {user.id}"
        user.email = f"annemarie.vandenberghoogeveen{user.id}@studentenmail.rocvantwente.nl"
    for company in db.session.scalars(select(Company)):
        company.name = f"Installatietechniekbedrijf Hoogeveen-Vriezenveen B.V. {company.id}"
    for mentor in db.session.scalars(select(Mentor)):
        mentor.name = "Johannes Bartholomeus van Oldenbarnevelt"
        mentor.email = f"j.b.vanoldenbarnevelt{mentor.id}@installatietechniekhoogeveen.nl"
    for place in db.session.scalars(select(Placement)):
        place.title = "Eerste monteur elektrotechnische installaties (woning-/utiliteitsbouw)"


def walk_pages(make, new_page, viewport: dict) -> Iterator[tuple[object, str, str, str]]:
    """Open every HTML page of the access table, each as the first role allowed to see it, in a
    browser window of the given size; yield (page, endpoint, url, role) with the page loaded."""
    world = build_world(make)
    users = dict(world.users)
    users["internship_student"] = db.session.get(
        type(world.users["student"]), world.ids["internship_user"]
    )
    lengthen_texts()
    db.session.commit()
    for role, pages in pages_by_role(world.ids).items():
        page = new_page(**viewport)
        if role != "anon":
            login(page, users[role])
        for endpoint, url in pages:
            # Downloads (CSV, JSON, the CV) and the API are not pages: ask first, with the same
            # cookies, what the URL answers.
            response = page.request.get(url, max_redirects=0)
            if response.status != 200 or "text/html" not in response.headers["content-type"]:
                continue
            page.goto(url)
            yield page, endpoint, url, role


def report(problems: list[str], checked: list[str]) -> None:
    assert len(checked) >= 50, checked  # the table's pages were really opened
    assert not problems, f"{len(problems)} problems on {len(checked)} pages:\n" + "\n".join(
        problems
    )


def test_every_page_passes_axe_and_reflows_at_200_percent_zoom(make, new_page):
    axe = Axe()
    problems, checked = [], []
    for page, endpoint, url, role in walk_pages(make, new_page, ZOOMED):
        results = axe.run(page).response
        for violation in results["violations"]:
            if violation["impact"] in BLOCKING:
                problems.append(f"{endpoint} ({url}, as {role}): {describe(violation)}")
        try:
            assert_no_horizontal_scroll(page)
        except AssertionError as error:
            problems.append(f"{endpoint} at 200% zoom: {error}")
            screenshot(page, f"zoom-{endpoint}")
        checked.append(endpoint)
    report(problems, checked)


# For every table box that scrolls sideways: scrolled to its far end, is the first cell of each
# row (the row's name) still inside the box? Returns the boxes where it is not.
FIRST_COLUMN_HIDDEN = """() => [...document.querySelectorAll('.table-scroll')]
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .filter(box => {
        box.scrollLeft = box.scrollWidth;
        const left = box.getBoundingClientRect().left;
        const hidden = [...box.querySelectorAll('tr > :first-child')]
            .some(cell => cell.getBoundingClientRect().left < left - 1);
        box.scrollLeft = 0;
        return hidden;
    })
    .map(box => box.querySelector('th, td').textContent.trim().slice(0, 30))"""


def test_every_page_fits_a_360px_phone(make, new_page):
    """Issue #21: no page scrolls sideways on a 360 px phone; a wide table scrolls in its own box
    and keeps its first column in view while it does."""
    problems, checked = [], []
    for page, endpoint, _url, role in walk_pages(make, new_page, PHONE_VIEWPORT):
        try:
            assert_no_horizontal_scroll(page)
        except AssertionError as error:
            problems.append(f"{endpoint} (as {role}) on a phone: {error}")
            screenshot(page, f"phone-{endpoint}")
        hidden = page.evaluate(FIRST_COLUMN_HIDDEN)
        if hidden:
            problems.append(f"{endpoint} (as {role}): first column scrolls away in tables {hidden}")
            screenshot(page, f"phone-{endpoint}")
        checked.append(endpoint)
    report(problems, checked)


def test_api_docs_list_a_long_set_of_values_briefly(client):
    """The `town` parameter takes any of hundreds of towns: listing them all made the API page's
    table thousands of pixels tall on a phone. The page names a few and points to openapi.json."""
    from stagematch.api.openapi import TOWNS

    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert f"({len(TOWNS)} values, all in openapi.json)" in html
    assert TOWNS[-1] not in html

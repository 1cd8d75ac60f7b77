"""Every page of the site in a real browser: axe-core (the copy shipped in the axe-playwright-python
package, injected into the page; no network) finds no serious or critical violation, and the page
reflows at 200% zoom — a 1280 px window at 200% is a 640 CSS px viewport at device scale 2 — without
a horizontal scrollbar. The pages come from the access table (tests/test_access_matrix.py), so a new
page is checked as soon as it has an entry there; each is opened as a user allowed to see it, with
the data of the access test's world (applications, an internship, flags, a round, an offer)."""

from __future__ import annotations

from collections import defaultdict

from axe_playwright_python.sync_playwright import Axe

from stagematch.extensions import db
from tests.browser.conftest import assert_no_horizontal_scroll, login, screenshot
from tests.test_access_matrix import OK, ROUTES, build_world

ZOOMED = dict(width=640, height=450, device_scale_factor=2)
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


def test_every_page_passes_axe_and_reflows_at_200_percent_zoom(make, new_page):
    world = build_world(make)
    users = dict(world.users)
    users["internship_student"] = db.session.get(
        type(world.users["student"]), world.ids["internship_user"]
    )
    db.session.commit()
    axe = Axe()
    problems, checked = [], []
    for role, pages in pages_by_role(world.ids).items():
        page = new_page(ZOOMED["width"], ZOOMED["height"], device_scale_factor=2)
        if role != "anon":
            login(page, users[role])
        for endpoint, url in pages:
            # Downloads (CSV, JSON, the CV) and the API are not pages: ask first, with the same
            # cookies, what the URL answers.
            response = page.request.get(url, max_redirects=0)
            if response.status != 200 or "text/html" not in response.headers["content-type"]:
                continue
            page.goto(url)
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
    assert len(checked) >= 50, checked  # the table's pages were really opened
    assert not problems, f"{len(problems)} problems on {len(checked)} pages:\n" + "\n".join(
        problems
    )

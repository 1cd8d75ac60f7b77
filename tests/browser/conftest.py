"""Real-browser tests: the app served over HTTP by a werkzeug server in a thread, driven by
Playwright with Debian's Chromium (never a downloaded browser; no network needed).

Fixtures and helpers:

- `live_server`: base URL of the app with CSRF *on* and rate limits off, on the test database of
  the `app` fixture (SQLite in a temp dir, or PostgreSQL when TEST_DATABASE_URL is set).
- `browser`: headless Chromium. When Chromium or playwright is missing the tests skip, or fail
  when STAGEMATCH_REQUIRE_BROWSER=1 (CI sets it, so browser tests cannot silently skip there).
- `new_page(width, height, **context_options)`: a page in a fresh browser context (Dutch, own
  cookies, relative URLs resolve against the live server).
- `login(page, user)`, `screenshot(page, name)`, `assert_no_horizontal_scroll(page)`, `main(page)`.

Data: every test starts from reference data only (`_clean_tables` in tests/conftest.py). Build what
a journey needs with the `make` factory and `db.session.commit()` before the browser acts: the
server reads the database through its own connections and only sees committed rows.

Screenshots go to test-artifacts/screenshots/ at the repo root (ignored by git); a failing test
leaves `failed-<test>.png` there too.

New journeys (for example the allocation round) go in their own module in this package and use the
same fixtures; see test_journeys.py for the pattern.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stagematch import create_app
from stagematch.extensions import db, limiter
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = (360, 740)
LAPTOP = (1280, 800)
# Generous for a loaded CI machine; nothing asserts on how long anything takes.
ACTION_TIMEOUT_MS = 15_000


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def _unavailable(reason: str) -> None:
    if os.environ.get("STAGEMATCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (STAGEMATCH_REQUIRE_BROWSER=1: browser tests may not skip)", False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def live_server(app) -> Iterator[str]:
    """The real app behind a real HTTP server. A second app object on the same database as `app`,
    with CSRF protection enabled as in production."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # the app logs every request itself
            pass

    server_app = create_app(
        "test",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
        },
    )
    limiter.enabled = False  # one limiter object serves every app (see tests/test_security.py)
    server = make_server("127.0.0.1", 0, server_app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        with server_app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="package")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium not found (apt-get install -y chromium)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
    except Error as error:
        playwright.stop()
        _unavailable(f"Chromium at {executable} did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_page(browser, live_server, request) -> Iterator[Callable]:
    contexts = []

    def open_page(width: int = LAPTOP[0], height: int = LAPTOP[1], **options):
        context = browser.new_context(
            base_url=live_server,
            viewport={"width": width, "height": height},
            locale="nl-NL",
            **options,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for context in contexts:
            for page in context.pages:
                name = "failed-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
                screenshot(page, name)
                break
            break
    for context in contexts:
        context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --- helpers ----------------------------------------------------------------------------------


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_horizontal_scroll(page, width: int | None = None) -> None:
    # After a click the new page may be committed before its stylesheet has loaded: unstyled, a
    # textarea alone is 800 px wide (seen once in CI). Measure the page as the user sees it.
    page.wait_for_load_state("load")
    width = width or page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(
            """(width) => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 1)
                // inside a box that scrolls on its own (a .table-scroll) is not the page's fault
                .filter(el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                    if (getComputedStyle(p).overflowX !== 'visible') return false; } return true; })
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                     + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
                     + ' right=' + Math.round(el.getBoundingClientRect().right))""",
            width,
        )
        raise AssertionError(
            f"{page.url}: page is {scroll_width}px wide in a {width}px viewport; "
            f"widest elements: {culprits}"
        )


def login(page, user_or_email, password: str = PASSWORD) -> None:
    """Log in through the real form (with its CSRF token) and wait for the role's home page."""
    email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
    page.goto("/account/inloggen")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main").get_by_role("button", name="Inloggen").click()
    page.wait_for_url(lambda url: "/account/inloggen" not in url)


def main(page):
    """The page's main content (leaves the menu and footer out of searches by role and text)."""
    return page.locator("main")


def flash_text(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())

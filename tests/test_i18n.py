"""Dutch and English. The English catalogue is complete (every message translated, no fuzzy entry,
the same placeholders), covers everything the code marks for translation (a fresh extraction finds
nothing the catalogue lacks), and the compiled .mo is the .po as committed. Every page of the site,
opened in English as a user who may see it, shows no Dutch interface text; the language switch is
remembered; mail goes out in the recipient's language."""

from __future__ import annotations

import re
import subprocess
import sys
from gettext import GNUTranslations
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import JSON, String, Text, select

from stagematch.extensions import db
from stagematch.mailer import read_outbox
from stagematch.models import User
from tests.test_access_matrix import OK, ROUTES, build_world

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "stagematch" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|<[^>]+>")


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def open_page(app, user, locale: str, url: str):
    """GET `url` in `locale` as `user` (None: a visitor), logged in without the login form; the
    response when it is an HTML page that answered 200, else None."""
    client = app.test_client()
    client.set_cookie("taal", locale)
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
    response = client.get(url)
    response.close()  # downloads (the CV) hold a file open
    if response.status_code != 200 or response.mimetype != "text/html":
        return None
    return response


def _ids(message) -> tuple:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_every_message_is_translated_with_the_same_placeholders(catalogue):
    untranslated, fuzzy, mismatched = [], [], []
    for message in catalogue:
        if not message.id:
            continue
        if message.fuzzy:
            fuzzy.append(message.id)
        if not all(_strings(message)):
            untranslated.append(message.id)
            continue
        for source in _ids(message):
            wanted = sorted(PLACEHOLDER.findall(source))
            for text in _strings(message):
                if sorted(PLACEHOLDER.findall(text)) != wanted:
                    mismatched.append((source, text))
    assert len(catalogue) > 500
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert fuzzy == []
    assert mismatched == []


def test_the_catalogue_holds_every_message_the_code_marks(tmp_path, catalogue):
    """A fresh extraction with the committed settings finds no message the catalogue lacks."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "N_", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    known = {m.id for m in catalogue if m.id}
    missing = sorted(map(str, extracted - known))
    assert len(extracted) > 500
    assert missing == [], f"run `./dev.py translations`: {len(missing)} new: {missing[:20]}"


def test_the_compiled_catalogue_is_the_committed_one(catalogue):
    with MO.open("rb") as f:
        compiled = GNUTranslations(f)
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple):
            continue
        assert compiled.gettext(message.id) == message.string, message.id


# --- pages in English ----------------------------------------------------------------------------

# Words of Dutch interface text that English text never has (short function words and the site's
# own vocabulary). Data (names, place titles, towns, qualification names) is taken out first.
DUTCH = re.compile(
    r"\b(je|jouw|jij|het|een|van|niet|voor|met|geen|nog|wordt|deze|naar|bij|zijn|kun|kan|hebt|"
    r"heeft|ook|maar|wat|waar|hoe|dan|uit|sollicitatie|sollicitaties|leerbedrijf|plekken|"
    r"opslaan|zoeken|inloggen|uitloggen|terug|bekijk|wachtwoord|vergoeding|begeleiding)\b",
    re.IGNORECASE,
)
VISIBLE_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")
# Not interface text: scripts, the list of Dutch towns offered while typing, and code (CSV column
# names, which are a file format and stay as they are).
SKIPPED = ("script", "style", "datalist", "code")
# The API documentation is written in English from the OpenAPI file, with its enumerations (towns).
ENGLISH_ONLY = {"api.docs"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0
        self._dutch_tag, self._dutch_depth = None, 0  # inside an element marked lang="nl"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._dutch_tag is None and (attrs.get("lang") or "").startswith("nl") and tag != "html":
            # A Dutch document quoted in the page (the agreement): Dutch on purpose, marked so.
            self._dutch_tag, self._dutch_depth = tag, 0
            self._skip += 1
        if tag == self._dutch_tag:
            self._dutch_depth += 1
        if tag in SKIPPED:
            self._skip += 1
        names = VISIBLE_ATTRIBUTES
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            names = (*names, "value")  # a button's text
        for name in names:
            if attrs.get(name) and not self._skip:
                self.parts.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self._skip -= 1
        if tag == self._dutch_tag:
            self._dutch_depth -= 1
            if self._dutch_depth == 0:
                self._dutch_tag = None
                self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _data_values() -> list[str]:
    """Every text stored in the database (names, titles, towns …): data, not interface."""
    values = set()

    def strings(value):  # documents stored as JSON (an agreement's text) are data too
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    for table in db.metadata.sorted_tables:
        for column in [c for c in table.columns if isinstance(c.type, JSON)]:
            for (value,) in db.session.execute(select(column)):
                values.update(v for v in strings(value) if len(v) > 2)
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            values.update(v for v in row if isinstance(v, str) and len(v) > 2)
    return sorted(values, key=len, reverse=True)


def _dutch_left(html: str, data: list[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for value in data:
            if value in part:
                part = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", part)
        if DUTCH.search(part):
            found.append(part[:120])
    return found


def test_every_page_is_in_english(app, make):
    world = build_world(make)
    users = dict(world.users)
    users["internship_student"] = db.session.get(User, world.ids["internship_user"])
    db.session.commit()
    data = _data_values()
    order = ["anon", "student", "company", "coordinator", "admin", "internship_student"]
    problems, checked = {}, 0
    for endpoint, (method, template, expected, _data) in sorted(ROUTES.items()):
        role = next((r for r in order if expected.get(r) == OK), None)
        if method != "GET" or role is None or endpoint in ENGLISH_ONLY:
            continue
        response = open_page(app, users.get(role), "en", template.format(**world.ids))
        if response is None:
            continue
        checked += 1
        assert '<html lang="en"' in response.text, endpoint
        dutch = _dutch_left(response.text, data)
        if dutch:
            problems[endpoint] = dutch
    assert checked >= 45
    assert problems == {}, "\n".join(f"{e}: {texts}" for e, texts in problems.items())


def test_the_language_switch_is_remembered_on_the_account(client, auth, make):
    student = make.student()
    db.session.commit()
    assert '<html lang="nl"' in client.get("/").text
    response = client.post("/taal", data={"taal": "en", "next": "/plekken/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/plekken/")
    assert '<html lang="en"' in client.get("/").text  # the cookie
    auth.login(student)
    client.post("/taal", data={"taal": "en", "next": "/"})
    db.session.expire_all()
    assert db.session.get(User, student.id).locale == "en"
    # Another browser, without the cookie: the account's choice.
    other = client.application.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = str(student.id)
        session["_fresh"] = True
    assert '<html lang="en"' in other.get("/student/").text
    assert "Log out" in other.get("/student/").text


def test_mail_goes_out_in_the_recipients_language(client, make):
    dutch, english = make.student(), make.student()
    english.locale = "en"
    db.session.commit()
    for user in (dutch, english):
        client.post("/account/wachtwoord-vergeten", data={"email": user.email})
    mails = {m["To"]: m for m in read_outbox()}
    assert "wachtwoord" in mails[dutch.email]["Subject"].lower()
    english_mail = mails[english.email]
    assert "password" in english_mail["Subject"].lower()
    body = english_mail.get_content()
    assert "Hello" in body or "Hi" in body, body
    text = re.sub(r"https?://\S+", " ", body.replace(english.name, ""))  # URLs are Dutch paths
    assert not DUTCH.search(text), body

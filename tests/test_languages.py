"""Polish, Ukrainian and Arabic: the catalogues cover every message a student or visitor can meet
(`stagematch/translations/student_messages.txt`), with the same placeholders and every plural form;
the compiled .mo is the .po; every page a student or visitor may open shows no Dutch interface
text in these languages; Arabic pages are right to left; student mail goes out in the student's
language. Staff pages are Dutch or English only (docs/languages.md)."""

from __future__ import annotations

import ast
import re
from gettext import GNUTranslations, c2py
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from stagematch.extensions import db
from stagematch.models import User
from tests.test_access_matrix import OK, ROUTES, build_world
from tests.test_i18n import DUTCH, ENGLISH_ONLY, PLACEHOLDER, _data_values, _Text, open_page

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "stagematch" / "translations"
STUDENT_MESSAGES = CATALOGUES / "student_messages.txt"
LANGUAGES = ("pl", "uk", "ar")
# "je" is Polish too ("zapisz je": save them); the other words of the English walk's detector are
# Dutch only in these languages (Ukrainian and Arabic do not even share the script).
DUTCH_IN = {
    "pl": re.compile(DUTCH.pattern.replace("(je|", "("), re.IGNORECASE),
    "uk": DUTCH,
    "ar": DUTCH,
}


# The invitation to join a company's account is a staff page (Dutch or English) that a visitor opens.
STAFF_PAGES = {"companies.accept_invitation"}
# Dutch proper names kept in the translations (the translators' brief): not interface text.
NAMES = ("Kamer van Koophandel",)


def _po(code: str):
    with (CATALOGUES / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=code)


@pytest.fixture(scope="module")
def student_messages() -> set:
    return {
        ast.literal_eval(line) for line in STUDENT_MESSAGES.read_text().splitlines() if line.strip()
    }


def _strings(message) -> tuple:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_student_message_is_translated_with_the_same_placeholders(code, student_messages):
    catalogue = _po(code)
    assert catalogue.num_plurals == {"pl": 3, "uk": 3, "ar": 6}[code]
    untranslated, fuzzy, mismatched, plurals = [], [], [], []
    checked = 0
    for message in catalogue:
        if not message.id or message.id not in student_messages:
            continue
        checked += 1
        if message.fuzzy:
            fuzzy.append(message.id)
        strings = _strings(message)
        if not all(strings):
            untranslated.append(message.id)
            continue
        if isinstance(message.id, tuple):
            if len(strings) != catalogue.num_plurals:
                plurals.append(message.id)
            # A form for one (or two) may say the number in words: no placeholder the msgid lacks,
            # and the forms for many keep them all.
            wanted = set(PLACEHOLDER.findall(message.id[1]))
            if any(not set(PLACEHOLDER.findall(s)) <= wanted for s in strings) or (
                set(PLACEHOLDER.findall(strings[-1])) != wanted
            ):
                mismatched.append((message.id, strings))
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(strings[0])):
            mismatched.append((message.id, strings[0]))
    assert checked > 0.95 * len(student_messages), "the student message list is out of date"
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:10]}"
    assert fuzzy == []
    assert plurals == []
    assert mismatched == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_compiled_catalogue_is_the_committed_one(code):
    catalogue = _po(code)
    with (CATALOGUES / code / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = GNUTranslations(f)
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if all(message.string):  # (untranslated ones are Dutch; the walk finds them)
                for n in (0, 1, 2, 5, 11, 22, 101):
                    want = message.string[c2py(catalogue.plural_expr)(n)]
                    assert compiled.ngettext(*message.id, n) == want, (message.id, n)
        else:
            assert compiled.gettext(message.id) == (message.string or message.id), message.id


# --- pages in Polish, Ukrainian and Arabic -------------------------------------------------------


def _dutch_left(html: str, data: list[str], pattern: re.Pattern) -> list[str]:
    parser = _Text()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for value in (*data, *NAMES):
            if value in part:
                part = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", part)
        if pattern.search(part):
            found.append(part[:120])
    return found


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_student_page_is_in_the_language(app, make, code):
    world = build_world(make)
    users = dict(world.users)
    users["internship_student"] = db.session.get(User, world.ids["internship_user"])
    db.session.commit()
    data = _data_values()
    problems, checked = {}, 0
    for endpoint, (method, template, expected, _data) in sorted(ROUTES.items()):
        roles = [r for r in ("anon", "student", "internship_student") if expected.get(r) == OK]
        if method != "GET" or not roles or endpoint in ENGLISH_ONLY | STAFF_PAGES:
            continue
        for role in roles[:2]:  # the visitor's page and the student's, where they differ
            response = open_page(app, users.get(role), code, template.format(**world.ids))
            if response is None:
                continue
            checked += 1
            direction = ' dir="rtl"' if code == "ar" else ""
            assert f'<html lang="{code}"{direction}>' in response.text, endpoint
            dutch = _dutch_left(response.text, data, DUTCH_IN[code])
            if dutch:
                problems[f"{endpoint} ({role})"] = dutch
    assert checked >= 30
    assert problems == {}, f"{len(problems)} pages:\n" + "\n".join(
        f"{e}: {texts}" for e, texts in problems.items()
    )


@pytest.mark.parametrize("code", LANGUAGES)
def test_student_mail_goes_out_in_the_students_language(client, make, outbox, code):
    student = make.student()
    student.locale = code
    db.session.commit()
    client.post("/account/wachtwoord-vergeten", data={"email": student.email})
    (mail,) = [m for m in outbox() if m["To"] == student.email]
    body = mail.get_content()
    text = re.sub(r"https?://\S+", " ", body.replace(student.name, ""))
    assert not DUTCH_IN[code].search(mail["Subject"] + "\n" + text), body
    assert "wachtwoord" not in mail["Subject"].lower()


def test_staff_read_dutch_or_english_only(client, auth, make):
    """A company user who picked Polish as a visitor gets their account's language after logging
    in, and the switch offers them Dutch and English only."""
    company_user = make.company_user()
    db.session.commit()
    client.post("/taal", data={"taal": "pl", "next": "/"})
    assert '<html lang="pl">' in client.get("/").text  # the visitor: Polish
    auth.login(company_user)
    page = client.get("/leerbedrijf/").text
    assert '<html lang="nl">' in page
    assert 'value="en"' in page and 'value="pl"' not in page and 'value="ar"' not in page
    client.post("/taal", data={"taal": "ar", "next": "/"})
    db.session.expire_all()
    assert db.session.get(User, company_user.id).locale == "nl"


def test_a_student_can_choose_arabic_on_the_account(client, auth, make):
    student = make.student()
    db.session.commit()
    auth.login(student)
    response = client.post("/taal", data={"taal": "ar", "next": "/student/"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, student.id).locale == "ar"
    other = client.application.test_client()  # another browser: the account's choice
    with other.session_transaction() as session:
        session["_user_id"] = str(student.id)
        session["_fresh"] = True
    page = other.get("/student/").text
    assert '<html lang="ar" dir="rtl"' in page
    assert 'value="nl"' in page and 'value="pl"' in page

"""Plain Dutch (B1) on the pages a student or visitor opens. The measure, kept simple on purpose
(docs/languages.md): interface text only (data such as names and place texts taken out), split
into sentences at . ! ? and line ends; a page's sentences average at most 15 words, no sentence
has more than 25 words, and no word is longer than 20 letters except the listed domain terms."""

from __future__ import annotations

import re

from stagematch.extensions import db
from stagematch.models import User
from tests.test_access_matrix import OK, ROUTES, build_world
from tests.test_i18n import ENGLISH_ONLY, _data_values, _Text, open_page

MAX_AVERAGE, MAX_SENTENCE, MAX_WORD = 15, 25, 20
# Long words the users know (official terms, compounds they meet in school and at work).
DOMAIN_TERMS = {
    "praktijkovereenkomst", "praktijkovereenkomsten", "beroepspraktijkvorming",
    "stagecoördinatoren", "praktijkopleiders", "kwalificatiedossier",
    "begeleidingskwaliteit",  # the SQI, explained next to it on the place page
}  # fmt: skip
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


def measure(parts: list[str]) -> dict:
    sentences = []
    for part in parts:
        for sentence in SENTENCE.split(part):
            words = WORD.findall(sentence)
            if words:
                sentences.append(words)
    long_sentences = [" ".join(s) for s in sentences if len(s) > MAX_SENTENCE]
    long_words = sorted({w for s in sentences for w in s
                         if len(w) > MAX_WORD and w.lower() not in DOMAIN_TERMS})  # fmt: skip
    average = sum(map(len, sentences)) / len(sentences) if sentences else 0
    return {"average": average, "long_sentences": long_sentences, "long_words": long_words}


def _parts(html: str, data: list[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    parts = []
    for part in parser.parts:
        for value in data:
            if value in part:
                part = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", part)
        parts.append(part)
    return parts


def test_the_measure():
    result = measure(["Dit is kort. En dit ook!", "Een " + "heel " * 30 + "lange zin."])
    assert len(result["long_sentences"]) == 1 and result["average"] > 3
    assert measure(["Arbeidsmarktinformatievoorziening is lang."])["long_words"] == [
        "Arbeidsmarktinformatievoorziening"
    ]


def test_student_pages_are_plain_dutch(app, make):
    world = build_world(make)
    users = dict(world.users)
    users["internship_student"] = db.session.get(User, world.ids["internship_user"])
    db.session.commit()
    data = _data_values()
    problems, checked = {}, 0
    for endpoint, (method, template, expected, _data) in sorted(ROUTES.items()):
        role = next(
            (r for r in ("student", "internship_student", "anon") if expected.get(r) == OK), None
        )
        if method != "GET" or role is None or endpoint in ENGLISH_ONLY:
            continue
        response = open_page(app, users.get(role), "nl", template.format(**world.ids))
        if response is None:
            continue
        checked += 1
        result = measure(_parts(response.text, data))
        found = []
        if result["average"] > MAX_AVERAGE:
            found.append(f"average {result['average']:.1f} words")
        found += [
            f"sentence of {len(s.split())} words: {s[:100]}" for s in result["long_sentences"]
        ]
        found += [f"long word: {w}" for w in result["long_words"]]
        if found:
            problems[endpoint] = found
    assert checked >= 30
    assert problems == {}, f"{len(problems)} pages:\n" + "\n".join(
        f"{e}: {p}" for e, p in problems.items()
    )

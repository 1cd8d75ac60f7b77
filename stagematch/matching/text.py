"""Plain-Dutch text made by the matching code, in a form the site can translate.

The matching package knows nothing of Flask, so it cannot translate. It marks its Dutch strings
with `N_` (for the extractor: `pybabel extract` finds them, nothing happens at run time) and
returns them as a `Phrase`: a `str` with the Dutch text, so callers, tests and the JSON API see
the same text as before, that also remembers its msgid and values. The site translates a phrase
where it shows it (`stagematch.i18n.translate`, the `phrase` template filter)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translation happens where the text is shown."""
    return msgid


def ngettext(singular: str, plural: str, number: float, **params) -> Phrase:
    """The plural twin of `Phrase(N_(...))`: a phrase with a Dutch singular and plural, chosen by
    `number` (also `%(num)s` unless given). Named after gettext's function so the extractor records
    both forms; nothing is translated here."""
    return Phrase.counted(singular, plural, number, **params)


class Phrase(str):
    """Dutch text with its msgid and named values (`msgid % params`), or parts joined by a
    separator. Values may be phrases themselves. A counted phrase (`ngettext`) also has a plural
    msgid and the number that picks the form."""

    msgid: str
    params: dict
    parts: tuple | None
    separator: str
    plural: str | None = None
    number: float | None = None

    def __new__(cls, msgid: str, **params) -> Phrase:
        self = super().__new__(cls, msgid % _plain(params) if params else msgid)
        self.msgid, self.params, self.parts, self.separator = msgid, params, None, ""
        return self

    @classmethod
    def counted(cls, singular: str, plural: str, number: float, **params) -> Phrase:
        params.setdefault("num", number)
        self = super().__new__(cls, (singular if number == 1 else plural) % _plain(params))
        self.msgid, self.params, self.parts, self.separator = singular, params, None, ""
        self.plural, self.number = plural, number
        return self

    @classmethod
    def join(cls, separator: str, parts: Iterable[str]) -> Phrase:
        parts = tuple(parts)
        self = super().__new__(cls, separator.join(parts))
        self.msgid, self.params, self.parts, self.separator = str(self), {}, parts, separator
        return self

    def __reduce__(self):
        if self.parts is not None:
            return (Phrase.join, (self.separator, self.parts))
        if self.plural is not None:
            return (_counted, (self.msgid, self.plural, self.number, self.params))
        return (_phrase, (self.msgid, self.params))


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")  # fmt: skip


def _plain(params: dict) -> dict:
    """Values for the phrase's plain Dutch text (exports, the API): a date as "10 november
    2026", as the Dutch page shows it (the page itself formats it for its reader)."""
    return {k: f"{v.day} {MONTHS[v.month - 1]} {v.year}" if isinstance(v, date) else v
            for k, v in params.items()}  # fmt: skip


def _phrase(msgid: str, params: dict) -> Phrase:
    return Phrase(msgid, **params)


def _counted(singular: str, plural: str, number: float, params: dict) -> Phrase:
    return Phrase.counted(singular, plural, number, **params)


def to_data(text: str | float | date) -> dict:
    """A phrase as plain JSON data (to store it and translate it when it is shown later)."""
    if isinstance(text, float):  # kept a number, so the page writes it in the reader's language
        return {"number": text}
    if isinstance(text, date):  # kept a date, written as the reader writes dates
        return {"date": text.isoformat()}
    if not isinstance(text, Phrase):
        return {"text": str(text)}
    if text.parts is not None:
        return {"join": text.separator, "parts": [to_data(p) for p in text.parts]}
    data = {"msgid": text.msgid, "params": {k: to_data(v) for k, v in text.params.items()}}
    if text.plural is not None:
        data.update(plural=text.plural, number=text.number)
    return data


def from_data(data: dict) -> str | float | date:
    """The phrase `to_data` stored; plain values come back as plain strings, fractions as floats,
    dates as dates."""
    if "parts" in data:
        return Phrase.join(data["join"], [from_data(p) for p in data["parts"]])
    if "plural" in data:
        params = {k: from_data(v) for k, v in data["params"].items()}
        return Phrase.counted(data["msgid"], data["plural"], data["number"], **params)
    if "msgid" in data:
        return Phrase(data["msgid"], **{k: from_data(v) for k, v in data["params"].items()})
    if "number" in data:
        return data["number"]
    if "date" in data:
        return date.fromisoformat(data["date"])
    return data["text"]

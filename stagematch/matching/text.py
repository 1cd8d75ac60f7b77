"""Plain-Dutch text made by the matching code, in a form the site can translate.

The matching package knows nothing of Flask, so it cannot translate. It marks its Dutch strings
with `N_` (for the extractor: `pybabel extract` finds them, nothing happens at run time) and
returns them as a `Phrase`: a `str` with the Dutch text, so callers, tests and the JSON API see
the same text as before, that also remembers its msgid and values. The site translates a phrase
where it shows it (`stagematch.i18n.translate`, the `phrase` template filter)."""

from __future__ import annotations

from collections.abc import Iterable


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translation happens where the text is shown."""
    return msgid


class Phrase(str):
    """Dutch text with its msgid and named values (`msgid % params`), or parts joined by a
    separator. Values may be phrases themselves."""

    msgid: str
    params: dict
    parts: tuple | None
    separator: str

    def __new__(cls, msgid: str, **params) -> Phrase:
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid, self.params, self.parts, self.separator = msgid, params, None, ""
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
        return (_phrase, (self.msgid, self.params))


def _phrase(msgid: str, params: dict) -> Phrase:
    return Phrase(msgid, **params)


def to_data(text: str) -> dict:
    """A phrase as plain JSON data (to store it and translate it when it is shown later)."""
    if not isinstance(text, Phrase):
        return {"text": str(text)}
    if text.parts is not None:
        return {"join": text.separator, "parts": [to_data(p) for p in text.parts]}
    return {"msgid": text.msgid, "params": {k: to_data(v) for k, v in text.params.items()}}


def from_data(data: dict) -> str:
    """The phrase `to_data` stored; plain values come back as plain strings."""
    if "parts" in data:
        return Phrase.join(data["join"], [from_data(p) for p in data["parts"]])
    if "msgid" in data:
        return Phrase(data["msgid"], **{k: from_data(v) for k, v in data["params"].items()})
    return data["text"]

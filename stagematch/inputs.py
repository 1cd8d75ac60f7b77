"""What arrives from outside, made safe to store before any code sees it.

A NUL character (U+0000) is never meaningful in a name, a motivation or a search, PostgreSQL text
columns refuse it (SQLite accepts it), and it hides text from people and tools that read the data
later. The request class drops it from query strings and form fields, keys included, so every form,
filter and API parameter gets the user's input without it instead of a database error."""

from __future__ import annotations

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property

NUL = "\x00"


def _clean(data: ImmutableMultiDict) -> ImmutableMultiDict:
    if not any(NUL in key or NUL in value for key, value in data.items(multi=True)):
        return data
    return ImmutableMultiDict(
        (key.replace(NUL, ""), value.replace(NUL, "")) for key, value in data.items(multi=True)
    )


class CleanRequest(Request):
    @cached_property
    def args(self) -> ImmutableMultiDict:
        return _clean(super().args)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if "form" in self.__dict__:
            self.__dict__["form"] = _clean(self.__dict__["form"])

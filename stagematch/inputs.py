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


# --- numbers ---------------------------------------------------------------------------------
# `str.isdigit()` and `int()` accept far more than 0-9: '²' passes isdigit() and fails int(), '٣'
# and '３' pass both. And a number that Python reads fine may not fit the database's integer
# column (PostgreSQL refuses anything beyond 2**31-1 even in a WHERE). Every id, page and count
# that comes from a request goes through `parse_int`: ASCII digits only, within the bounds given.

MAX_ID = 2**31 - 1  # ids and counts are PostgreSQL `integer` columns
MAX_PAGE = 100_000
ASCII_DIGITS = frozenset("0123456789")


def parse_int(text: str | None, *, lo: int, hi: int) -> int | None:
    """`text` as an int when it is ASCII digits (with a leading '-' only when `lo` is negative)
    within lo..hi; otherwise None. Surrounding whitespace is ignored. Never raises."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    negative = text.startswith("-") and lo < 0
    digits = text[1:] if negative else text
    if not digits or not ASCII_DIGITS.issuperset(digits):
        return None
    # Too many digits to be in range: refused before int() (which is slow on long strings and
    # refuses more than 4,300 digits).
    if len(digits.lstrip("0")) > len(str(max(abs(lo), abs(hi)))):
        return None
    value = -int(digits) if negative else int(digits)
    return value if lo <= value <= hi else None


def arg_int(
    name: str, default: int | None = None, *, lo: int = 1, hi: int = MAX_ID, values=None
) -> int | None:
    """The request's query parameter `name` (or the one in `values`, e.g. request.form) as an int
    within lo..hi; `default` when it is missing or is not such a number. Ids by default."""
    from flask import request

    source = request.args if values is None else values
    value = parse_int(source.get(name), lo=lo, hi=hi)
    return default if value is None else value


def form_int(name: str, default: int | None = None, *, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """Like `arg_int`, for a field of the posted form."""
    from flask import request

    return arg_int(name, default, lo=lo, hi=hi, values=request.form)


def coerce_id(value) -> int:
    """WTForms `coerce` for choices that are ids (0 for 'none'): an int as `parse_int` reads it,
    or ValueError, which the field reports as its own error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = parse_int(value, lo=-MAX_ID, hi=MAX_ID)
    if number is None:
        raise ValueError(f"not a whole number: {value!r:.40}")
    return number

"""Refusing passwords that are easy to guess: zxcvbn's list of common passwords (mostly English)
and our own list of common Dutch ones (stagematch/data/common_passwords_nl.txt), also with digits
or punctuation added at the end ("Welkom123!", "voetbal2026"). The form validator is
`stagematch.forms.NotCommonPassword`."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

DUTCH_LIST = Path(__file__).resolve().parent / "data" / "common_passwords_nl.txt"
_ADDED_AT_END = re.compile(r"[\d!?.]+$")


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, from the list the zxcvbn package ships."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


@cache
def dutch_common_passwords() -> frozenset[str]:
    lines = DUTCH_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


def is_common_password(password: str) -> bool:
    value = password.strip().lower()
    if len(set(value)) <= 2:
        return True
    lists = (dutch_common_passwords(), common_passwords())
    if any(value in common for common in lists):
        return True
    word = _ADDED_AT_END.sub("", value)
    return len(word) >= 3 and any(word in common for common in lists)

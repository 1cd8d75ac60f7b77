"""Autocomplete for the search form (issue #20): a few town names or qualification labels that
match what a person typed, from the per-process reference lists — the search page no longer
carries ~470 qualifications and ~2,000 towns in datalists (about 100 KB)."""

from __future__ import annotations

from stagematch import geo
from stagematch.reference import qualification_labels

LIMIT = 10
MAX_TYPED = 80
FIELDS = ("plaats", "opleiding")


def _ranked(candidates, typed: str, key, limit: int) -> list[str]:
    """Names that start with what was typed first, then names with a word that does, then names
    that contain it; within each, the order of `candidates`."""
    starts, word_starts, contains = [], [], []
    for name in candidates:
        k = key(name)
        if k.startswith(typed):
            starts.append(name)
        elif f" {typed}" in f" {k}":
            word_starts.append(name)
        elif typed in k:
            contains.append(name)
        if len(starts) >= limit:
            break
    return (starts + word_starts + contains)[:limit]


def suggest(field: str, typed: str, *, limit: int = LIMIT) -> list[str]:
    """At most `limit` suggestions for `field` ("plaats" or "opleiding"); none for an unknown
    field or fewer than two typed characters (one letter would match most of the list)."""
    typed = geo.lookup_key((typed or "")[:MAX_TYPED])
    if field not in FIELDS or len(typed) < 2:
        return []
    if field == "plaats":
        # `towns()` is most populous first: "zw" offers Zwolle before Zwartewaal.
        return _ranked((t.name for t in geo.towns().values()), typed, geo.lookup_key, limit)
    return _ranked(qualification_labels(), typed, geo.lookup_key, limit)

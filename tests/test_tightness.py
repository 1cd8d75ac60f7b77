"""Shortage occupations, "kansrijk beroep" (issue 18, item 4): the shipped figures with their
source and date, shown on the pages, and an explicit, optional search filter and sort that never
touch the match model."""

from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.matching.features import FEATURES
from stagematch.models import Qualification
from stagematch.ranking import make_ranker
from stagematch.services import tightness
from stagematch.services.search import SearchFilters, search

AUTOTECHNICUS = "25242"  # dossier Voertuigen en mobiele werktuigen -> Automonteurs, 16
GAMEDEVELOPER = "25188"  # ICT: no figure in the source
METSELAAR = "25103"  # Bouwarbeiders ruwbouw: "in evenwicht", not kansrijk


@pytest.fixture(autouse=True)
def _fresh_files():
    tightness.clear_cache()
    yield
    tightness.clear_cache()


def _q(crebo: str) -> Qualification:
    return db.session.scalar(select(Qualification).where(Qualification.crebo == crebo))


def _titles(page: str) -> list[str]:
    return re.findall(r'id="plek-\d+-titel"><a [^>]*>([^<]+)</a>', page)


def _world(make):
    """Three places near Enschede: a tight occupation, one without a figure, one in balance."""
    places = {}
    for title, crebo, town in (
        ("Automonteur", AUTOTECHNICUS, "Hengelo"),
        ("Gamedeveloper", GAMEDEVELOPER, "Enschede"),
        ("Metselaar", METSELAAR, "Enschede"),
    ):
        q = _q(crebo)
        company = make.company(town=town, qualifications=[q])
        places[title] = make.placement(company, make.meester(company), title=title, level=q.level)
    db.session.commit()
    return places


# --- the data ---------------------------------------------------------------------------------


def test_the_data_file_names_its_source_and_date():
    head = tightness.FIGURES_CSV.read_text(encoding="utf-8").split("occupation,")[0]
    assert "UWV" in head and "2024" in head and "Transcribed 2026-11-24" in head
    doc = (tightness.DATA / "tightness.md").read_text(encoding="utf-8")
    assert "## Source and date" in doc and "Overijssel, first quarter of 2024" in doc
    assert all(t.source and t.period == "2024-Q1" for t in tightness.figures().values())


def test_every_mapping_points_at_a_figure_and_a_real_qualification(app):
    occupations = {occupation for occupation, _ in tightness.figures()}
    with tightness.MAPPING_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    register = db.session.scalars(select(Qualification)).all()
    codes = {
        "crebo": {q.crebo for q in register},
        "dossier": {q.dossier_crebo for q in register},
        "domain": {q.domain_name for q in register},
    }
    for row in rows:
        assert row["occupation"] in occupations, row
        assert row["code"] in codes[row["match"]], row


def test_for_qualification_gives_figure_label_and_source(app):
    t = tightness.for_qualification(_q(AUTOTECHNICUS))
    assert (t.occupation, t.figure, t.label, t.kansrijk) == (
        "Automonteurs",
        16.0,
        "zeer krap",
        True,
    )
    assert t.region == "Overijssel" and "UWV" in t.source
    assert tightness.for_qualification(_q(GAMEDEVELOPER)) is None
    assert tightness.for_qualification(None) is None
    balanced = tightness.for_qualification(_q(METSELAAR))
    assert balanced.label == "in evenwicht" and not balanced.kansrijk
    # The most specific match wins: Onderwijsassistent (crebo) over its domain Zorg en welzijn.
    assert tightness.for_qualification(_q("25485")).occupation == "Onderwijs"
    assert tightness.for_qualification(_q("25484")).occupation == "Zorg en welzijn"
    assert tightness.for_qualification(_q("25484")).label == "zeer krap"  # "bijna 5"
    assert tightness.for_qualification(_q("25485")).label == "krap"  # "bijna 4"
    # A region without its own figure falls back to Overijssel's, and says so.
    assert tightness.for_qualification(_q(AUTOTECHNICUS), region="Limburg").region == "Overijssel"


def test_the_files_are_read_once_per_process(app, monkeypatch):
    tightness.for_qualification(_q(AUTOTECHNICUS))  # the first use reads both files
    calls = []
    monkeypatch.setattr(tightness, "_rows", lambda path: calls.append(path) or [])
    for _ in range(3):
        tightness.for_qualification(_q(AUTOTECHNICUS))
    assert calls == []


# --- the pages --------------------------------------------------------------------------------


def test_place_page_shows_kansrijk_beroep_with_figure_and_source(client, make):
    places = _world(make)
    page = client.get(f"/plekken/{places['Automonteur'].id}").get_data(as_text=True)
    assert "Kansrijk beroep" in page
    assert "zeer krap, 16 vacatures per werkzoekende" in page
    assert "Overijssel, 1e kwartaal 2024" in page and "bron: UWV" in page
    assert "meer vacatures dan werkzoekenden" in page
    for title in ("Gamedeveloper", "Metselaar"):
        page = client.get(f"/plekken/{places[title].id}").get_data(as_text=True)
        assert "Kansrijk beroep" not in page, title


def test_result_cards_show_kansrijk_beroep(client, make):
    places = _world(make)
    page = client.get("/plekken/", query_string={"town": "Enschede", "radius": "30"})
    html = page.get_data(as_text=True)
    card = html.split(f'id="plek-{places["Automonteur"].id}"')[1].split("</article>")[0]
    assert "Kansrijk beroep" in card and "16 vacatures per werkzoekende" in card and "UWV" in card
    other = html.split(f'id="plek-{places["Gamedeveloper"].id}"')[1].split("</article>")[0]
    assert "Kansrijk beroep" not in other


def test_student_profile_shows_kansrijk_next_to_the_qualification(client, make, auth):
    student = make.student(qualification=_q(AUTOTECHNICUS))
    auth.login(student)
    page = client.get("/student/profiel").get_data(as_text=True)
    assert "Kansrijk beroep" in page and "16 vacatures per werkzoekende" in page
    other = make.student(qualification=_q(GAMEDEVELOPER))
    auth.logout()
    auth.login(other)
    assert "Kansrijk beroep" not in client.get("/student/profiel").get_data(as_text=True)


# --- the search option ------------------------------------------------------------------------


def test_the_option_is_visible_and_off_by_default(client, make):
    _world(make)
    html = client.get("/plekken/", query_string={"town": "Enschede", "radius": "30"}).get_data(
        as_text=True
    )
    assert "Alleen kansrijke beroepen" in html and 'name="kansrijk"' in html
    assert re.search(r'<option value="kansrijk">Kansrijk beroep eerst</option>', html)
    checkbox = re.search(r'<input[^>]*name="kansrijk"[^>]*>', html).group(0)
    assert "checked" not in checkbox
    assert sorted(_titles(html)) == ["Automonteur", "Gamedeveloper", "Metselaar"]


def test_the_filter_keeps_only_kansrijke_beroepen(client, make):
    _world(make)
    html = client.get(
        "/plekken/", query_string={"town": "Enschede", "radius": "30", "kansrijk": "y"}
    ).get_data(as_text=True)
    assert _titles(html) == ["Automonteur"]
    assert "checked" in re.search(r'<input[^>]*name="kansrijk"[^>]*>', html).group(0)


def test_the_sort_puts_kansrijke_beroepen_first(client, make):
    _world(make)
    params = {"town": "Enschede", "radius": "30"}
    by_distance = _titles(
        client.get("/plekken/", query_string={**params, "sort": "distance"}).get_data(as_text=True)
    )
    assert by_distance[-1] == "Automonteur"  # Hengelo is further than Enschede itself
    html = client.get("/plekken/", query_string={**params, "sort": "kansrijk"}).get_data(
        as_text=True
    )
    assert _titles(html)[0] == "Automonteur" and len(_titles(html)) == 3
    assert "Gesorteerd op kansrijk beroep" in html


# --- never a weight in the ranking ------------------------------------------------------------


def test_tightness_is_not_a_feature_of_the_match_model():
    assert not [f for f in FEATURES if re.search("tight|kansrijk|krap|spanning|shortage", f)]


def test_ranking_is_identical_whatever_the_tightness_data(app, make, monkeypatch):
    _world(make)
    student = make.student(town="Enschede", qualification=_q(AUTOTECHNICUS), max_travel_km=30)
    profile = student.profile
    db.session.commit()

    def ranked():
        filters = SearchFilters(town=geo.find_town("Enschede"), radius_km=30, student=profile)
        page = search(filters, ranker=make_ranker(profile))
        return page.ranked_by, page.ranked, [h.placement.title for h in page.hits]

    before = ranked()
    assert before[0] in ("model", "rule") and before[1]
    # Every occupation very tight, then none at all: the order and the scores stay the same.
    very_tight = {
        key: tightness.Tightness(t.occupation, t.region, 99.0, "99", t.period, t.source)
        for key, t in tightness.figures().items()
    }
    monkeypatch.setattr(tightness, "figures", lambda: very_tight)
    assert ranked() == before
    monkeypatch.setattr(tightness, "figures", lambda: {})
    assert ranked() == before


def test_a_saved_search_keeps_the_kansrijk_and_whole_country_options(app):
    """A saved search with "Alleen kansrijke beroepen", the kansrijk sort or "Heel Nederland" must
    alert on the same places the search page shows (was: refused or ignored)."""
    from stagematch.services.alerts import filters_from_query

    filters = filters_from_query("kansrijk=y&sort=kansrijk&heel_nederland=1")
    assert filters is not None
    assert filters.kansrijk and filters.sort == "kansrijk" and filters.anywhere
    plain = filters_from_query("q=bakker")
    assert not plain.kansrijk and not plain.anywhere

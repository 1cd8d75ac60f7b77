"""Issue #20: the search page's autocomplete. The page no longer carries ~470 qualifications and
~2,000 towns; a small JSON endpoint answers what matches the typed text."""

from __future__ import annotations

from stagematch.places.suggestions import SUGGEST_LIMIT
from stagematch.services.suggestions import LIMIT


def _suggest(client, field: str, q: str):
    return client.get("/plekken/suggesties", query_string={"veld": field, "q": q})


def test_typed_letters_offer_matching_towns_most_populous_first(client):
    response = _suggest(client, "plaats", "zwo")
    assert response.status_code == 200 and response.is_json
    assert response.json[0] == "Zwolle"
    assert "max-age" in response.headers["Cache-Control"]
    many = _suggest(client, "plaats", "ze").json  # Zeist, Zevenaar, ...: a short list only
    assert len(many) == LIMIT and all("ze" in name.lower() for name in many)  # cut at the limit
    assert _suggest(client, "plaats", "ZWÖ").json[0] == "Zwolle"  # case and accents do not matter


def test_qualifications_are_found_by_name_or_crebo(client):
    assert _suggest(client, "opleiding", "25180").json == ["25180 – Kok (niveau 2)"]
    names = _suggest(client, "opleiding", "kok").json
    assert "25180 – Kok (niveau 2)" in names and len(names) <= LIMIT


def test_odd_requests_get_an_empty_list_not_an_error(client):
    for query in ({}, {"veld": "wachtwoord", "q": "abc"}, {"veld": "plaats", "q": "z"},
                  {"veld": "plaats", "q": "x" * 5000}, {"veld": "plaats", "q": "\x00<script>"}):  # fmt: skip
        response = client.get("/plekken/suggesties", query_string=query)
        assert response.status_code == 200 and response.json == []


def test_suggestions_are_rate_limited(client, rate_limits):
    allowed = int(SUGGEST_LIMIT.split()[0])
    for _ in range(allowed):
        assert _suggest(client, "plaats", "zwo").status_code == 200
    assert _suggest(client, "plaats", "zwo").status_code == 429


def test_the_search_page_no_longer_carries_the_lists(client):
    page = client.get("/plekken/?alle=1").get_data(as_text=True)
    assert len(page) < 20_000  # was ~89 KB with the datalists
    assert '<option value="Zwolle">' not in page and "25180 – Kok" not in page
    assert 'data-suggest="plaats"' in page and "js/suggest.js" in page


def test_without_javascript_a_typed_town_is_still_checked_by_the_server(client):
    wrong = client.get("/plekken/", query_string={"town": "Zwole", "radius": "10"})
    assert wrong.status_code == 422 and "Zwolle" in wrong.get_data(as_text=True)  # "Bedoel je"
    right = client.get("/plekken/", query_string={"town": "zwolle", "radius": "10"})
    assert right.status_code == 200


def test_reference_lists_are_read_once_per_process_until_the_reference_data_changes(app):
    from sqlalchemy import select

    from stagematch.extensions import db
    from stagematch.models import Qualification
    from stagematch.reference import invalidate, load_reference_data, qualification_labels
    from tests.test_query_counts import counted

    labels = qualification_labels()
    with counted() as statements:
        assert qualification_labels() is labels
    assert statements == []
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    try:
        kok.name = "Kok in opleiding"
        db.session.commit()
        assert "25180 – Kok in opleiding (niveau 2)" not in qualification_labels()  # cached
        load_reference_data()  # what `flask load-reference` runs: the caches are emptied
        assert "25180 – Kok in opleiding (niveau 2)" in qualification_labels()
    finally:
        kok.name = "Kok"
        db.session.commit()
        invalidate()

"""Fair advertisements (issue 19, item 7): a place's texts are checked for discriminatory wording
before it goes online; a clear hit is refused with an explanation, a doubtful one waits for a
coordinator, whose decision is recorded; checks are counted per company."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from stagematch.extensions import db
from stagematch.models import AdCheck, AuditEvent, Placement
from stagematch.models.enums import PlacementStatus
from stagematch.services import fair_ads
from stagematch.services.fair_ads import TERMS_CSV, check_texts
from stagematch.timeutil import today
from tests.test_companies import _place_form
from tests.test_imports import _import_places, _place_row, _places
from tests.test_notifications import _clear, check_sent

# --- the checker ---------------------------------------------------------------------------------

BLOCKED_TEXTS = [
    "Wij zoeken alleen Nederlandse stagiairs.",
    "Geen allochtonen a.u.b.",
    "Leeftijd: max 25 jaar.",
    "Alleen mannen, het werk is zwaar.",
    "No foreigners please.",
    "Geen stagiairs van het Deltion.",
    "GÉÉN ALLOCHTONEN",  # case and accents do not matter
    "Je bent niet ouder dan 23.",
    "geen moslims",
    "Geen mensen met een beperking.",
]
REVIEW_TEXTS = [
    "Wij zijn een jong team in Enschede.",
    "Je moedertaal is Nederlands. Moedertaal Nederlands is een pré.",
    "Dames-/herenkapper in het centrum.",
    "Je bent stevig gebouwd.",
    "Minimaal 16 jaar.",
    "18+ vanwege het schenken van alcohol.",
]
CLEAN = [
    "Wij zijn een bakkerij in Enschede. Je leert brood bakken en werkt mee in de winkel.",
    "Maximaal 40 uur per week; je werkt 4 dagen.",
    "Geen stagiairs van niveau 1: de plek is voor niveau 3.",
    "Je spreekt goed Nederlands (niveau B1).",
    "Stage van 20 weken, contract van 2 jaar.",
    "Je werkt in de hoofdstad met een mannenkoor als klant.",  # words inside words are no hit
    "Wij bieden een goede stagevergoeding en een leuke werkplek.",
    "",
]


def _rows():
    with TERMS_CSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def test_every_example_of_the_list_is_a_hit_of_its_own_rule_and_severity():
    rows = _rows()
    assert len(rows) >= 30 and {r["lang"] for r in rows} == {"nl", "en"}
    assert {r["category"] for r in rows} == set(fair_ads.CATEGORY_LABELS) == set(fair_ads.WHY)
    for row in rows:
        hits = check_texts({"tasks": row["example"].replace("…", "Zwolle")})
        assert any(h.rule == row["id"] and h.severity == row["severity"] for h in hits), row


@pytest.mark.parametrize("text", BLOCKED_TEXTS)
def test_clear_discrimination_blocks(text):
    hits = check_texts({"description": text})
    assert fair_ads.is_blocking(hits), (text, hits)


@pytest.mark.parametrize("text", REVIEW_TEXTS)
def test_wording_that_may_be_innocent_goes_to_review_not_block(text):
    hits = check_texts({"description": text})
    assert hits and not fair_ads.is_blocking(hits), (text, hits)
    assert {h.severity for h in hits} == {"review"}


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_texts_give_no_hit(text):
    assert check_texts({"tasks": text, "title": text}) == []


def test_a_hit_names_the_words_as_written_with_their_field_category_and_context():
    text = "Leuke plek in Hengelo. Wij nemen GEEN Allochtonen aan, en de koffie is gratis."
    [hit] = check_texts({"title": "Stage", "description": text})
    assert hit.term == "GEEN Allochtonen" and hit.field == "description"
    assert hit.category == "afkomst" and hit.severity == "block"
    assert "Wij nemen GEEN Allochtonen aan" in hit.excerpt
    assert set(hit.to_data()) >= {"term", "category", "field", "excerpt", "severity"}


def test_a_block_and_a_review_on_the_same_words_count_once_as_block():
    hits = check_texts({"tasks": "Wij zoeken alleen Nederlandse jonge stagiairs"})
    assert [h.severity for h in hits if "Nederlandse" in h.term] == ["block"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(fair_ads.FIELDS), st.text(max_size=300), max_size=5))
def test_the_checker_never_crashes_and_excerpts_come_from_the_text(fields):
    for hit in check_texts(fields):
        assert hit.term and " ".join(fields[hit.field].split()).find(hit.term) >= 0


# --- the form: block and review --------------------------------------------------------------


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_discriminatory_place_is_refused_with_an_explanation_and_the_input_back(
    client, make, company_user
):
    meester = make.meester(company_user.company)
    db.session.commit()
    data = _place_form(
        company_user.company, meester, description="Alleen Nederlandse stagiairs, max 25 jaar."
    )
    response = client.post("/leerbedrijf/plekken/nieuw", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "kan niet online" in page and "Alleen Nederlandse" in page and "max 25 jaar" in page
    assert "Algemene wet gelijke behandeling" in page and "niveau B1" in page  # why and instead
    assert "Leerling-kok" in page  # the input comes back
    assert _count(Placement) == 0
    [check] = db.session.scalars(select(AdCheck)).all()
    assert (check.outcome, check.status, check.company_id, check.placement_id) == (
        "blocked", "refused", company_user.company.id, None)  # fmt: skip
    assert {h["category"] for h in check.hits} == {"afkomst", "leeftijd"}


def test_publishing_a_draft_with_a_blocked_text_keeps_it_a_draft_and_counts_the_check(
    client, make, company_user
):
    meester = make.meester(company_user.company)
    place = make.placement(company_user.company, meester, status=PlacementStatus.DRAFT,
                           tasks="Geen allochtonen. Je helpt in de keuken.")  # fmt: skip
    db.session.commit()
    page = client.post(f"/leerbedrijf/plekken/{place.id}/publiceren", follow_redirects=True).text
    assert "kan niet online" in page
    db.session.expire_all()
    assert db.session.get(Placement, place.id).status == PlacementStatus.DRAFT
    [check] = db.session.scalars(select(AdCheck)).all()
    assert check.outcome == "blocked" and check.placement_id == place.id


@pytest.fixture
def review_world(make):
    company = make.company(name="Kapsalon Knip")  # in Enschede
    owner = make.company_user(company)
    meester = make.meester(company, capacity=3)
    near = make.coordinator(make.school("ROC van Twente"))  # Hengelo, near Enschede
    far = make.coordinator(make.school("Deltion College"))  # Zwolle
    db.session.commit()
    return dict(company=company, owner=owner, meester=meester, near=near, far=far)


def _publish_review_place(client, auth, world, text="Wij zijn een jong team."):
    auth.login(world["owner"])
    data = _place_form(world["company"], world["meester"], description=text)
    response = client.post("/leerbedrijf/plekken/nieuw", data=data)
    assert response.status_code == 302, response.text[:3000]
    auth.logout()
    return db.session.scalar(select(Placement).order_by(Placement.id.desc()))


def test_a_doubtful_text_waits_as_a_draft_and_the_school_nearby_is_told_once(
    app, client, auth, review_world, outbox
):
    w = review_world
    _clear(app)
    place = _publish_review_place(client, auth, w)
    assert place.status == PlacementStatus.DRAFT
    [check] = db.session.scalars(select(AdCheck)).all()
    assert (check.outcome, check.status, check.placement_id) == ("review", "open", place.id)
    auth.login(w["owner"])
    page = client.get(f"/leerbedrijf/plekken/{place.id}").text
    assert "wacht op controle door de school" in page and "jong team" in page
    auth.logout()
    # The company has no students of any school yet: the schools within 50 km review it.
    check_sent(app, client, outbox, w["near"], "ad_review",
               repeat=lambda: fair_ads.notify_review(check))  # fmt: skip
    assert not [m for m in outbox() if w["far"].email in m["To"]]


def test_the_coordinator_approves_and_the_place_goes_online_with_the_decision_recorded(
    app, client, auth, review_world, outbox
):
    w = review_world
    place = _publish_review_place(client, auth, w)
    check = db.session.scalar(select(AdCheck))
    _clear(app)
    auth.login(w["near"])
    queue = client.get("/coordinator/advertenties").text
    assert "Kapsalon Knip" in queue and f"/coordinator/advertenties/{check.id}" in queue
    page = client.get(f"/coordinator/advertenties/{check.id}").text
    assert "<mark>jong team</mark>" in page
    response = client.post(f"/coordinator/advertenties/{check.id}",
                           data={"decision": "approve", "note": "Past bij het bedrijf."})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    check = db.session.get(AdCheck, check.id)
    assert (check.status, check.decided_by_id, check.decision_note) == (
        "approved", w["near"].id, "Past bij het bedrijf.")  # fmt: skip
    assert check.decided_at is not None
    assert db.session.get(Placement, place.id).status == PlacementStatus.OPEN
    assert (
        db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "adcheck.approve", AuditEvent.object_id == check.id
            )
        ).actor_id
        == w["near"].id
    )
    auth.logout()
    check_sent(app, client, outbox, w["owner"], "ad_decided")
    # Approved wording is not asked again when the company changes something else.
    auth.login(w["owner"])
    data = _place_form(w["company"], w["meester"], description="Wij zijn een jong team.", seats="2")
    assert client.post(f"/leerbedrijf/plekken/{place.id}/bewerken", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Placement, place.id).status == PlacementStatus.OPEN
    assert _count(AdCheck) == 1


def test_the_coordinator_rejects_with_a_note_and_the_company_sees_it(
    app, client, auth, review_world, outbox
):
    w = review_world
    place = _publish_review_place(client, auth, w, text="Je bent stevig gebouwd.")
    check = db.session.scalar(select(AdCheck))
    auth.login(w["near"])
    url = f"/coordinator/advertenties/{check.id}"
    response = client.post(url, data={"decision": "reject", "note": ""})
    assert response.status_code == 422 and "Schrijf bij een afkeuring waarom" in response.text
    _clear(app)
    response = client.post(url, data={"decision": "reject", "note": "Schrijf wat er getild wordt."})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AdCheck, check.id).status == "rejected"
    assert db.session.get(Placement, place.id).status == PlacementStatus.DRAFT
    # deciding twice is refused, not a 500
    assert client.post(url, data={"decision": "approve", "note": ""}).status_code == 422
    auth.logout()
    check_sent(app, client, outbox, w["owner"], "ad_decided")
    auth.login(w["owner"])
    page = client.get(f"/leerbedrijf/plekken/{place.id}").text
    assert "afgekeurd" in page and "Schrijf wat er getild wordt." in page


def test_a_coordinator_of_a_school_that_does_not_review_the_company_cannot_see_or_decide(
    client, auth, review_world
):
    w = review_world
    _publish_review_place(client, auth, w)
    check = db.session.scalar(select(AdCheck))
    auth.login(w["far"])
    assert "Kapsalon Knip" not in client.get("/coordinator/advertenties").text
    assert client.get(f"/coordinator/advertenties/{check.id}").status_code == 404
    assert client.post(f"/coordinator/advertenties/{check.id}",
                       data={"decision": "approve"}).status_code == 404  # fmt: skip
    db.session.expire_all()
    assert db.session.get(AdCheck, check.id).status == "open"


def test_editing_the_text_withdraws_the_open_review(client, auth, review_world):
    w = review_world
    place = _publish_review_place(client, auth, w)
    auth.login(w["owner"])
    data = _place_form(w["company"], w["meester"], description="Een gezellig team.", action="save")
    assert client.post(f"/leerbedrijf/plekken/{place.id}/bewerken", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(AdCheck)).status == "withdrawn"


def test_an_approval_still_applies_the_other_publish_rules(client, auth, review_world):
    w = review_world
    place = _publish_review_place(client, auth, w)
    check = db.session.scalar(select(AdCheck))
    place.start_date = today() - timedelta(days=1)  # meanwhile the start date passed
    db.session.commit()
    auth.login(w["near"])
    page = client.post(f"/coordinator/advertenties/{check.id}", data={"decision": "approve"},
                       follow_redirects=True).text  # fmt: skip
    assert "startdatum is al voorbij" in page
    db.session.expire_all()
    assert db.session.get(AdCheck, check.id).status == "approved"
    assert db.session.get(Placement, place.id).status == PlacementStatus.DRAFT


# --- the place import ------------------------------------------------------------------------


def test_an_imported_place_with_a_blocked_text_is_a_refused_row(client, make, company_user):
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    db.session.commit()
    content = _places(
        _place_row(company, 1, publish="ja"),
        _place_row(company, 2, publish="ja", tasks="Geen buitenlanders, je helpt in de keuken."),
    )
    page = _import_places(client, content).get_data(as_text=True)
    assert "<td>3</td>" in page and "kan niet online" in page and "Er is niets opgeslagen" in page
    assert _count(Placement) == 0
    [check] = db.session.scalars(select(AdCheck)).all()
    assert check.outcome == "blocked" and check.company_id == company.id


def test_an_imported_place_with_a_doubtful_text_is_stored_as_a_draft_under_review(
    client, make, company_user
):
    company = company_user.company
    make.meester(company, name="Ans Meester", capacity=5)
    db.session.commit()
    content = _places(
        _place_row(company, 1, publish="ja"),
        _place_row(company, 2, publish="ja", tasks="Je werkt in een jong team in de salon."),
    )
    page = _import_places(client, content).get_data(as_text=True)
    assert "<strong>2</strong> plekken opgeslagen" in page, page
    statuses = dict(db.session.execute(select(Placement.title, Placement.status)).all())
    assert statuses == {"Plek 1": "open", "Plek 2": "draft"}
    [check] = db.session.scalars(select(AdCheck)).all()
    assert (check.outcome, check.status) == ("review", "open")


# --- counted per company -----------------------------------------------------------------------


def test_checks_are_counted_on_the_admin_and_coordinator_company_pages(client, auth, make):
    from stagematch.models import Application
    from stagematch.services.applications import accept

    company = make.company(name="Bouwbedrijf Stevig")
    make.company_user(company)
    admin, coordinator = make.admin(), make.coordinator()
    # a student of the coordinator's school is placed there: it is on the school's company list
    place = make.placement(company, make.meester(company), seats=2)
    application = Application(student=make.student().profile, placement=place)
    db.session.add(application)
    db.session.commit()
    accept(application.id)
    db.session.add_all([
        AdCheck(company_id=company.id, outcome="blocked", status="refused", hits=[]),
        AdCheck(company_id=company.id, outcome="blocked", status="refused", hits=[]),
        AdCheck(company_id=company.id, outcome="review", status="rejected", hits=[]),
    ])  # fmt: skip
    db.session.commit()
    assert fair_ads.counts_by_company([company.id])[company.id] == fair_ads.AdCounts(2, 1, 1)
    auth.login(admin)
    page = client.get(f"/beheer/bedrijven/{company.id}").text
    assert "Advertentiecontrole" in page and "2 geweigerd" in page and "1 ter controle" in page
    assert "1 afgekeurd" in page
    auth.logout()
    auth.login(coordinator)
    page = client.get("/coordinator/bedrijven").text
    assert "Bouwbedrijf Stevig" in page
    assert "teksten: 2 geweigerd, 1 ter controle, 1 afgekeurd" in page

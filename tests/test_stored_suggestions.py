"""Stored suggestions (issue 20, item 1): the lists the batch ranker stores are what the live
ranking shows, they are read only while fresh, every change that can reorder a list makes it
stale, the hard rules are checked again when a list is read, and the refresh job recomputes what
went stale."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, update

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Interaction,
    InteractionKind,
    Internship,
    Placement,
    Qualification,
    StoredSuggestions,
    StudentProfile,
)
from stagematch.ranking import Ranker, make_ranker, profile_filters, recommendations, with_reasons
from stagematch.services import favourites
from stagematch.services import stored_suggestions as stored
from stagematch.services.interactions import log_event
from stagematch.services.search import search
from stagematch.timeutil import today, utcnow
from tests.test_ranking import demo, gate_passes  # noqa: F401  (fixtures)


def live(profile: StudentProfile, *, per_page: int, page: int = 1):
    """The student's list ranked per request, as before stored suggestions."""
    filters = profile_filters(profile)
    filters.page = page
    ranker = make_ranker(profile)
    return with_reasons(search(filters, per_page=per_page, ranker=ranker), ranker)


def same_page(got, expected) -> None:
    assert [h.placement.id for h in got.hits] == [h.placement.id for h in expected.hits]
    assert np.allclose([h.score for h in got.hits], [h.score for h in expected.hits])
    assert [h.reasons for h in got.hits] == [h.reasons for h in expected.hits]
    assert [h.label for h in got.hits] == [h.label for h in expected.hits]
    assert [h.distance_km for h in got.hits] == [h.distance_km for h in expected.hits]
    assert (got.total, got.page, got.ranked_by) == (
        expected.total,
        expected.page,
        expected.ranked_by,
    )


def test_stored_lists_show_what_the_live_ranking_shows(runner, demo, gate_passes, client, auth):  # noqa: F811
    output = runner.invoke(args=["train"]).output
    assert "nu actief" in output, output
    assert runner.invoke(args=["refresh-suggestions"]).exit_code == 0
    profiles = db.session.scalars(
        select(StudentProfile).where(StudentProfile.lat.is_not(None)).order_by(StudentProfile.id)
    ).all()
    chosen = [demo, *profiles[:: max(1, len(profiles) // 8)][:8]]
    compared = 0
    for profile in chosen:
        for per_page, page in ((5, 1), (10, 1), (10, 2)):
            got = recommendations(profile, limit=per_page, page=page)
            if got.total > stored.STORE:
                continue  # beyond what is stored the live path answers anyway
            assert getattr(got, "stored", False), profile.id
            same_page(got, live(profile, per_page=per_page, page=page))
            compared += len(got.hits)
    assert compared > 20

    # A refresh of a few students (the job after one student's change) ranks them among the
    # places their own searches can find instead of loading every open place: the same lists.
    def rows():
        db.session.expire_all()
        return {
            r.student_id: (r.place_ids, r.scores, r.candidates)
            for r in db.session.scalars(
                select(StoredSuggestions).where(
                    StoredSuggestions.student_id.in_([p.id for p in chosen])
                )
            )
        }

    everyone = rows()
    assert stored.refresh([p.id for p in chosen]) == len(everyone)
    assert rows() == everyone

    # The student's own search (their profile's filters, by relevance) reads the stored list:
    # a list stored in another order (reversed here) is the order the search page shows.
    profile = next(p for p in chosen if 2 <= recommendations(p, limit=20).total <= stored.STORE)
    row = db.session.get(StoredSuggestions, profile.id)
    row.place_ids, row.scores = row.place_ids[::-1], row.scores[::-1]
    db.session.commit()
    auth.login(profile.user, "stagematch-demo")
    response = client.get("/plekken/")
    assert response.status_code == 200
    shown = db.session.scalars(
        select(Interaction.payload)
        .where(Interaction.kind == InteractionKind.LIST_SHOWN, Interaction.student_id == profile.id)
        .order_by(Interaction.id.desc())
    ).first()
    assert shown["source"] == "search"
    assert shown["places"] == row.place_ids[:20]


@pytest.fixture
def market(make):
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    company = make.company(qualifications=[kok])
    meester = make.meester(company, capacity=5)
    places = [
        make.placement(company, meester, title=f"Kok {n}", qualification=kok) for n in range(4)
    ]
    student = make.student(qualification=kok, town="Enschede")
    db.session.commit()
    assert stored.refresh_all() >= 1
    profile = student.profile
    return dict(
        kok=kok, company=company, meester=meester, places=places, profile=profile, make=make
    )


def is_fresh(profile) -> bool:
    db.session.expire_all()
    return stored.fresh(profile, Ranker(profile).version_id) is not None


def test_a_fresh_list_is_read_and_the_rules_are_checked_again(market):
    profile, places = market["profile"], market["places"]
    first = recommendations(profile, limit=10)
    assert first.stored and len(first.hits) == 4
    # Closed by a bulk statement (as the night's expiry does), no session event: the list stays
    # fresh, and the place is left out when it is read; the others keep their order.
    gone = first.hits[1].placement.id
    db.session.execute(update(Placement).where(Placement.id == gone).values(status="closed"))
    db.session.commit()
    assert is_fresh(profile)
    again = recommendations(profile, limit=10)
    assert again.stored
    assert [h.placement.id for h in again.hits] == [
        h.placement.id for h in first.hits if h.placement.id != gone
    ]
    assert again.total == 3
    assert len(places) == 4


def test_every_change_that_can_reorder_a_list_makes_it_stale(market):
    profile, places, make = market["profile"], market["places"], market["make"]

    def refreshed():
        assert stored.refresh_stale() >= 1
        assert is_fresh(profile)

    assert is_fresh(profile)
    profile.max_travel_km = 40  # the profile
    db.session.commit()
    assert not is_fresh(profile)
    refreshed()

    log_event(InteractionKind.PLACE_VIEW, student_id=profile.id, place_id=places[0].id)
    assert not is_fresh(profile)  # a place page opened: `viewed`
    refreshed()

    favourites.save(student=profile, placement=places[1])
    db.session.commit()
    assert not is_fresh(profile)  # saved: `saved`
    refreshed()
    favourites.remove(student=profile, placement_id=places[1].id)
    assert not is_fresh(profile)
    refreshed()

    places[2].pay_per_month += 50  # a place of their market edited
    db.session.commit()
    assert not is_fresh(profile)
    refreshed()

    make.placement(
        market["company"], market["meester"], title="Kok nieuw", qualification=market["kok"]
    )
    db.session.commit()  # a new place in their market
    assert not is_fresh(profile)
    refreshed()

    other = make.qualification("25491")  # another dossier's place: not their market
    assert other.dossier_crebo != market["kok"].dossier_crebo
    company = make.company(qualifications=[other])
    make.placement(company, make.meester(company), qualification=other)
    db.session.commit()
    assert is_fresh(profile)

    someone = make.student(qualification=market["kok"], town="Enschede")  # the meester's load
    db.session.add(Internship(student_id=someone.profile.id, placement_id=places[3].id,
                              meester_id=market["meester"].id, start_date=today(),
                              end_date=today() + timedelta(days=200)))  # fmt: skip
    db.session.commit()
    assert not is_fresh(profile)
    refreshed()

    market["meester"].capacity = 2  # the meester's capacity
    db.session.commit()
    assert not is_fresh(profile)
    refreshed()

    # Another model version, or no night's refresh for too long: not used.
    assert stored.fresh(profile, 12345) is None
    db.session.execute(
        update(StoredSuggestions).values(computed_at=utcnow() - stored.MAX_AGE - timedelta(hours=1))
    )
    db.session.commit()
    assert not is_fresh(profile)


def test_a_stale_list_is_never_shown(market, client, auth):
    """A new place closer to the student than all others appears on the home page at once (the
    page ranks live while the list is stale)."""
    profile, make = market["profile"], market["make"]
    enschede = geo.find_town("Enschede")
    make.placement(market["company"], market["meester"], title="Kok vlakbij", qualification=market["kok"],
                   city=enschede.name, lat=enschede.lat, lon=enschede.lon)  # fmt: skip
    db.session.commit()
    auth.login(profile.user)
    assert "Kok vlakbij" in client.get("/student/").get_data(as_text=True)
    assert not getattr(recommendations(profile, limit=5), "stored", False)


def test_the_refresh_job_recomputes_after_the_commit(market, app):
    """With SUGGESTIONS_REFRESH on (the site and the worker), a change queues the refresh job;
    tests run it at once, so the list is fresh again after the commit and holds the change."""
    profile, make = market["profile"], market["make"]
    app.config["SUGGESTIONS_REFRESH"] = True
    try:
        far = geo.find_town("Zwolle")
        title = "Kok in Zwolle"
        make.placement(market["company"], market["meester"], title=title, qualification=market["kok"],
                       city=far.name, lat=far.lat, lon=far.lon)  # fmt: skip
        db.session.commit()
        assert is_fresh(profile)
        assert title not in [h.placement.title for h in recommendations(profile, limit=10).hits]
        profile.max_travel_km = 120  # now Zwolle is within reach
        db.session.commit()
        assert is_fresh(profile)
        result = recommendations(profile, limit=10)
        assert result.stored and title in [h.placement.title for h in result.hits]
    finally:
        app.config["SUGGESTIONS_REFRESH"] = False

"""Issue #20 item 3: few queries per page. Every SQL statement one request sends is counted (with a
`before_cursor_execute` listener on the engine), after a warm-up request so per-process caches
(reference lists, compiled statements) are filled — what a running site pays per page view. Session
and user loading, the rate limiter and the interaction/ranking log writes count too."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import Application, Qualification
from stagematch.services import applications as application_service
from stagematch.services import favourites as favourite_service
from stagematch.services import stored_suggestions
from stagematch.services.tokens import create_token
from stagematch.timeutil import today

MAX_STATEMENTS = 6


@contextmanager
def counted():
    """The SQL statements sent while the block runs (BEGIN/COMMIT are not statements)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def statements_for(client, url: str, **kwargs) -> list[str]:
    first = client.get(url, **kwargs)  # warm-up: per-process caches filled
    assert first.status_code == 200, first.status_code
    # Tests share their app context (and so their session) with the requests they make: start the
    # counted request from an empty session, as a real request does (nothing in the identity map).
    db.session.commit()
    db.session.remove()
    with counted() as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return statements


def _report(statements: list[str]) -> str:
    return f"{len(statements)} statements:\n" + "\n".join(
        f"  {i}. {' '.join(s.split())[:200]}" for i, s in enumerate(statements, 1)
    )


@pytest.fixture
def world(make):
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    companies = [make.company(qualifications=[kok]) for _ in range(3)]
    places = []
    zwolle = geo.find_town("Zwolle")
    for n, company in enumerate(companies):
        meester = make.meester(company, capacity=5)
        for m in range(4):
            extra = {"city": zwolle.name, "lat": zwolle.lat, "lon": zwolle.lon} if m == 3 else {}
            places.append(make.placement(company, meester, title=f"Kok {n}.{m}", qualification=kok,
                                         **extra))  # fmt: skip
    student = make.student(qualification=kok, town="Enschede", skills="koken")
    for place in places[:5]:  # five applications: the old N+1 over them
        db.session.add(
            Application(student=student.profile, placement=place, motivation="Ik kook graag")
        )
    db.session.commit()
    for place in places[5:8]:
        favourite_service.save(student=student.profile, placement=place)
    db.session.commit()
    # The student's list as the night's job stores it: the home page and the API read it.
    assert stored_suggestions.refresh_all() >= 1
    return dict(kok=kok, places=places, student=student)


def _home(client, auth, world) -> list[str]:
    auth.login(world["student"])
    return statements_for(client, "/student/")


def _home_running(client, auth, world) -> list[str]:
    student = world["student"]
    place = world["places"][8]
    application = Application(student=student.profile, placement=place, motivation="Graag")
    db.session.add(application)
    db.session.commit()
    internship = application_service.accept(application.id)
    internship.start_date = today() - timedelta(days=10)
    db.session.commit()
    title = place.title
    auth.login(student)
    statements = statements_for(client, "/student/")
    assert title in client.get("/student/").get_data(as_text=True)  # the page is about it
    return statements


def _place_as_student(client, auth, world) -> list[str]:
    url = f"/plekken/{world['places'][9].id}"
    auth.login(world["student"])
    return statements_for(client, url)


def _place_as_visitor(client, auth, world) -> list[str]:
    return statements_for(client, f"/plekken/{world['places'][9].id}")


def _api_matches(client, auth, world) -> list[str]:
    student = world["student"]
    secret = create_token(student, "test")[1]
    db.session.commit()
    return statements_for(
        client, f"/api/v1/students/{student.profile.id}/matches",
        headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip


PAGES = {
    "home": _home,
    "home_running": _home_running,
    "place_as_student": _place_as_student,
    "place_as_visitor": _place_as_visitor,
    "api_matches": _api_matches,
}
# What each page sends today (SQLite and PostgreSQL alike); before issue #20's work: home 27,
# home with a running internship 14, place page 38 (student) / 29 (visitor), API matches 18.
# Lower it when a page gets cheaper; never raise it without saying why.
TODAY = {
    "home": 11,
    "home_running": 6,
    "place_as_student": 6,
    "place_as_visitor": 4,
    "api_matches": 6,
}
# On PostgreSQL the ranked search sends two more statements than on SQLite (the candidate ids
# first, then the room check and the page as a prepared statement; services/search.py). The pages
# counted here read the student's stored list (one statement on both), so none pays it now.
POSTGRES_EXTRA: dict[str, int] = {}
# Pages not yet at the goal of issue #20 (what remains is in the reason); strict: reaching the
# goal fails this mark, so it is taken off.
NOT_YET = {
    "home": "the stored list is read (with the active model version) and checked in 2 "
    "statements, its cards' qualifications in 1 and its page explained in 1 (the place facts "
    "with their companies' answers, crebos and the student's views and favourites); "
    "applications, the placements (current or recently ended), evaluations, allocation rounds, "
    "menu counts, the ranking log",
}


@pytest.mark.parametrize("name", PAGES)
def test_page_sends_no_more_statements_than_today(name, client, auth, world):
    statements = PAGES[name](client, auth, world)
    allowed = TODAY[name] + (
        POSTGRES_EXTRA.get(name, 0) if db.engine.dialect.name == "postgresql" else 0
    )
    assert len(statements) <= allowed, _report(statements)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[name]))
        if name in NOT_YET
        else name
        for name in PAGES
    ],
)
def test_page_sends_at_most_six_statements(name, client, auth, world):
    statements = PAGES[name](client, auth, world)
    assert len(statements) <= MAX_STATEMENTS, _report(statements)


def test_the_home_page_marks_the_saved_places_its_ranker_read(client, auth, world):
    """The home page's favourite marks come from the ranker (it read what the student saved with
    the places it scored): the same places `favourites.saved_ids` finds."""
    import re

    from stagematch.ranking import Ranker, recommendations

    profile = world["student"].profile
    result = recommendations(profile, limit=5)
    shown = [h.placement.id for h in result.hits]
    expected = favourite_service.saved_ids(profile, shown)
    assert expected, "the world saves places the home page shows"
    assert result.ranker.saved_among(shown) == expected
    assert Ranker(profile).saved_among(shown) is None  # nothing scored: not known
    auth.login(world["student"])
    body = client.get("/student/").get_data(as_text=True)
    marked = {int(i) for i in re.findall(r"/bewaard/(\d+)/verwijderen", body)}
    assert marked == expected

"""A synthetic market without a database: students look for a place over time, see the places on
offer that the rules allow them, apply, take an offer, and finish well or not — by the demo's own
process (`stagematch.demo`: choice_utility, offer_probability, success_probability,
rating_centre). The generator keeps every meester's learners, ratings and completions as they
stand on each day, so each `Session` carries point-in-time facts, as `ranking.training` builds
them from the database.

For tests of learning and evaluation (fast, no database) and for the training benchmark
(`bench/ranking_bench.py --train-students N`)."""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from stagematch.demo import (
    ANSWER_DAYS,
    VOCABULARY,
    answer_propensity,
    choice_utility,
    interest_fit,
    offer_probability,
    rating_centre,
    success_probability,
)
from stagematch.matching.data import ENGAGED, GOOD, NOTHING, PlaceData, Session, StudentData
from stagematch.matching.features import haversine_km
from stagematch.matching.sqi import MeesterFacts

START = date(2023, 1, 1)
REGION = (52.0, 52.6, 6.0, 7.0)  # lat, lat, lon, lon: about 65 by 70 km
KINDS = [k for k in VOCABULARY if k != "default"][:12]


@dataclass
class _Meester:
    id: int
    company_id: int
    trained: bool
    years: int
    hours: float
    capacity: int
    hidden: float
    has_gezel: bool
    meestertitel: bool
    spans: list = field(default_factory=list)  # (agreed day, start day, end day)
    ratings: list = field(default_factory=list)  # (day, mean)
    done: list = field(default_factory=list)  # (day, success)
    version: int = 0


def _day(n: int) -> date:
    return START + timedelta(days=int(n))


def market(
    n_students: int, *, seed: int = 0, places: int | None = None, days: int = 900
) -> list[Session]:
    """Sessions of `n_students` students who look for a place on a random day of `days`, among
    `places` places (default: enough for about 20 candidates each, and 1.2 per student)."""
    rng = random.Random(seed)
    n_meesters = max(20, n_students // 4)
    meesters = []
    for i in range(n_meesters):
        meesters.append(_Meester(
            id=i + 1, company_id=i // 2 + 1, trained=rng.random() < 0.7, years=rng.randint(1, 30),
            hours=float(rng.choice([1, 2, 2, 3, 4, 4, 6, 8])), capacity=rng.choice([1, 2, 2, 3, 3, 4]),
            hidden=rng.gauss(0, 0.15), has_gezel=rng.random() < 0.5, meestertitel=rng.random() < 0.08,
        ))  # fmt: skip
    by_kind_meesters = {k: meesters[i :: len(KINDS)] for i, k in enumerate(KINDS)}
    answers = {
        c: answer_propensity(rng, rng.choice(["1", "2-9", "2-9", "10-49"]))
        for c in range(1, n_meesters // 2 + 2)
    }
    # company -> (days its applications' answer periods end, running count answered)
    asked: dict[int, tuple[list[int], list[int]]] = {}

    # Places: of a kind (dossier and leerweg), a crebo of the dossier (levels 2–4), somewhere in
    # the region, published on a day, starting 3–20 weeks later.
    n_places = places or max(30_000, int(1.2 * n_students))
    place_rows = []
    for pid in range(1, n_places + 1):
        kind = rng.choice(KINDS)
        leerweg = "BOL" if rng.random() < 0.75 else "BBL"
        level = rng.choice([2, 3, 3, 4, 4, 4])
        published = rng.randint(-120, days)
        start = published + rng.randint(20, 150)
        m = rng.choice(by_kind_meesters[kind])
        vocab = VOCABULARY[kind]
        skills = rng.sample(vocab, 4)
        if leerweg == "BOL":
            pay, duration, days_pw = (
                (0 if rng.random() < 0.15 else rng.choice(range(100, 601, 25))),
                rng.choice([10, 12, 16, 20, 20, 30, 40]),
                None,
            )
        else:
            pay, duration, days_pw = (
                rng.choice(range(1400, 2401, 50)),
                rng.choice([52, 78]),
                rng.choice([3, 4, 4]),
            )
        place_rows.append(dict(
            id=pid, kind=kind, leerweg=leerweg, level=level, crebo=f"{kind}-{level}",
            lat=rng.uniform(*REGION[:2]), lon=rng.uniform(*REGION[2:]), published=published,
            start=start, end=start + 7 * duration, duration=duration, days=days_pw, pay=pay,
            seats=1 if rng.random() < 0.8 else 2, filled=0, meester=m, skills=skills,
            gezel=m.has_gezel and rng.random() < 0.7, apps=[],
        ))  # fmt: skip
    index: dict[tuple[str, str], list[dict]] = {}
    for p in place_rows:
        index.setdefault((p["kind"], p["leerweg"]), []).append(p)
    arrays = {
        key: (np.array([p["published"] for p in ps]), np.array([p["start"] for p in ps]),
              np.array([p["lat"] for p in ps]), np.array([p["lon"] for p in ps]))
        for key, ps in index.items()
    }  # fmt: skip

    students = []
    for sid in range(1, n_students + 1):
        kind = rng.choice(KINDS)
        vocab = VOCABULARY[kind]
        level = rng.choice([1, 2, 2, 3, 3, 4, 4, 4, 4])
        skills = rng.sample(vocab, rng.randint(2, 5))
        interests = rng.sample(vocab, 2)
        complete = rng.random() < 0.8
        data = StudentData(
            id=sid, leerweg="BOL" if rng.random() < 0.75 else "BBL", level=level,
            crebo=f"{kind}-{level}", dossier=kind, lat=rng.uniform(*REGION[:2]),
            lon=rng.uniform(*REGION[2:]), max_travel_km=rng.choice([10, 15, 20, 25, 25, 30, 40]),
            available_from=None, skills=tuple(skills) if complete else (),
            interests=tuple(interests) if complete else (), name=f"Student {sid}",
        )  # fmt: skip
        students.append((rng.randint(0, days - 60), data, skills, interests))
    students.sort(key=lambda t: (t[0], t[1].id))

    events: list[tuple[int, int, int, float]] = []  # (day, kind 0 rating/1 done, meester id, value)
    by_id = {m.id: m for m in meesters}
    cache: dict[tuple, PlaceData] = {}
    sessions = []
    for day, s, skills, interests in students:
        while events and events[0][0] < day:
            when, what, mid, value = heapq.heappop(events)
            m = by_id[mid]
            (m.ratings if what == 0 else m.done).append((when, value))
            m.version += 1
        key = (s.dossier, s.leerweg)
        if key not in arrays:
            continue
        published, starts, lat, lon = arrays[key]
        ok = (published <= day) & (starts > day)
        distance = haversine_km(s.lat, s.lon, lat, lon)
        ok &= distance <= s.max_travel_km
        rows = [
            r for r in np.flatnonzero(ok).tolist()
            if index[key][r]["filled"] < index[key][r]["seats"]
            and (index[key][r]["crebo"] == s.crebo or index[key][r]["level"] == s.level)
        ]  # fmt: skip
        if len(rows) < 2:
            continue
        options = [index[key][r] for r in rows]
        pays = sorted(p["pay"] for p in options)
        median = max(1, pays[len(pays) // 2])
        utility = [
            choice_utility(
                distance_ratio=float(distance[r]) / s.max_travel_km,
                fit=interest_fit(interests, skills, p["skills"][:3]), pay_ratio=p["pay"] / median,
                own_crebo=p["crebo"] == s.crebo, level=s.level, bbl=s.leerweg == "BBL",
            ) - math.log(-math.log(rng.random() or 1e-12))
            for r, p in zip(rows, options, strict=True)
        ]  # fmt: skip
        order = sorted(range(len(options)), key=lambda i: -utility[i])
        batch = rng.choice([1, 2, 2, 3])
        grades = [NOTHING] * len(options)
        started = success = ended = None
        facts_places = [_place(p, day, cache, asked) for p in options]
        for done, i in enumerate(order[: 3 * batch], start=1):
            p = options[i]
            grades[i] = ENGAGED
            m = p["meester"]
            busy = sum(1 for _a, st, en in m.spans if st < p["end"] and p["start"] < en)
            match = len(set(skills) & set(p["skills"][:3])) / 3
            answered = rng.random() < answers[m.company_id]
            competition = _open(p, day) / max(1, p["seats"] - p["filled"])
            offered = answered and rng.random() < offer_probability(
                skill_match=match, competition=competition
            )
            closed = day + rng.randint(1, 10) if answered else day + ANSWER_DAYS
            if started is None and busy < m.capacity and offered:
                started = i
                p["filled"] += 1
                m.spans.append((day, p["start"], p["end"]))
                closed = day
            p["apps"].append((day, closed))
            dues, total = asked.setdefault(m.company_id, ([], [0]))
            dues.append(day + ANSWER_DAYS)  # in day order: sessions come in day order
            total.append(total[-1] + answered)
            if started is not None and done % batch == 0:
                break
        if started is not None:
            p = options[started]
            m = p["meester"]
            learners = max(1, sum(1 for _a, st, en in m.spans if st <= p["start"] < en))
            chance = success_probability(
                hours_per_learner=m.hours / learners, trained=m.trained, gezel=p["gezel"],
                level=s.level, years=m.years, hidden=m.hidden,
                distance_ratio=float(distance[rows[started]]) / s.max_travel_km,
                fit=interest_fit(interests, skills, p["skills"]),
            )  # fmt: skip
            success = rng.random() < chance
            end = (
                p["end"]
                if success or rng.random() < 0.4
                else p["start"] + rng.randint(14, 7 * p["duration"])
            )
            centre = rating_centre(
                hours_per_learner=m.hours / learners, trained=m.trained, hidden=m.hidden
            )
            rating = max(1.0, min(5.0, centre + rng.gauss(0, 0.5)))
            heapq.heappush(events, (end, 0, m.id, rating))
            heapq.heappush(events, (end, 1, m.id, float(success)))
            grades[started] = GOOD if success else ENGAGED
            ended = _day(end)
        sessions.append(Session(
            s, _day(day), tuple(facts_places), tuple(grades), started=started,
            success=success if started is not None else None, ended_on=ended,
        ))  # fmt: skip
    return sessions


def _open(p: dict, day: int) -> int:
    """Applications for the place made before `day` and not decided by then."""
    return sum(1 for created, closed in p["apps"] if created < day < closed)


def _place(p: dict, day: int, cache: dict, asked: dict) -> PlaceData:
    """The place as it stood on `day`: its meester's learners over its period, ratings and
    completions up to then, its company's answers and its open applications up to then."""
    m: _Meester = p["meester"]
    learners = sum(
        1 for agreed, st, en in m.spans if agreed < day < en and st < p["end"] and p["start"] < en
    )
    dues, total = asked.get(m.company_id, ([], [0]))
    n = bisect_left(dues, day)
    market = (n, total[n], _open(p, day), sum(1 for c, _ in p["apps"] if c < day))
    key = (p["id"], m.version, learners, market)
    found = cache.get(key)
    if found is not None:
        return found
    ratings = [v for d, v in m.ratings if d < day]
    done = [v for d, v in m.done if d < day]
    facts = MeesterFacts(
        trained=m.trained, years_experience=m.years, hours_per_week=m.hours, capacity=m.capacity,
        active_learners=learners, has_gezel=p["gezel"], meestertitel=m.meestertitel,
        ratings_n=len(ratings), rating_mean=sum(ratings) / len(ratings) if ratings else None,
        finished=len(done), completed_ok=int(sum(done)),
    )  # fmt: skip
    found = cache[key] = PlaceData(
        id=p["id"], company_id=m.company_id, leerweg=p["leerweg"], level=p["level"],
        crebos=frozenset({p["crebo"]}), dossiers=frozenset({p["kind"]}), lat=p["lat"], lon=p["lon"],
        start_date=_day(p["start"]), duration_weeks=p["duration"], days_per_week=p["days"],
        pay_per_month=p["pay"], sector=p["kind"],
        published_at=datetime.combine(_day(p["published"]), datetime.min.time()),
        text=f"{p['kind']} Je leert {p['skills'][0]} en {p['skills'][1]}.", skills=tuple(p["skills"][:3]),
        seats_free=max(1, p["seats"] - p["filled"]), meester=facts, gezel=p["gezel"], meester_id=m.id,
        hours_per_week=32.0 if p["leerweg"] == "BOL" else 8.0 * p["days"],
        company_asked=market[0], company_answered=market[1], open_applications=market[2],
        applications=market[3], seats=p["seats"],
    )  # fmt: skip
    return found

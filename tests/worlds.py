"""Random small worlds for the eligibility property test: a hypothesis strategy that draws a world
as plain data (dates as day offsets from today), a function that writes it with the ORM (no
services, so states the services would refuse are possible too), and a plain-Python model of the
capacity definition of `services.capacity` computed from the description alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import strategies as st
from sqlalchemy import delete, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Accreditation,
    Application,
    Company,
    Internship,
    Mentor,
    Placement,
    Qualification,
    School,
    StudentProfile,
    User,
)
from stagematch.models.enums import (
    AccreditationVerification,
    ApplicationStatus,
    InternshipStatus,
    Leerweg,
    MentorRole,
    PlacementStatus,
    Role,
)
from stagematch.models.placement import placement_end
from stagematch.timeutil import today, utcnow
from stagematch.wages import minimum_wage

# Two dossiers: 23047 has two level-3 crebos (siblings) and two level-2 ones; 23046 one of each.
CREBOS = ("25081", "25082", "25083", "25084", "25079", "25080")
# Enschede–Hengelo 8.8 km, –Almelo 22 km, –Deventer 50.008 km, –Zwolle 63 km, –Groningen 113 km.
TOWNS = ("Enschede", "Hengelo", "Almelo", "Deventer", "Zwolle", "Groningen")
TRAVEL_KM = (5, 10, 25, 50, 51, 100, 300)
REFERENCE_TABLES = {"qualification", "school", "alembic_version"}


@dataclass(frozen=True)
class AccreditationSpec:
    crebo: str
    valid_from: int  # days from today
    valid_to: int | None
    withdrawn_at: int | None
    verification: str


@dataclass(frozen=True)
class CompanySpec:
    town: str
    accreditations: tuple[AccreditationSpec, ...]


@dataclass(frozen=True)
class MentorSpec:
    company: int
    role: str
    capacity: int
    meester: int | None  # a gezel's meester (mentor index)


@dataclass(frozen=True)
class PlaceSpec:
    company: int
    meester: int  # mentor index
    gezel: int | None
    crebos: tuple[str, ...]
    leerweg: str
    level: int
    town: str
    start: int  # days from today
    weeks: int
    hours: float
    days_per_week: int | None
    pay: int
    wage_age: int | None
    seats: int
    status: str
    confirmed_days_ago: int | None
    in_round: bool


@dataclass(frozen=True)
class StudentSpec:
    crebo: str
    leerweg: str
    town: str | None
    max_travel_km: int
    available_from: int | None  # days from today
    birth_date: date | None
    discoverable: bool


@dataclass(frozen=True)
class InternshipSpec:
    place: int
    meester: int  # mentor index
    gezel: int | None
    start: int  # days from today
    days: int  # end = start + days
    status: str
    student: int | None


@dataclass(frozen=True)
class ApplicationSpec:
    place: int
    student: int
    status: str
    respond_by: int | None  # days from today


@dataclass(frozen=True)
class World:
    companies: tuple[CompanySpec, ...]
    mentors: tuple[MentorSpec, ...]
    places: tuple[PlaceSpec, ...]
    students: tuple[StudentSpec, ...]
    internships: tuple[InternshipSpec, ...]
    applications: tuple[ApplicationSpec, ...]


# --- the strategy ---------------------------------------------------------------------------
# Every accreditation, place and student is drawn tidy (within the rules), tidy but for one field,
# or wholly wild, so that both allowed pairs and every broken rule are common.


def _day(*boundaries: int, low: int, high: int):
    """A day offset: often one of the boundaries, else anything in [low, high]."""
    return st.one_of(st.sampled_from(boundaries), st.integers(low, high))


class _Fields:
    """Draws each field from its tidy or its wild strategy."""

    def __init__(self, draw, names: tuple[str, ...]):
        self.draw = draw
        mode = draw(st.sampled_from(("tidy", "tidy", "one wild field", "wild")))
        self.wild = {
            "tidy": set(), "one wild field": {draw(st.sampled_from(names))}, "wild": set(names)
        }[mode]  # fmt: skip

    def __call__(self, name: str, tidy, wild):
        return self.draw(wild if name in self.wild else tidy)


@st.composite
def accreditations(draw, crebo: str | None = None) -> AccreditationSpec:
    f = _Fields(draw, ("valid_from", "valid_to", "withdrawn", "verification"))
    valid_from = f("valid_from", st.just(-365), st.sampled_from((-800, -30, 0, 20, 60, 200, 500)))
    valid_to = f("valid_to", st.none(), st.sampled_from((0, 10, 40, 120, 400, 1000)))
    withdrawn = f("withdrawn", st.none(), st.sampled_from((-10, 0, 25, 100, 400)))
    verification = f(
        "verification",
        st.sampled_from((AccreditationVerification.DECLARED, AccreditationVerification.VERIFIED)),
        st.just(AccreditationVerification.REJECTED),
    )
    return AccreditationSpec(
        crebo or draw(st.sampled_from(CREBOS)), valid_from,
        None if valid_to is None else valid_from + valid_to, withdrawn, str(verification),
    )  # fmt: skip


def _pay(leerweg: str, hours: float, start: int):
    if leerweg == Leerweg.BOL:
        return st.integers(0, 800)
    # Around the monthly minimum of some age (the boundary the wage rule turns on), or anything.
    on = max(today() + timedelta(days=start), date(2026, 1, 1))

    def near(age_delta):
        age, delta = age_delta
        wage = minimum_wage(age, on)
        return max(0, round(wage.monthly(hours)) + delta)

    return st.one_of(
        st.integers(0, 3500),
        st.tuples(st.integers(15, 21), st.integers(-1, 1)).map(near),
    )


@st.composite
def birth_dates(draw) -> date:
    """15 to 30 years old today; sometimes born on 29 February."""
    now = today()
    if draw(st.booleans()):
        leap_years = [y for y in range(now.year - 30, now.year - 14) if y % 4 == 0]
        return date(draw(st.sampled_from(leap_years)), 2, 29)
    oldest = date(now.year - 31, now.month, 1) + timedelta(days=40)
    youngest = date(now.year - 15, now.month, 1) - timedelta(days=1)
    return draw(st.dates(oldest, youngest))


@st.composite
def companies(draw) -> CompanySpec:
    # Usually one accreditation for each crebo (each tidy or wild), sometimes a few more periods.
    found = [draw(accreditations(crebo)) for crebo in CREBOS if draw(st.integers(0, 5))]
    found += draw(st.lists(accreditations(), max_size=2))
    unique = {(a.crebo, a.valid_from): a for a in found}
    return CompanySpec(draw(st.sampled_from(TOWNS)), tuple(unique.values()))


@st.composite
def places(
    draw, c: int, company: CompanySpec, meesters: list[int], gezellen: list[int]
) -> PlaceSpec:
    f = _Fields(
        draw,
        (
            "start",
            "weeks",
            "hours",
            "days",
            "pay",
            "wage_age",
            "seats",
            "status",
            "confirmed",
            "town",
        ),
    )
    leerweg = str(draw(st.sampled_from((Leerweg.BOL, Leerweg.BBL))))
    bbl = leerweg == Leerweg.BBL
    start = f("start", st.integers(7, 300), _day(-30, -1, 0, 1, 729, 730, 731, low=-60, high=800))
    hours = f(
        "hours", st.sampled_from((24.0, 32.0, 36.0) if not bbl else (24.0, 32.0)),
        st.one_of(st.integers(16, 60).map(float), st.sampled_from((22.5, 37.0, 40.0, 45.0, 46.0))),
    )  # fmt: skip
    return PlaceSpec(
        company=c,
        meester=draw(st.sampled_from(meesters)),
        gezel=draw(st.one_of(st.none(), st.sampled_from(gezellen))) if gezellen else None,
        crebos=tuple(draw(st.lists(st.sampled_from(CREBOS), min_size=1, max_size=3, unique=True))),
        leerweg=leerweg,
        level=draw(st.sampled_from((2, 3))),
        town=f("town", st.just(company.town), st.sampled_from(TOWNS)),
        start=start,
        weeks=f("weeks", st.integers(10, 40), st.one_of(st.sampled_from((1, 52, 104)), st.integers(1, 104))),
        hours=hours,
        days_per_week=f(
            "days", st.just(4) if bbl else st.none(),
            st.one_of(st.none(), st.integers(1, 5)),
        ),
        pay=f("pay", st.just(3000) if bbl else st.integers(0, 800), _pay(leerweg, hours, start)),
        wage_age=f("wage_age", st.none(), st.integers(15, 21)),
        seats=f("seats", st.just(1), st.integers(1, 3)),
        status=f("status", st.just(str(PlacementStatus.OPEN)),
                 st.sampled_from([str(s) for s in PlacementStatus])),
        confirmed_days_ago=f("confirmed", st.sampled_from((0, 30)), st.sampled_from((59, 61, 200, None))),
        in_round=draw(st.booleans()),
    )  # fmt: skip


@st.composite
def students(draw, places: list[PlaceSpec]) -> StudentSpec:
    """A tidy student is one some place was made for: its crebo, leerweg and town."""
    f = _Fields(draw, ("aim", "town", "travel", "available", "birth"))
    aim = draw(st.sampled_from(places))
    return StudentSpec(
        crebo=f("aim", st.sampled_from(aim.crebos), st.sampled_from(CREBOS)),
        leerweg=f("aim", st.just(aim.leerweg), st.sampled_from((Leerweg.BOL, Leerweg.BBL))),
        town=f("town", st.just(aim.town), st.one_of(st.none(), st.sampled_from(TOWNS))),
        max_travel_km=f("travel", st.sampled_from((50, 100, 300)), st.sampled_from(TRAVEL_KM)),
        available_from=f("available", st.one_of(st.none(), st.integers(-30, 30)), _day(200, 400, low=0, high=900)),
        birth_date=f("birth", st.one_of(st.none(), birth_dates()), birth_dates()),
        discoverable=draw(st.booleans()),
    )  # fmt: skip


@st.composite
def worlds(draw, max_places: int = 10, max_students: int = 8) -> World:
    firms = tuple(draw(companies()) for _ in range(draw(st.integers(1, 4))))
    mentors: list[MentorSpec] = []
    meesters_of: dict[int, list[int]] = {}
    gezellen_of: dict[int, list[int]] = {}
    capacity = st.one_of(st.integers(3, 4), st.integers(0, 4))
    for c in range(len(firms)):
        for _ in range(draw(st.integers(1, 2))):
            meesters_of.setdefault(c, []).append(len(mentors))
            mentors.append(MentorSpec(c, MentorRole.MEESTER, draw(capacity), None))
        for _ in range(draw(st.integers(0, 1))):
            gezellen_of.setdefault(c, []).append(len(mentors))
            boss = draw(st.sampled_from(meesters_of[c]))
            mentors.append(MentorSpec(c, MentorRole.GEZEL, draw(capacity), boss))

    drawn_places = []
    for _ in range(draw(st.integers(1, max_places))):
        c = draw(st.integers(0, len(firms) - 1))
        drawn_places.append(draw(places(c, firms[c], meesters_of[c], gezellen_of.get(c, []))))
    drawn_students = tuple(
        draw(students(drawn_places)) for _ in range(draw(st.integers(1, max_students)))
    )

    def mentor_of(place: PlaceSpec, role: str) -> int | None:
        pool = (meesters_of if role == MentorRole.MEESTER else gezellen_of).get(place.company, [])
        return draw(st.sampled_from(pool)) if pool else None

    internships = []
    for _ in range(draw(st.integers(0, 5))):
        p = draw(st.integers(0, len(drawn_places) - 1))
        place = drawn_places[p]
        internships.append(InternshipSpec(
            place=p,
            # mostly the place's own meester, sometimes another of the company's
            meester=place.meester if draw(st.booleans()) else mentor_of(place, MentorRole.MEESTER),
            gezel=draw(st.one_of(st.none(), st.just(place.gezel), st.just(mentor_of(place, MentorRole.GEZEL)))),
            start=draw(_day(place.start, place.start + 7 * place.weeks, low=-400, high=500)),
            days=draw(st.integers(0, 400)),
            status=str(draw(st.sampled_from((InternshipStatus.ACTIVE,) * 3 + (InternshipStatus.COMPLETED,)))),
            # None: the student's profile was deleted (the column is SET NULL)
            student=draw(st.one_of(st.none(), st.integers(0, len(drawn_students) - 1))),
        ))  # fmt: skip

    pairs = draw(st.lists(
        st.tuples(st.integers(0, len(drawn_places) - 1), st.integers(0, len(drawn_students) - 1)),
        max_size=5, unique=True,
    ))  # fmt: skip
    applications = tuple(
        ApplicationSpec(
            p,
            s,
            str(
                draw(
                    st.sampled_from(
                        (ApplicationStatus.OFFERED,) * 3
                        + (
                            ApplicationStatus.SUBMITTED,
                            ApplicationStatus.DECLINED,
                            ApplicationStatus.EXPIRED,
                        )
                    )
                )
            ),
            draw(st.sampled_from((None, None, -5, -1, 0, 1, 10))),
        )  # fmt: skip
        for p, s in pairs
    )
    return World(
        firms, tuple(mentors), tuple(drawn_places), drawn_students, tuple(internships), applications
    )


# --- writing it -----------------------------------------------------------------------------


@dataclass
class Written:
    world: World
    on: date
    company_ids: list[int]
    company_users: list[User]
    mentor_ids: list[int]
    place_ids: list[int]
    profile_ids: list[int]
    qualification_ids: dict[str, int]


def wipe() -> None:
    """Every row of the non-reference tables (as the `_clean_tables` fixture does)."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            db.session.execute(delete(table))
    db.session.commit()


def write(world: World) -> Written:
    on = today()
    now = utcnow()
    day = lambda offset: on + timedelta(days=offset)  # noqa: E731
    quals = {
        q.crebo: q
        for q in db.session.scalars(select(Qualification).where(Qualification.crebo.in_(CREBOS)))
    }
    school = db.session.scalars(select(School).order_by(School.id)).first()
    towns = {name: geo.find_town(name) for name in TOWNS}

    companies, users = [], []
    for n, spec in enumerate(world.companies):
        town = towns[spec.town]
        company = Company(name=f"Leerbedrijf {n}", kvk_number=f"{20000000 + n}", city=town.name, lat=town.lat,
                          lon=town.lon, sector="Bouw en infra", size_band="2-9")  # fmt: skip
        for a in spec.accreditations:
            company.accreditations.append(Accreditation(
                qualification=quals[a.crebo], valid_from=day(a.valid_from),
                valid_to=None if a.valid_to is None else day(a.valid_to),
                withdrawn_at=None if a.withdrawn_at is None else day(a.withdrawn_at),
                verification=a.verification,
            ))  # fmt: skip
        db.session.add(company)
        companies.append(company)
        user = User(email=f"bedrijf{n}@test.nl", name=f"Bedrijf {n}", role=Role.COMPANY, company=company,
                    password_hash="-")  # fmt: skip
        db.session.add(user)
        users.append(user)
    db.session.flush()

    mentors: list[Mentor] = []
    for n, spec in enumerate(world.mentors):
        mentor = Mentor(
            company=companies[spec.company], role=spec.role, name=f"Mentor {n}", capacity=spec.capacity,
            meester_id=mentors[spec.meester].id if spec.meester is not None else None,
            years_experience=5, trained=True, hours_per_week=4,
        )  # fmt: skip
        db.session.add(mentor)
        db.session.flush()
        mentors.append(mentor)

    places = []
    for n, spec in enumerate(world.places):
        town = towns[spec.town]
        confirmed = (
            None
            if spec.confirmed_days_ago is None
            else now - timedelta(days=spec.confirmed_days_ago)
        )
        place = Placement(
            company=companies[spec.company], meester=mentors[spec.meester],
            gezel=mentors[spec.gezel] if spec.gezel is not None else None,
            title=f"Plek {n}", tasks="Vlechten", description="", leerweg=spec.leerweg, level=spec.level,
            city=town.name, lat=town.lat, lon=town.lon, start_date=day(spec.start),
            duration_weeks=spec.weeks, hours_per_week=spec.hours, days_per_week=spec.days_per_week,
            pay_per_month=spec.pay, wage_age=spec.wage_age, seats=spec.seats, status=spec.status,
            published_at=confirmed, confirmed_at=confirmed,
        )  # fmt: skip
        for crebo in spec.crebos:
            place.qualifications.append(quals[crebo])
        db.session.add(place)
        places.append(place)
    db.session.flush()
    for place in places:  # the model keeps end_date = start_date + duration_weeks weeks
        assert place.end_date == placement_end(place.start_date, place.duration_weeks)

    profiles = []
    for n, spec in enumerate(world.students):
        town = towns[spec.town] if spec.town else None
        q = quals[spec.crebo]
        user = User(email=f"student{n}@test.nl", name=f"Student {n}", role=Role.STUDENT, school=school,
                    password_hash="-")  # fmt: skip
        user.profile = StudentProfile(
            school=school, qualification=q, level=q.level, leerweg=spec.leerweg,
            city=town.name if town else None, lat=town.lat if town else None, lon=town.lon if town else None,
            max_travel_km=spec.max_travel_km,
            available_from=None if spec.available_from is None else day(spec.available_from),
            birth_date=spec.birth_date, discoverable=spec.discoverable,
        )  # fmt: skip
        db.session.add(user)
        profiles.append(user.profile)
    db.session.flush()

    for spec in world.internships:
        start = day(spec.start)
        db.session.add(Internship(
            placement_id=places[spec.place].id, school_id=school.id,
            student_id=profiles[spec.student].id if spec.student is not None else None,
            meester_id=mentors[spec.meester].id,
            gezel_id=mentors[spec.gezel].id if spec.gezel is not None else None,
            start_date=start, end_date=start + timedelta(days=spec.days), status=spec.status,
        ))  # fmt: skip
    for spec in world.applications:
        db.session.add(Application(
            student_id=profiles[spec.student].id, placement_id=places[spec.place].id, status=spec.status,
            offered_at=now if spec.status == ApplicationStatus.OFFERED else None,
            respond_by=None if spec.respond_by is None else day(spec.respond_by),
        ))  # fmt: skip
    db.session.commit()
    return Written(
        world, on, [c.id for c in companies], users, [m.id for m in mentors], [p.id for p in places],
        [p.id for p in profiles], {c: q.id for c, q in quals.items()},
    )  # fmt: skip


# --- the capacity definition, from the description alone ------------------------------------


@dataclass(frozen=True)
class Expected:
    seats_free: int
    meester_room: int
    gezel_room: int | None
    meester_active: int


class CapacityModel:
    """`services.capacity`'s module docstring in plain Python over a `World` (today = `on`)."""

    def __init__(self, world: World, on: date):
        self.world, self.on = world, on
        self.period = [
            (on + timedelta(days=p.start), placement_end(on + timedelta(days=p.start), p.weeks))
            for p in world.places
        ]
        self.running = [0] * len(world.places)
        for i in world.internships:
            if i.status == InternshipStatus.ACTIVE:
                self.running[i.place] += 1
        self.offers = [0] * len(world.places)
        for a in world.applications:
            if a.status == ApplicationStatus.OFFERED and (
                a.respond_by is None or a.respond_by >= 0
            ):
                self.offers[a.place] += 1

    def seats_free(self, p: int) -> int:
        return max(0, self.world.places[p].seats - self.running[p] - self.offers[p])

    def _overlaps(self, start: date, end: date, p: int) -> bool:
        p_start, p_end = self.period[p]
        return start < p_end and p_start < end

    def learners(self, mentor: int, p: int) -> int:
        n = 0
        for i in self.world.internships:
            start = self.on + timedelta(days=i.start)
            end = start + timedelta(days=i.days)
            if (
                i.status == InternshipStatus.ACTIVE
                and end > self.on
                and self._overlaps(start, end, p)
            ):
                n += (i.meester == mentor) + (i.gezel == mentor)
        return n

    def held(self, mentor: int, p: int, *, skip=frozenset()) -> int:
        """Open offers and unfilled seats of open places naming `mentor` over p's period."""
        n = 0
        for q, place in enumerate(self.world.places):
            if q in skip or mentor not in (place.meester, place.gezel):
                continue
            start, end = self.period[q]
            if end > self.on and self._overlaps(start, end, p):
                n += self.offers[q]
                if place.status == PlacementStatus.OPEN:
                    n += self.seats_free(q)
        return n

    def capacity(self, mentor: int) -> int:
        return self.world.mentors[mentor].capacity

    def room(self, mentor: int, p: int) -> int:
        return self.capacity(mentor) - self.learners(mentor, p) - self.held(mentor, p)

    def expected(self, p: int) -> Expected:
        place = self.world.places[p]
        return Expected(
            self.seats_free(p), self.room(place.meester, p),
            None if place.gezel is None else self.room(place.gezel, p),
            self.learners(place.meester, p),
        )  # fmt: skip

    def outside_room(self, mentor: int, p: int, round_places: frozenset[int]) -> int:
        """Room over p's period counting everything but the round's own offers and seats."""
        return (
            self.capacity(mentor)
            - self.learners(mentor, p)
            - self.held(mentor, p, skip=round_places)
        )


def accredited(world: World, c: int, crebo: str, start: date, on: date) -> bool:
    """`Accreditation.is_current` on the place's start, from the description."""
    for a in world.companies[c].accreditations:
        if a.crebo != crebo or a.verification == AccreditationVerification.REJECTED:
            continue
        if a.withdrawn_at is not None and on + timedelta(days=a.withdrawn_at) <= start:
            continue
        if on + timedelta(days=a.valid_from) <= start and (
            a.valid_to is None or start <= on + timedelta(days=a.valid_to)
        ):
            return True
    return False

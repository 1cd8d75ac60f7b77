"""Demo data for adults and zij-instromers (issue 18): open BBL places "ook voor zij-instromers"
(paying at least the adult minimum wage), adult BBL students of a school with work experience and
an EVC confirmed by their school, and a few zij-instromers without a school (demo students who
become adults without a school) — one of them hired first, whose agreement waits until a school
is chosen.

Built after the demo's bulk write, with the ORM on a handful of rows and an RNG of its own, so
the rest of the demo is the same as without them."""

from __future__ import annotations

import math
import random
from datetime import date

from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Application,
    EvcClaim,
    Internship,
    Placement,
    RoundStudent,
    StudentProfile,
    User,
)
from stagematch.models.enums import Leerweg, PlacementStatus, Role
from stagematch.services import DomainError
from stagematch.services import adults as adult_service
from stagematch.services import applications as application_service
from stagematch.timeutil import today, utcnow
from stagematch.wages import ADULT, minimum_wage

PLACES = 12  # open BBL places marked "ook voor zij-instromers"
ADULT_STUDENTS = 15  # BBL students of a school made 25–50 years old, with work experience
SWITCHERS = 5  # zij-instromers without a school
LEVELS = ("not_yet", "some", "good")
EXPERIENCE = (
    "Twaalf jaar monteur in een garage; nu wil ik het vak van {vak} leren.",
    "Tien jaar in de logistiek gewerkt, graag met mijn handen bezig.",
    "Acht jaar in de zorg, daarna zelfstandig; nu een nieuw vak: {vak}.",
    "Vijftien jaar in de bouw als opperman; ik wil verder als vakman.",
    "Statushouder, in Syrië twintig jaar {vak}; diploma hier niet erkend.",
)


def _adult_floor(place: Placement) -> int:
    wage = minimum_wage(ADULT, max(place.start_date, today()))
    return math.ceil(wage.monthly(place.hours_per_week)) if wage else place.pay_per_month


def _birth(rng: random.Random, on: date) -> date:
    return date(on.year - rng.randint(25, 50), rng.randint(1, 12), rng.randint(1, 28))


def _claims(rng, profile: StudentProfile, *, confirmed_by: User | None) -> int:
    processes = adult_service.processes_for(profile.qualification)
    for process in processes:
        level = rng.choice(LEVELS)
        claim = EvcClaim(student_id=profile.id, work_process_id=process.id, self_level=level)
        if confirmed_by is not None and profile.school_id is not None:
            # The school mostly agrees; sometimes it sets a process one step lower.
            step = LEVELS.index(level) - (1 if rng.random() < 0.25 and level != "not_yet" else 0)
            claim.confirmed_level = LEVELS[step]
            claim.confirmed_school_id = profile.school_id
            claim.confirmed_by_id = confirmed_by.id
            claim.confirmed_at = utcnow()
        db.session.add(claim)
    return len(processes)


JOB_COACHES = (  # (email name, name, organisation)
    ("vluchtelingenwerk", "Sanne de Wit", "VluchtelingenWerk Oost Nederland"),
    ("gemeente", "Hasan Yilmaz", "Gemeente Enschede, Werk en Inkomen"),
)


def _job_coaches(logins: list, *, helped: list[User]) -> int:
    """Job coaches (issue 18) with the demo's password; the zij-instromer without a school gave
    the first one a consent to apply for them."""
    from stagematch.demo import DEMO_DOMAIN
    from stagematch.services import acting

    password_hash = db.session.scalar(
        select(User.password_hash).where(User.email == f"admin@{DEMO_DOMAIN}")
    )
    coaches = []
    for slug, name, organisation in JOB_COACHES:
        email = f"jobcoach.{slug}@{DEMO_DOMAIN}"
        coach = User(email=email, name=name, role=Role.JOB_COACH, organisation=organisation,
                     password_hash=password_hash or "!")  # fmt: skip
        db.session.add(coach)
        coaches.append(coach)
    db.session.commit()
    for learner in helped:
        acting.grant(student=learner.profile, helper_id=coaches[0].id)
    for coach in coaches:
        note = f"jobcoach, {coach.organisation}" + (
            f"; helpt {helped[0].email}" if helped and coach is coaches[0] else ""
        )
        logins.append(("jobcoach", coach.email, note))
    return len(coaches)


def build(seed: int) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Returns (counts, logins) for the demo summary."""
    rng = random.Random(f"{seed}-adults")
    on = today()
    places = list(
        db.session.scalars(
            select(Placement)
            .where(Placement.leerweg == Leerweg.BBL, Placement.status == PlacementStatus.OPEN,
                   Placement.start_date > on)
            .order_by(Placement.id)
        )
    )  # fmt: skip
    rng.shuffle(places)
    marked = places[:PLACES]
    for place in marked:
        place.for_switchers = True
        floor = _adult_floor(place)
        if place.pay_per_month < floor:  # a zij-instromer is paid at least the adult minimum
            place.pay_per_month = floor
        place.wage_age = ADULT

    # Adult BBL students of a school, without a placement: work experience and a confirmed EVC.
    coordinators = {
        u.school_id: u
        for u in db.session.scalars(
            select(User).where(User.role == Role.COORDINATOR).order_by(User.id.desc())
        )
    }
    busy = select(Application.student_id).union(
        select(Internship.student_id).where(Internship.student_id.is_not(None))
    )
    adults = list(
        db.session.scalars(
            select(StudentProfile)
            .where(StudentProfile.leerweg == Leerweg.BBL, StudentProfile.school_id.is_not(None),
                   StudentProfile.id.not_in(busy))
            .order_by(StudentProfile.id)
            .limit(ADULT_STUDENTS * 4)
        )
    )  # fmt: skip
    rng.shuffle(adults)
    adults = adults[:ADULT_STUDENTS]
    claims = 0
    for profile in adults:
        profile.birth_date = _birth(rng, on)
        profile.work_experience = rng.choice(EXPERIENCE).format(
            vak=profile.qualification.name.lower()
        )
        profile.work_experience_years = rng.randint(5, 25)
        db.session.flush()
        claims += _claims(rng, profile, confirmed_by=coordinators.get(profile.school_id))

    # Zij-instromers without a school, for the qualification of a marked place near it: demo
    # students (no application, placement or allocation round yet) who become adults who left
    # their school's list, so `--students N` still makes N students.
    taken = {p.id for p in adults}
    free = [
        p
        for p in db.session.scalars(
            select(StudentProfile)
            .where(StudentProfile.id.not_in(busy),
                   StudentProfile.id.not_in(select(RoundStudent.student_id)))
            .order_by(StudentProfile.id.desc())
            .limit(SWITCHERS * 4)
        )
        if p.id not in taken
    ]  # fmt: skip
    switchers, logins, hired = [], [], 0
    for profile, place in zip(free, marked[:SWITCHERS], strict=False):
        town = geo.find_town(place.city)
        qualification = place.qualifications[0]
        profile.school = None
        profile.user.school = None
        profile.student_number = None  # a number of the school they are not at
        profile.qualification, profile.level = qualification, qualification.level
        profile.leerweg, profile.bbl_days = Leerweg.BBL, place.days_per_week
        if town is not None:
            profile.city, profile.lat, profile.lon = town.name, town.lat, town.lon
        profile.max_travel_km, profile.available_from = 40, on
        profile.birth_date = _birth(rng, on)
        profile.work_experience = rng.choice(EXPERIENCE).format(vak=qualification.name.lower())
        profile.work_experience_years = rng.randint(5, 25)
        profile.motivation = "Ik wil een nieuw vak leren."
        db.session.flush()
        claims += _claims(rng, profile, confirmed_by=None)
        switchers.append((profile.user, place))
    db.session.commit()
    # The first is hired first: the agreement waits until they choose a school with the employer.
    for user, place in switchers[:1]:
        try:
            application = application_service.apply(
                student=user.profile, placement=place, motivation="Ik wil dit vak graag leren."
            )
            application_service.accept(application.id)
            hired += 1
            logins.append(
                ("student", user.email, "zij-instromer: aangenomen, kiest nog een school")
            )
        except DomainError:
            db.session.rollback()
    for user, _place in switchers[hired : hired + 1]:
        logins.append(("student", user.email, "zij-instromer zonder school"))
    db.session.commit()
    coaches = _job_coaches(logins, helped=[u for u, _p in switchers[hired : hired + 1]])
    return {
        "jobcoaches": coaches,
        "plekken ook voor zij-instromers": len(marked),
        "volwassen BBL-studenten met EVC": len(adults),
        "zij-instromers zonder school": len(switchers),
        "EVC-antwoorden": claims,
    }, logins

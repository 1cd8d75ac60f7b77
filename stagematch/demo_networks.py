"""Demo data for leerbedrijf networks (issue 18): a few networks of one-person firms that share a
meester, each with an open place at the firm without room of its own, supervised by the
partner's meester, and a rotation (maandag–woensdag here, donderdag at the partner's). At one of
them (where the meester has room for two) a learner already works: a running placement with a
signed agreement and weekly hours, approved by the meester's firm, the last week waiting — so a
login of the meester's firm shows the chain on /stage/<id> (issues 17 and 18).

Built after the demo's bulk write, with the ORM on a handful of rows and an RNG of its own, so
the rest of the demo is the same as without them."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import exists, func, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Accreditation,
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    Application,
    Company,
    HoursEntry,
    HoursStatus,
    Internship,
    LeerbedrijfNetwork,
    Mentor,
    NetworkMember,
    Placement,
    PlaceRotation,
    SignatureParty,
    StudentProfile,
    User,
)
from stagematch.models.enums import (
    ApplicationStatus,
    InternshipStatus,
    Leerweg,
    MentorRole,
    PlacementStatus,
    Role,
    SizeBand,
)
from stagematch.models.network import MEMBER
from stagematch.services.capacity import mentor_loads
from stagematch.timeutil import today, utcnow

NETWORKS = 4
MAX_KM = 40
CANDIDATES = 400  # solo firms looked at: enough for a few pairs, cheap on a big demo


def build(seed: int) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Returns (counts, logins) for the demo summary."""
    rng = random.Random(f"{seed}-networks")
    on = today()
    solo = db.session.scalars(
        select(Company)
        .where(Company.size_band == SizeBand.SOLO, Company.deactivated_at.is_(None))
        .order_by(Company.id)
        .limit(CANDIDATES)
    ).all()
    meesters: dict[int, Mentor] = {}
    for m in db.session.scalars(
        select(Mentor).where(Mentor.company_id.in_([c.id for c in solo]),
                             Mentor.role == MentorRole.MEESTER, Mentor.active.is_(True))
        .order_by(Mentor.id)
    ):  # fmt: skip
        meesters.setdefault(m.company_id, m)
    start = on + timedelta(days=rng.randint(30, 90))
    end = start + timedelta(weeks=20)
    first_day = on - timedelta(days=on.weekday(), weeks=4)  # the showcase learner's first Monday
    showcase = None
    loads = mentor_loads([m.id for m in meesters.values()], start=start, end=end)
    # Open seats the meester already offers (the demo keeps every open place within capacity).
    offered = dict(db.session.execute(
        select(Placement.meester_id, func.sum(Placement.seats))
        .where(Placement.status == PlacementStatus.OPEN,
               Placement.meester_id.in_([m.id for m in meesters.values()]))
        .group_by(Placement.meester_id)
    ).tuples().all())  # fmt: skip
    with_room = [
        c for c in solo
        if c.id in meesters and loads[meesters[c.id].id].free >= 1
        and offered.get(meesters[c.id].id, 0) + 1 <= meesters[c.id].capacity
    ]  # fmt: skip
    accredited: dict[int, list] = {}
    for a in db.session.scalars(
        select(Accreditation).where(Accreditation.company_id.in_([c.id for c in solo]))
    ):
        if a.is_current(start) and a.qualification.offers(Leerweg.BOL):
            accredited.setdefault(a.company_id, []).append(a.qualification)
    used: set[int] = set()
    made, logins = 0, []
    rng.shuffle(with_room)
    for host in with_room:
        if made >= NETWORKS:
            break
        if host.id in used:
            continue
        partner = next(
            (c for c in solo
             if c.id != host.id and c.id not in used and accredited.get(c.id)
             and geo.distance_km(host.lat, host.lon, c.lat, c.lon) <= MAX_KM),
            None,
        )  # fmt: skip
        if partner is None:
            continue
        meester = meesters[host.id]
        q = accredited[partner.id][0]
        learner = None
        if showcase is None and offered.get(meester.id, 0) + 2 <= meester.capacity:
            learner = _learner_for(host, partner, meester, accredited[partner.id], first_day, end)
            if learner is not None:
                q = learner["qualification"]
        used |= {host.id, partner.id}
        network = LeerbedrijfNetwork(name=f"Leerbedrijfnetwerk {host.city}–{partner.city}"
                                     if host.city != partner.city else f"Leerbedrijfnetwerk {host.city}",
                                     opleidingsbedrijf=rng.choice(["", "De TechnO", "Bouwmensen"]))  # fmt: skip
        now = utcnow()
        network.members = [
            NetworkMember(company_id=c.id, status=MEMBER, invited_at=now, joined_at=now)
            for c in (host, partner)
        ]
        db.session.add(network)
        place = Placement(
            company_id=partner.id, title=f"Leerling {q.name.lower()}, samen met {host.name}",
            tasks=(f"Je werkt mee in twee kleine bedrijven. {meester.name} van {host.name} is je "
                   "meester en leert je het vak; op donderdag werk je in de werkplaats van "
                   f"{host.name}."),
            leerweg=Leerweg.BOL, level=q.level, city=partner.city, lat=partner.lat, lon=partner.lon,
            start_date=start, duration_weeks=20, hours_per_week=32, pay_per_month=200,
            seats=1 if learner is None else 2,
            meester_id=meester.id, status=PlacementStatus.OPEN, published_at=now, confirmed_at=now,
            required_skills="", languages="Nederlands",
        )  # fmt: skip
        place.qualifications = [q]
        db.session.add(place)
        db.session.flush()
        db.session.add_all([
            PlaceRotation(placement_id=place.id, company_id=partner.id, position=0, weekdays="ma,di,wo"),
            PlaceRotation(placement_id=place.id, company_id=host.id, position=1, weekdays="do"),
        ])  # fmt: skip
        made += 1
        user = db.session.scalar(select(User.email).where(User.company_id == partner.id).limit(1))
        if user and len(logins) < 1:
            logins.append(("leerbedrijf", user, "netwerk: plek met de meester van een partner"))
        if learner is not None:
            showcase = _place(rng, place, learner, first_day)
            logins.append(showcase)
    db.session.commit()
    return {
        "leerbedrijfnetwerken": made,
        "stages bij een netwerkpartner": int(showcase is not None),
    }, logins


def _learner_for(host, partner, meester, qualifications, first_day, end) -> dict | None:
    """Who a running placement at `partner`'s place under `meester` needs: room for this learner
    and the place's other seat over the whole period, the place's firm accredited on the first
    day, an account at both firms, an adult BOL student of its qualification at a school with a
    coordinator, who has no placement or offer yet. None when someone is missing."""
    load = mentor_loads([meester.id], start=first_day, end=end)[meester.id]
    if load.free < 2:
        return None

    def account(company):
        return db.session.scalar(
            select(User).where(User.company_id == company.id, User.role == Role.COMPANY,
                               User.is_active_account.is_(True)).order_by(User.id).limit(1)
        )  # fmt: skip

    owner, host_user = account(partner), account(host)
    if owner is None or host_user is None:
        return None
    busy = exists().where(Internship.student_id == StudentProfile.id)
    offered = exists().where(
        Application.student_id == StudentProfile.id,
        Application.status.in_([ApplicationStatus.OFFERED, ApplicationStatus.ACCEPTED]),
    )  # fmt: skip
    for q in qualifications:
        if not partner.accredited_for(q.id, first_day):
            continue
        for student in db.session.scalars(
            select(StudentProfile)
            .where(StudentProfile.qualification_id == q.id, StudentProfile.leerweg == Leerweg.BOL,
                   StudentProfile.school_id.is_not(None),
                   StudentProfile.birth_date <= first_day.replace(year=first_day.year - 19),
                   ~busy, ~offered)
            .order_by(StudentProfile.id)
            .limit(20)
        ):  # fmt: skip
            coordinator = db.session.scalar(
                select(User).where(User.school_id == student.school_id, User.role == Role.COORDINATOR,
                                   User.is_active_account.is_(True)).order_by(User.id).limit(1)
            )  # fmt: skip
            if coordinator is not None:
                return dict(student=student, qualification=q, owner=owner, host_user=host_user,
                            coordinator=coordinator)  # fmt: skip
    return None


def _place(rng, place, learner: dict, first_day):
    """The learner works at `place` since `first_day`: accepted application, signed agreement
    (version 1 as the site writes it, signed in turn), weekly hours. Returns the login of the
    meester's firm for the summary."""
    from stagematch.services.agreements import build_content, content_hash, parties
    from stagematch.services.hours import monday

    profile, owner, host_user = learner["student"], learner["owner"], learner["host_user"]
    coordinator = learner["coordinator"]
    hired = datetime.combine(first_day - timedelta(weeks=3), time(10, 0))
    application = Application(student_id=profile.id, placement_id=place.id, status=ApplicationStatus.ACCEPTED,
                              anonymous=False, motivation="Ik wil het vak leren bij een echte vakman.",
                              created_at=hired - timedelta(days=10), updated_at=hired, decided_at=hired)  # fmt: skip
    internship = Internship(
        application=application, student=profile, placement=place, school_id=profile.school_id,
        meester_id=place.meester_id, start_date=first_day, end_date=first_day + timedelta(weeks=20),
        status=InternshipStatus.ACTIVE, created_at=hired,
    )  # fmt: skip
    db.session.add_all([application, internship])
    db.session.flush()
    content = build_content(internship)
    version = AgreementVersion(internship_id=internship.id, number=1, content=content,
                               content_hash=content_hash(content), created_at=hired,
                               status=AgreementStatus.SIGNED)  # fmt: skip
    db.session.add(version)
    db.session.flush()
    signers = {SignatureParty.STUDENT: profile.user, SignatureParty.COMPANY: owner,
               SignatureParty.SCHOOL: coordinator}  # fmt: skip
    moment = hired
    for party in parties(version):
        moment += timedelta(days=1, hours=rng.randint(0, 6))
        signer = signers[party]
        db.session.add(AgreementSignature(version_id=version.id, party=party, typed_name=signer.name,
                                          user_id=signer.id, content_hash=version.content_hash,
                                          signed_at=moment))  # fmt: skip
    version.signed_at = moment
    # Weekly hours: approved by the meester's own firm, the last full week waiting for it.
    last_week = monday(today()) - timedelta(weeks=1)
    week = monday(first_day)
    while week <= last_week:
        logged = datetime.combine(week + timedelta(days=4), time(17, 0))
        waiting = week == last_week
        db.session.add(HoursEntry(
            internship_id=internship.id, week_start=week, hours=place.hours_per_week,
            entered_by_id=profile.user_id, entered_role="student", entered_at=logged,
            status=HoursStatus.SUBMITTED if waiting else HoursStatus.APPROVED,
            approved_hours=None if waiting else place.hours_per_week,
            approved_by_id=None if waiting else host_user.id,
            approved_at=None if waiting else logged + timedelta(days=3),
        ))  # fmt: skip
        week += timedelta(weeks=1)
    return ("leerbedrijf", host_user.email, "netwerk: meester van een stagiair bij een partner")

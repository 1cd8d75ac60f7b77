"""Demo data for leerbedrijf networks (issue 18): a few networks of one-person firms that share a
meester, each with an open place at the firm without room of its own, supervised by the
partner's meester, and a rotation (maandag–woensdag here, donderdag at the partner's).

Built after the demo's bulk write, with the ORM on a handful of rows and an RNG of its own, so
the rest of the demo is the same as without them."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Accreditation,
    Company,
    LeerbedrijfNetwork,
    Mentor,
    NetworkMember,
    Placement,
    PlaceRotation,
    User,
)
from stagematch.models.enums import Leerweg, MentorRole, PlacementStatus, SizeBand
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
            start_date=start, duration_weeks=20, hours_per_week=32, pay_per_month=200, seats=1,
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
    db.session.commit()
    return {"leerbedrijfnetwerken": made}, logins

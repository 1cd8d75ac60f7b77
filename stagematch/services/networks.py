"""Leerbedrijf networks (issue 18): creating one, inviting a company by its KvK number, accepting,
leaving; the rotation schedule of a place between member firms; and the supervision chain shown
on the place and placement pages.

Who may supervise where is decided once, by `services.eligibility.may_supervise` (which asks
`partner_company_ids` here); capacity is counted per meester across firms by
`services.capacity` (it counts by mentor, whatever company the place belongs to)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from stagematch.extensions import db
from stagematch.models import Company, Mentor, Placement, User
from stagematch.models.enums import PlacementStatus
from stagematch.models.network import (
    INVITED,
    LEFT,
    MEMBER,
    WEEKDAYS,
    LeerbedrijfNetwork,
    NetworkMember,
    PlaceRotation,
)
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import utcnow

MAX_ROTATION_ROWS = 6
WEEKDAY_NAMES = {
    "ma": _l("maandag"), "di": _l("dinsdag"), "wo": _l("woensdag"), "do": _l("donderdag"),
    "vr": _l("vrijdag"), "za": _l("zaterdag"), "zo": _l("zondag"),
}  # fmt: skip


# --- who is in a network with whom ---------------------------------------------------------------


def partner_company_ids(company_id: int) -> set[int]:
    """Companies that share a network with this one, both as members (an invitation not yet
    accepted, or a company that left, makes no partner). The company itself is not included."""
    mine, theirs = aliased(NetworkMember), aliased(NetworkMember)
    return set(
        db.session.scalars(
            select(theirs.company_id)
            .join(mine, mine.network_id == theirs.network_id)
            .where(
                mine.company_id == company_id,
                mine.status == MEMBER,
                theirs.status == MEMBER,
                theirs.company_id != company_id,
            )
        )
    )


def membership(network: LeerbedrijfNetwork, company_id: int) -> NetworkMember | None:
    return next((m for m in network.members if m.company_id == company_id), None)


def networks_of(company: Company) -> list[tuple[LeerbedrijfNetwork, NetworkMember]]:
    """The networks the company is in or invited to (not those it left), newest first."""
    rows = db.session.execute(
        select(LeerbedrijfNetwork, NetworkMember)
        .join(NetworkMember, NetworkMember.network_id == LeerbedrijfNetwork.id)
        .where(NetworkMember.company_id == company.id, NetworkMember.status != LEFT)
        .order_by(LeerbedrijfNetwork.created_at.desc(), LeerbedrijfNetwork.id.desc())
    ).all()
    return [(n, m) for n, m in rows]


# --- use cases -----------------------------------------------------------------------------------


def create(*, company: Company, name: str, opleidingsbedrijf: str = "", by: User | None = None
           ) -> LeerbedrijfNetwork:  # fmt: skip
    """A new network with the creating company as its first member (it said yes by creating)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Geef het netwerk een naam."), "name")
    network = LeerbedrijfNetwork(
        name=name[:120], opleidingsbedrijf=(opleidingsbedrijf or "").strip()[:160],
        created_by_id=by.id if by else None,
    )  # fmt: skip
    now = utcnow()
    network.members.append(
        NetworkMember(
            company_id=company.id,
            status=MEMBER,
            invited_by_id=by.id if by else None,
            invited_at=now,
            joined_at=now,
        )  # fmt: skip
    )
    db.session.add(network)
    db.session.flush()
    record("network.create", network, actor=by, company=company.id, name=network.name)
    db.session.commit()
    return network


def _require_member(network: LeerbedrijfNetwork, company: Company) -> NetworkMember:
    member = membership(network, company.id)
    if member is None or member.status != MEMBER:
        raise DomainError(_("Alleen leden van het netwerk kunnen dit doen."))
    return member


def invite(*, network: LeerbedrijfNetwork, company: Company, kvk_number: str,
           by: User | None = None) -> NetworkMember:  # fmt: skip
    """A member invites another leerbedrijf by its KvK number; it becomes a member only when one
    of its users accepts."""
    _require_member(network, company)
    kvk = re.sub(r"\s", "", kvk_number or "")
    if not re.fullmatch(r"\d{8}", kvk):
        raise DomainError(_("Een KvK-nummer heeft 8 cijfers."), "kvk_number")
    other = db.session.scalar(
        select(Company).where(Company.kvk_number == kvk, Company.deactivated_at.is_(None))
    )
    if other is None:
        raise DomainError(
            _("Er staat geen leerbedrijf met KvK-nummer %(kvk)s op StageMatch. Vraag het bedrijf "
              "zich eerst aan te melden.", kvk=kvk), "kvk_number",
        )  # fmt: skip
    if other.id == company.id:
        raise DomainError(_("Dit is je eigen bedrijf."), "kvk_number")
    member = membership(network, other.id)
    if member is not None and member.status == MEMBER:
        raise DomainError(_("%(name)s is al lid van dit netwerk.", name=other.name), "kvk_number")
    if member is not None and member.status == INVITED:
        raise DomainError(
            _("%(name)s is al uitgenodigd; het bedrijf moet de uitnodiging nog accepteren.",
              name=other.name), "kvk_number",
        )  # fmt: skip
    if member is None:
        member = NetworkMember(company_id=other.id)
        network.members.append(member)
    member.status, member.invited_at, member.left_at = INVITED, utcnow(), None
    member.invited_by_id = by.id if by else None
    db.session.flush()
    record("network.invite", network, actor=by, company=company.id, invited=other.id)
    db.session.commit()
    _tell_invited(network, member, inviting=company)
    return member


def accept(*, network: LeerbedrijfNetwork, company: Company, by: User | None = None) -> None:
    member = membership(network, company.id)
    if member is None or member.status != INVITED:
        raise DomainError(_("Er staat geen uitnodiging open voor je bedrijf."))
    member.status, member.joined_at = MEMBER, utcnow()
    record("network.accept", network, actor=by, company=company.id)
    db.session.commit()
    _tell_inviter(network, member, accepted=True)


def leave_problems(network: LeerbedrijfNetwork, company: Company) -> list[Placement]:
    """Open or draft places that would lose their meester or gezel if the company left: places
    of this company supervised by a mentor of a firm it would no longer share a network with,
    and places of such firms supervised by this company's mentors. Running internships keep
    their agreement (a change of meester goes through an amendment)."""
    from stagematch.services.eligibility import may_supervise

    member = membership(network, company.id)
    if member is None or member.status != MEMBER:
        return []
    member.status = LEFT
    db.session.flush()
    try:
        partners = {c for c in _members(network) if c != company.id}
        G = aliased(Mentor)  # noqa: N806
        M = aliased(Mentor)  # noqa: N806
        places = db.session.scalars(
            select(Placement)
            .join(M, M.id == Placement.meester_id)
            .outerjoin(G, G.id == Placement.gezel_id)
            .where(
                Placement.status.in_([PlacementStatus.OPEN, PlacementStatus.DRAFT]),
                or_(
                    (Placement.company_id == company.id)
                    & (M.company_id.in_(partners) | G.company_id.in_(partners)),
                    Placement.company_id.in_(partners)
                    & ((M.company_id == company.id) | (G.company_id == company.id)),
                ),
            )
            .order_by(Placement.id)
        ).all()
        return [
            p for p in places
            if not may_supervise(p.meester, p.company_id, role="meester")
            or (p.gezel is not None and not may_supervise(p.gezel, p.company_id, role="gezel"))
        ]  # fmt: skip
    finally:
        db.session.rollback()


def _members(network: LeerbedrijfNetwork) -> set[int]:
    return {m.company_id for m in network.members}


def leave(*, network: LeerbedrijfNetwork, company: Company, by: User | None = None) -> None:
    """The company leaves (or declines an invitation). Refused while an open or draft place
    depends on supervision across the network (`leave_problems`): those come first."""
    network_id, company_id = network.id, company.id
    member = membership(network, company_id)
    if member is None or member.status == LEFT:
        raise DomainError(_("Je bedrijf is geen lid van dit netwerk."))
    was = member.status
    problems = leave_problems(network, company) if was == MEMBER else []
    if problems:
        raise DomainError(
            _("Eerst aanpassen: deze plekken worden begeleid door iemand van een ander bedrijf in "
              "het netwerk: %(places)s. Kies daar een andere meester of gezel, of sluit de plek.",
              places=", ".join(p.title for p in problems))
        )  # fmt: skip
    network = db.session.get(LeerbedrijfNetwork, network_id)
    member = membership(network, company_id)
    member.status, member.left_at = LEFT, utcnow()
    record("network.decline" if was == INVITED else "network.leave", network, actor=by,
           company=company_id)  # fmt: skip
    db.session.commit()
    if was == INVITED:
        _tell_inviter(network, member, accepted=False)


# --- telling the firms (after the commit) --------------------------------------------------------


def _invitation_key(member: NetworkMember) -> str:
    # One notification per invitation: a firm invited again after declining hears of it again.
    return f"network-member:{member.id}:{member.invited_at.isoformat()}"


def _tell_invited(network: LeerbedrijfNetwork, member: NetworkMember, *, inviting: Company) -> None:
    from stagematch.matching.text import N_
    from stagematch.services import notifications
    from stagematch.services.applications import company_users

    url = notifications.site_path("companies.networks")
    message = notifications.phrase(
        N_("%(company)s nodigt je bedrijf uit voor het leerbedrijfnetwerk %(network)s. Je kunt "
           "de uitnodiging aannemen of afslaan."),
        company=inviting.name, network=network.name,
    )  # fmt: skip
    for user in company_users(member.company_id):
        notifications.notify(user, "network_invitation", _invitation_key(member), message, url)


def _tell_inviter(network: LeerbedrijfNetwork, member: NetworkMember, *, accepted: bool) -> None:
    """The firm whose user sent the invitation hears the answer; if that user is gone, every
    other member firm does."""
    from stagematch.matching.text import N_
    from stagematch.services import notifications
    from stagematch.services.applications import company_users

    inviter = db.session.get(User, member.invited_by_id) if member.invited_by_id else None
    if inviter is not None and inviter.company_id is not None:
        firms = [inviter.company_id]
    else:
        firms = sorted(
            m.company_id for m in network.members
            if m.status == MEMBER and m.company_id != member.company_id
        )  # fmt: skip
    if accepted:
        msgid = N_("%(company)s heeft de uitnodiging voor het leerbedrijfnetwerk %(network)s "
                   "aangenomen.")  # fmt: skip
    else:
        msgid = N_("%(company)s heeft de uitnodiging voor het leerbedrijfnetwerk %(network)s "
                   "afgeslagen.")  # fmt: skip
    message = notifications.phrase(msgid, company=member.company.name, network=network.name)
    url = notifications.site_path("companies.networks")
    for firm in firms:
        for user in company_users(firm):
            notifications.notify(user, "network_answered", _invitation_key(member), message, url)


def open_invitations(company: Company) -> list[LeerbedrijfNetwork]:
    """Networks that invited the company and wait for its answer (the home page's banner)."""
    return list(
        db.session.scalars(
            select(LeerbedrijfNetwork)
            .join(NetworkMember, NetworkMember.network_id == LeerbedrijfNetwork.id)
            .where(NetworkMember.company_id == company.id, NetworkMember.status == INVITED)
            .order_by(LeerbedrijfNetwork.name)
        )
    )


# --- rotation between member firms --------------------------------------------------------------


@dataclass(frozen=True)
class RotationInput:
    company_id: int | None
    weekdays: list[str]
    period: str


def rotation(placement_id: int) -> list[PlaceRotation]:
    return list(
        db.session.scalars(
            select(PlaceRotation)
            .where(PlaceRotation.placement_id == placement_id)
            .order_by(PlaceRotation.position, PlaceRotation.id)
        )
    )


def in_rotation_order(rows) -> list[PlaceRotation]:
    """Rotation rows read with something else (the place page), in `rotation`'s order."""
    return sorted(rows, key=lambda r: (r.position, r.id))


def rotation_companies(company: Company) -> list[Company]:
    """Where a place of this company may rotate: the company itself and its network partners."""
    ids = partner_company_ids(company.id)
    partners = db.session.scalars(
        select(Company).where(Company.id.in_(ids)).order_by(Company.name)
    ).all()
    return [company, *partners]


def set_rotation(*, placement: Placement, rows: list[RotationInput], by: User | None = None
                 ) -> list[PlaceRotation]:  # fmt: skip
    """Replace the place's rotation schedule. Empty rows are skipped; no rows means the learner
    works at the place's own company only."""
    allowed = {c.id for c in rotation_companies(placement.company)}
    kept = [r for r in rows if r.company_id or r.weekdays or (r.period or "").strip()]
    if len(kept) > MAX_ROTATION_ROWS:
        raise DomainError(_("Hooguit %(n)s regels.", n=MAX_ROTATION_ROWS))
    for r in kept:
        if r.company_id not in allowed:
            raise DomainError(_("Kies je eigen bedrijf of een bedrijf uit je netwerk."), "company")
        if not r.weekdays and not (r.period or "").strip():
            raise DomainError(_("Kies de dagen of vul een periode in."), "weekdays")
        if any(d not in WEEKDAYS for d in r.weekdays):
            raise DomainError(_("Kies dagen van de week."), "weekdays")
        if len((r.period or "").strip()) > 120:
            raise DomainError(_("Hooguit %(n)s tekens.", n=120), "period")
    for old in rotation(placement.id):
        db.session.delete(old)
    db.session.flush()
    new = [
        PlaceRotation(
            placement_id=placement.id, company_id=r.company_id, position=i,
            weekdays=",".join(d for d in WEEKDAYS if d in r.weekdays), period=(r.period or "").strip(),
        )
        for i, r in enumerate(kept)
    ]  # fmt: skip
    db.session.add_all(new)
    record("placement.rotation", placement, actor=by,
           rows=[[r.company_id, r.weekdays, r.period] for r in new])  # fmt: skip
    db.session.commit()
    return new


def day_range(days: list[str]) -> str:
    """'ma,di,wo' → 'maandag–woensdag'; 'ma,wo' → 'maandag, woensdag'."""
    if not days:
        return ""
    index = [WEEKDAYS.index(d) for d in days]
    if len(index) > 2 and index == list(range(index[0], index[-1] + 1)):
        return f"{WEEKDAY_NAMES[days[0]]}–{WEEKDAY_NAMES[days[-1]]}"
    return ", ".join(str(WEEKDAY_NAMES[d]) for d in days)


# --- the whole chain, for the place and placement pages ------------------------------------------


@dataclass(frozen=True)
class ChainStop:
    company: Company
    days: str  # "maandag–woensdag", or ""
    period: str


@dataclass(frozen=True)
class Chain:
    stops: list[ChainStop]  # where the learner works, in order; empty: only at the place's company
    meester: Mentor
    gezel: Mentor | None
    shared: bool  # someone from another firm supervises, or the learner rotates


def chain(placement: Placement, internship=None, *, rotation_rows=None) -> Chain:
    """Where the learner works on which days and who supervises: the place's meester and gezel,
    or the internship's (an amendment may have named another meester). `rotation_rows`: the
    place's rotation read already (the place page reads it with the place)."""
    owner = internship if internship is not None else placement
    meester, gezel = owner.meester, owner.gezel
    rows = rotation(placement.id) if rotation_rows is None else in_rotation_order(rotation_rows)
    stops = [ChainStop(r.company, day_range(r.days), r.period) for r in rows]
    firms = {placement.company_id, meester.company_id} | {s.company.id for s in stops}
    if gezel is not None:
        firms.add(gezel.company_id)
    return Chain(stops, meester, gezel, shared=len(firms) > 1)

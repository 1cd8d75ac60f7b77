"""Fair advertisements (issue 19, item 7): before a place goes online its texts are checked for
discriminatory wording, with the word and pattern list `data/fair_ads_terms.csv` (its legal basis
in `data/fair_ads.md`).

A `block` hit refuses publishing with an explanation in plain Dutch; a `review` hit (wording that
may be innocent) keeps the place a draft until a coordinator of a school approves or rejects it.
Every check with hits is an `AdCheck` row, so checks can be counted per company.

Which schools review a company's places: the schools whose students are placed there now or were
in the last two years (`coordinators.host_companies_statement`); a company no school works with
yet goes to the schools within `NEAR_KM` of it, or else to the nearest school."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import AdCheck, Company, Internship, Placement, School, User
from stagematch.models.enums import InternshipStatus, PlacementStatus, Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import today, utcnow

TERMS_CSV = Path(__file__).resolve().parent.parent / "data" / "fair_ads_terms.csv"
BLOCK, REVIEW = "block", "review"
# AdCheck.outcome and .status
BLOCKED = "blocked"
OPEN, APPROVED, REJECTED, WITHDRAWN, REFUSED = (
    "open",
    "approved",
    "rejected",
    "withdrawn",
    "refused",
)
FIELDS = ("title", "description", "tasks", "required_skills", "languages")
EXCERPT_CHARS = 40  # of context on each side of a hit
NEAR_KM = 50

FIELD_LABELS = {
    "title": _l("Titel"),
    "description": _l("Meer over de plek"),
    "tasks": _l("Wat gaat de leerling doen"),
    "required_skills": _l("Wat moet de leerling al kunnen"),
    "languages": _l("Talen"),
}
CATEGORY_LABELS = {
    "leeftijd": _l("leeftijd"),
    "afkomst": _l("afkomst of nationaliteit"),
    "geslacht": _l("geslacht"),
    "godsdienst": _l("godsdienst"),
    "gezondheid": _l("handicap of gezondheid"),
    "uitsluiting": _l("uitsluiten van een groep"),
}
# Why the wording is a problem, and how to write it instead; per category, in the users' words.
WHY = {
    "leeftijd": _l(
        "Een leeftijdsgrens mag alleen met een wettelijke reden, en die reden moet in de tekst "
        "staan (Wet gelijke behandeling op grond van leeftijd bij de arbeid, art. 3 en 9). "
        "Schrijf wat de leerling moet kunnen, niet hoe oud die is. Geldt er een wettelijke "
        "minimumleeftijd, schrijf er dan bij waarom, bijvoorbeeld: ‘18 jaar of ouder, omdat je "
        "alcohol schenkt (Alcoholwet)’."
    ),
    "afkomst": _l(
        "Onderscheid naar afkomst, huidskleur of nationaliteit is verboden (Algemene wet "
        "gelijke behandeling, art. 1 en 5). Vraag wat nodig is voor het werk, bijvoorbeeld: "
        "‘je spreekt goed Nederlands (niveau B1)’."
    ),
    "geslacht": _l(
        "Onderscheid naar geslacht is verboden (Algemene wet gelijke behandeling, art. 1 en 5). "
        "Schrijf ‘stagiair (m/v/x)’ en beschrijf het werk, bijvoorbeeld: ‘je tilt dozen tot "
        "15 kg’."
    ),
    "godsdienst": _l(
        "Onderscheid naar godsdienst of levensovertuiging is verboden (Algemene wet gelijke "
        "behandeling, art. 1 en 5). Noem alleen regels die voor iedereen gelden en nodig zijn "
        "voor het werk, bijvoorbeeld veiligheidskleding."
    ),
    "gezondheid": _l(
        "Onderscheid naar handicap of chronische ziekte is verboden (Wet gelijke behandeling op "
        "grond van handicap of chronische ziekte). Beschrijf wat het werk lichamelijk vraagt, "
        "bijvoorbeeld: ‘je staat de hele dag’."
    ),
    "uitsluiting": _l(
        "Je sluit een groep studenten uit, bijvoorbeeld van een school of uit een wijk. Dat kan "
        "discriminatie zijn. Beschrijf wat de leerling moet kunnen; iedere student mag "
        "solliciteren."
    ),
}


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    lang: str
    regex: re.Pattern
    example: str


@dataclass(frozen=True)
class Hit:
    term: str  # the words as they are in the text
    category: str
    field: str
    excerpt: str
    severity: str
    rule: str

    def to_data(self) -> dict:
        return asdict(self)


def _compile(pattern: str) -> re.Pattern:
    pattern = pattern.replace(" ?", r"\s*").replace(" ", r"\s+")
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)")


@cache
def rules() -> tuple[Rule, ...]:
    with TERMS_CSV.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return tuple(
        Rule(row["id"], row["category"], row["severity"], row["lang"],
             _compile(row["pattern"]), row["example"])
        for row in csv.DictReader(lines)
    )  # fmt: skip


def normalise(text: str) -> tuple[str, list[int]]:
    """The text lower-cased without accents, and for each of its characters the index of the
    character in `text` it came from (so a hit can be shown in the original words)."""
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        plain = "".join(
            c
            for c in unicodedata.normalize("NFKD", char.casefold())
            if not unicodedata.combining(c)
        )
        out.append(plain)
        where.extend([i] * len(plain))
    return "".join(out), where


def _excerpt(text: str, start: int, end: int) -> str:
    lo, hi = max(0, start - EXCERPT_CHARS), min(len(text), end + EXCERPT_CHARS)
    inner = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + inner + ("…" if hi < len(text) else "")


def check_texts(fields: dict[str, str]) -> list[Hit]:
    """Every hit of the list in `fields` (name -> text), by field and position. Where a block and
    a review pattern cover the same words, only the block is kept."""
    hits: list[Hit] = []
    for field, text in fields.items():
        if not text:
            continue
        plain, where = normalise(str(text))
        found: list[tuple[int, int, Rule]] = []
        for rule in rules():
            for m in rule.regex.finditer(plain):
                if m.end() > m.start():
                    found.append((where[m.start()], where[m.end() - 1] + 1, rule))
        # block first, then earlier and longer: a later overlapping match is dropped
        found.sort(key=lambda f: (f[2].severity != BLOCK, f[0], -(f[1] - f[0])))
        kept: list[tuple[int, int, Rule]] = []
        for start, end, rule in found:
            if all(end <= s or start >= e for s, e, _r in kept):
                kept.append((start, end, rule))
        for start, end, rule in sorted(kept, key=lambda f: f[0]):
            hits.append(Hit(" ".join(text[start:end].split()), rule.category, field,
                            _excerpt(text, start, end), rule.severity, rule.id))  # fmt: skip
    return hits


def placement_texts(placement: Placement) -> dict[str, str]:
    return {name: getattr(placement, name) or "" for name in FIELDS}


def is_blocking(hits: list[Hit]) -> bool:
    return any(h.severity == BLOCK for h in hits)


def explain(hits: list[Hit] | list[dict]) -> str:
    """The hits in plain Dutch: which words, why, how to write it instead (one paragraph per
    category)."""
    hits = [h if isinstance(h, dict) else h.to_data() for h in hits]
    parts = []
    for category in dict.fromkeys(h["category"] for h in hits):
        words = ", ".join(
            dict.fromkeys(f"‘{h['term']}’" for h in hits if h["category"] == category)
        )
        parts.append(
            _("%(words)s (%(category)s): %(why)s", words=words,
              category=CATEGORY_LABELS.get(category, category), why=WHY.get(category, ""))
        )  # fmt: skip
    return " ".join(parts)


class AdBlocked(DomainError):
    """The place's texts have wording that discriminates: it cannot go online."""

    def __init__(self, hits: list[Hit]):
        blocking = [h for h in hits if h.severity == BLOCK]
        super().__init__(
            _("Deze tekst kan niet online: %(explanation)s", explanation=explain(blocking)),
            blocking[0].field if blocking else None,
        )
        self.hits = hits


# --- the publish step ---------------------------------------------------------------------------


def _key(hit: dict) -> tuple:
    return (hit["field"], hit["rule"], hit["term"].casefold())


def _approved_before(placement: Placement, hits: list[Hit]) -> bool:
    """A coordinator already approved exactly this wording for this place."""
    if placement.id is None:
        return False
    approved = db.session.scalars(
        select(AdCheck.hits).where(
            AdCheck.placement_id == placement.id, AdCheck.status == APPROVED
        ).order_by(AdCheck.decided_at.desc()).limit(1)
    ).first()  # fmt: skip
    if approved is None:
        return False
    return {_key(h.to_data()) for h in hits} <= {_key(h) for h in approved}


def open_check(placement_id: int) -> AdCheck | None:
    return db.session.scalars(
        select(AdCheck)
        .where(AdCheck.placement_id == placement_id, AdCheck.status == OPEN)
        .order_by(AdCheck.created_at.desc(), AdCheck.id.desc())
        .limit(1)
    ).first()


def latest_check(placement_id: int) -> AdCheck | None:
    """The place's last review check (for its page): open, approved, rejected or withdrawn."""
    return db.session.scalars(
        select(AdCheck)
        .where(AdCheck.placement_id == placement_id, AdCheck.outcome == REVIEW)
        .order_by(AdCheck.created_at.desc(), AdCheck.id.desc())
        .limit(1)
    ).first()


def withdraw_open(placement: Placement, *, by: User | None = None) -> None:
    """The company changed the texts: an open review of the old texts is moot."""
    if placement.id is None:
        return
    for check in db.session.scalars(
        select(AdCheck).where(AdCheck.placement_id == placement.id, AdCheck.status == OPEN)
    ):
        check.status = WITHDRAWN
        check.decided_at = utcnow()
        record("adcheck.withdraw", check, actor=by)


def check_before_publishing(placement: Placement, *, by: User | None) -> AdCheck | None:
    """Inside the publish transaction, after the other rules passed. A block hit raises
    `AdBlocked` (nothing written: the caller rolls back, then `record_blocked`). A review hit not
    approved before adds an open `AdCheck` and keeps the place a draft: returned, so the caller
    can `notify_review` after its commit. No hit (or an approved one): None, the place may go
    online."""
    hits = check_texts(placement_texts(placement))
    if is_blocking(hits):
        raise AdBlocked(hits)
    if not hits or _approved_before(placement, hits):
        return None
    withdraw_open(placement, by=by)
    check = AdCheck(placement=placement, company_id=placement.company_id,
                    hits=[h.to_data() for h in hits], outcome=REVIEW, status=OPEN)  # fmt: skip
    db.session.add(check)
    placement.status = PlacementStatus.DRAFT
    db.session.flush()
    record("adcheck.review", check, actor=by, placement=placement.id)
    return check


def record_blocked(*, company_id: int, placement_id: int | None, hits: list[Hit],
                   by: User | None) -> AdCheck:  # fmt: skip
    """After the refused publish was rolled back: the blocked check is kept (counted per
    company). `placement_id` None when the place was never stored."""
    if placement_id is not None and db.session.get(Placement, placement_id) is None:
        placement_id = None
    check = AdCheck(placement_id=placement_id, company_id=company_id, outcome=BLOCKED,
                    status=REFUSED, hits=[h.to_data() for h in hits], decided_at=utcnow())  # fmt: skip
    db.session.add(check)
    db.session.flush()
    record("adcheck.blocked", check, actor=by, placement=placement_id)
    db.session.commit()
    return check


# --- who reviews ------------------------------------------------------------------------------


def reviewing_school_ids(company: Company) -> list[int]:
    """The schools that work with the company (students placed there now or in the last two
    years); else the schools within NEAR_KM; else the nearest school."""
    from stagematch.services.coordinators import HOST_YEARS_DAYS

    since = today() - timedelta(days=HOST_YEARS_DAYS)
    hosts = list(
        db.session.scalars(
            select(Internship.school_id)
            .join(Placement, Internship.placement_id == Placement.id)
            .where(
                Placement.company_id == company.id,
                Internship.school_id.is_not(None),  # a zij-instromer without a school yet
                (Internship.status == InternshipStatus.ACTIVE) | (Internship.end_date >= since),
            )
            .distinct()
            .order_by(Internship.school_id)
        )
    )
    if hosts:
        return hosts
    distances = []
    for school in db.session.scalars(select(School).order_by(School.id)):
        town = geo.find_town(school.city)
        if town is not None:
            distances.append((geo.distance_km(company.lat, company.lon, town.lat, town.lon),
                              school.id))  # fmt: skip
    near = [sid for km, sid in distances if km <= NEAR_KM]
    return near or [sid for _km, sid in sorted(distances)[:1]]


def may_review(user: User, check: AdCheck) -> bool:
    return (
        user.role == Role.COORDINATOR
        and check.outcome == REVIEW
        and user.school_id in reviewing_school_ids(check.company)
    )


def _coordinators(school_ids: list[int]) -> list[User]:
    if not school_ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.COORDINATOR, User.school_id.in_(school_ids))
            .order_by(User.id)
        )
    )


def notify_review(check: AdCheck) -> int:
    """Tell the reviewing coordinators (after the check is committed). Returns how many."""
    from stagematch.matching.text import N_
    from stagematch.services.notifications import notify, phrase, site_path

    url = site_path("coordinators.ad_check", check_id=check.id)
    message = phrase(N_("%(company)s wil een plek online zetten met tekst die je moet "
                        "controleren: %(title)s"),
                     company=check.company.name, title=check.placement.title)  # fmt: skip
    sent = 0
    for user in _coordinators(reviewing_school_ids(check.company)):
        if notify(user, "ad_review", f"adcheck:{check.id}", message, url,
                  template="ad_review", check=check):  # fmt: skip
            sent += 1
    return sent


def notify_decided(check: AdCheck) -> int:
    from stagematch.matching.text import N_
    from stagematch.services.notifications import notify, phrase, site_path

    if check.placement_id is None:
        return 0
    url = site_path("companies.placement", placement_id=check.placement_id)
    if check.status == APPROVED:
        msgid = N_("De school heeft de tekst van je plek ‘%(title)s’ goedgekeurd.")
    else:
        msgid = N_("De school heeft de tekst van je plek ‘%(title)s’ afgekeurd. Lees waarom en "
                   "pas de tekst aan.")  # fmt: skip
    message = phrase(msgid, title=check.placement.title)
    sent = 0
    users = db.session.scalars(
        select(User).where(User.company_id == check.company_id).order_by(User.id)
    )
    for user in users:
        if notify(user, "ad_decided", f"adcheck:{check.id}", message, url,
                  template="ad_decided", check=check):  # fmt: skip
            sent += 1
    return sent


# --- the coordinator's queue and decision -------------------------------------------------------


def queue_for(school: School) -> list[AdCheck]:
    """Review checks this school reviews: open first (oldest first), then decided (newest
    first). Filtered in Python: review checks are few, and who reviews depends on the company."""
    checks = db.session.scalars(
        select(AdCheck)
        .where(AdCheck.outcome == REVIEW)
        .order_by(case((AdCheck.status == OPEN, 0), else_=1), AdCheck.created_at.desc(),
                  AdCheck.id.desc())
    ).all()  # fmt: skip
    schools: dict[int, list[int]] = {}
    result = []
    for check in checks:
        if check.company_id not in schools:
            schools[check.company_id] = reviewing_school_ids(check.company)
        if school.id in schools[check.company_id]:
            result.append(check)
    return result


def open_count(school: School) -> int:
    return sum(1 for c in queue_for(school) if c.status == OPEN)


def decide(check: AdCheck, *, approve: bool, note: str, by: User) -> list[DomainError]:
    """Record the coordinator's decision; on approval, publish the place through the publish
    service (which still applies every other rule). Returns the rules that kept it offline (the
    decision stands; the company fixes them and publishes itself)."""
    from stagematch.services import placements

    if check.status != OPEN:
        raise DomainError(_("Over deze controle is al besloten, of het bedrijf heeft de tekst "
                            "intussen aangepast."))  # fmt: skip
    note = (note or "").strip()
    if not approve and not note:
        raise DomainError(_("Schrijf bij een afkeuring waarom, zodat het bedrijf de tekst kan "
                            "aanpassen."), "note")  # fmt: skip
    # Claim the check: of two coordinators deciding at once, one wins.
    claimed = db.session.execute(
        AdCheck.__table__.update()
        .where(AdCheck.id == check.id, AdCheck.status == OPEN)
        .values(status=APPROVED if approve else REJECTED, decided_at=utcnow(),
                decided_by_id=by.id, decision_note=note[:2000])
    ).rowcount  # fmt: skip
    if not claimed:
        db.session.rollback()
        raise DomainError(_("Over deze controle is al besloten, of het bedrijf heeft de tekst "
                            "intussen aangepast."))  # fmt: skip
    record("adcheck.approve" if approve else "adcheck.reject", check, actor=by, note=note,
           placement=check.placement_id)  # fmt: skip
    db.session.commit()
    db.session.refresh(check)
    problems: list[DomainError] = []
    placement = check.placement
    if approve and placement is not None and placement.status == PlacementStatus.DRAFT:
        try:
            placements.publish(placement, by=by)
        except placements.PublishRefused as refused:
            problems = refused.problems
    notify_decided(check)
    return problems


# --- counts per company -------------------------------------------------------------------------


@dataclass
class AdCounts:
    blocked: int = 0
    review: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.blocked + self.review


def counts_by_company(company_ids: list[int]) -> dict[int, AdCounts]:
    if not company_ids:
        return {}
    rows = db.session.execute(
        select(
            AdCheck.company_id,
            func.sum(case((AdCheck.outcome == BLOCKED, 1), else_=0)),
            func.sum(case((AdCheck.outcome == REVIEW, 1), else_=0)),
            func.sum(case((AdCheck.status == REJECTED, 1), else_=0)),
        )
        .where(AdCheck.company_id.in_(company_ids))
        .group_by(AdCheck.company_id)
    ).all()
    return {cid: AdCounts(int(b or 0), int(r or 0), int(x or 0)) for cid, b, r, x in rows}


def highlight(text: str, hits: list[dict], field: str):
    """`text` as HTML with this field's hit terms in <mark> (escaped; for the review page)."""
    from markupsafe import Markup, escape

    terms = sorted({h["term"] for h in hits if h["field"] == field}, key=len, reverse=True)
    if not text or not terms:
        return escape(text or "")
    plain, where = normalise(text)
    spans = []
    for term in terms:
        needle, _w = normalise(term)
        for m in re.finditer(re.escape(needle), plain):
            start, end = where[m.start()], where[m.end() - 1] + 1
            if all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(escape(text[pos:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)

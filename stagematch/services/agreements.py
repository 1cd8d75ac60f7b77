"""The praktijkovereenkomst (POK) of a placement (issue 17): versions, signatures, the PDF.

Version 1 is generated from the accepted offer (`create_first_version`, called by
`services/applications.py` in the same transaction that makes the `Internship`). Its `content`
holds every field of the agreement (keys: /tmp/briefs/agreement_content.md, relied on by the BRON
and subsidy exports); `content_hash` is the SHA-256 of the canonical JSON of that content.

Before anyone signed, the school edits the version in place (the student gives the guardian's
name and address). Once a party signed, every change is an *amendment*: a new version with a
reason, which all parties sign again; when it is fully signed the version signed before becomes
`superseded` and its facts (dates, meester) are applied to the `Internship`. A meester change
must pass `services/capacity.py` under its mentor locks.

Parties sign in turn: student → parent or guardian (only when the student is under 18 on the
start date; through a signed, expiring link mailed to the address the student gave) →
leerbedrijf (any company account of the place's company) → school (a coordinator of the
student's school). A signature records the typed name, the time, the account and the hash of the
content the signer was shown; a signature on content that changed meanwhile, or out of turn, is
refused. Two people signing for one party at once: the version row is locked, and the unique
(version, party) constraint settles what slips through."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from stagematch.extensions import db
from stagematch.matching.text import N_
from stagematch.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    Internship,
    Mentor,
    SignatureParty,
    User,
)
from stagematch.models.enums import InternshipStatus, MentorRole, Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import age_on, utcnow

log = logging.getLogger(__name__)

ADULT_AGE = 18
BIRTH_AGES = (12, 100)  # a plausible age today for a birth date given by a student or an import
GUARDIAN_LINK_DAYS = 14  # the mailed link to sign works this long
TEXT_MAX = 4000  # characters per text field
NAME_MAX = 120
TEXT_FIELDS = ("work_processes", "assessment", "insurance", "early_ending")
# What the school may change (in a draft, or by an amendment), as content keys.
EDITABLE = ("start_date", "end_date", "hours_per_week", "days_per_week", "schedule", "meester",
            *TEXT_FIELDS)  # fmt: skip

PARTY_LABELS = {
    SignatureParty.STUDENT: _l("Student"),
    SignatureParty.GUARDIAN: _l("Ouder/verzorger"),
    SignatureParty.COMPANY: _l("Leerbedrijf"),
    SignatureParty.SCHOOL: _l("School"),
}
# Status keys (untranslated) and their plain Dutch labels.
WAITING_LABELS = {
    SignatureParty.STUDENT: _l("wacht op de student"),
    SignatureParty.GUARDIAN: _l("wacht op ouder/verzorger"),
    SignatureParty.COMPANY: _l("wacht op het leerbedrijf"),
    SignatureParty.SCHOOL: _l("wacht op school"),
}
YOUR_TURN = _l("wacht op jouw handtekening")
# The side (services/internships.Side) that signs for a party; the guardian signs without one.
SIDE_PARTY = {"student": SignatureParty.STUDENT, "company": SignatureParty.COMPANY,
              "school": SignatureParty.SCHOOL}  # fmt: skip

TURN_TEXT = N_(
    "De praktijkovereenkomst van %(name)s (versie %(number)s) wacht op jouw handtekening."
)
# To the firm of a network partner's meester (it sees the agreement; the place's firm signs).
PARTNER_TURN_TEXT = N_(
    "De praktijkovereenkomst van %(name)s (versie %(number)s) wacht op de handtekening van "
    "%(company)s."
)


# --- content --------------------------------------------------------------------------------------


def content_hash(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _mentor(mentor: Mentor | None) -> dict | None:
    if mentor is None:
        return None
    return {"id": mentor.id, "name": mentor.name, "function": mentor.function or None,
            "email": mentor.email}  # fmt: skip


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def birth_date_problem(birth_date: date, on: date) -> str | None:
    """What is wrong with a student's birth date (in Dutch), or None: in the past, and an age
    a student can have (12 to 100 years)."""
    if not birth_date < on:
        return _("Vul een geboortedatum in het verleden in.")
    if not BIRTH_AGES[0] <= age_on(birth_date, on) <= BIRTH_AGES[1]:
        return _("Vul je echte geboortedatum in: je bent nu tussen 12 en 100 jaar oud.")
    return None


def minor_on(birth_date: date | None, start: date | None) -> bool:
    """Under 18 on the start date (18 on the start date itself: not a minor); unknown birth date:
    not known to be a minor."""
    return birth_date is not None and start is not None and age_on(birth_date, start) < ADULT_AGE


def total_hours(hours_per_week, start: date | None, end: date | None) -> int | None:
    """Planned BPV hours over [start, end): hours a week × weeks, rounded."""
    if hours_per_week is None or start is None or end is None or end < start:
        return None
    return round(float(hours_per_week) * (end - start).days / 7)


def default_texts(internship: Internship) -> dict[str, str]:
    """The standard Dutch text of a new agreement; the school may change it before signing."""
    placement = internship.placement
    tasks = (placement.tasks or "").strip() or (placement.description or "").strip()
    qualification = internship.student.qualification if internship.student else None
    dossier = f" ({qualification.name}, crebo {qualification.crebo})" if qualification else ""
    work = (
        f"De student werkt mee aan de werkprocessen van de kwalificatie{dossier}. "
        f"Op deze plek: {tasks}" if tasks else
        f"De student werkt mee aan de werkprocessen van de kwalificatie{dossier}."
    )  # fmt: skip
    return {
        "work_processes": work,
        "assessment": (
            "De praktijkopleider beoordeelt halverwege en aan het eind hoe de student de "
            "werkprocessen uitvoert; de school stelt het eindoordeel vast. De drie gesprekken "
            "(start, midden, eind) voeren student, school en leerbedrijf samen."
        ),
        "insurance": (
            "De aansprakelijkheidsverzekering en de ongevallenverzekering van de school dekken "
            "de student tijdens de beroepspraktijkvorming. Het leerbedrijf meldt schade of een "
            "ongeval meteen bij de school."
        ),
        "early_ending": (
            "Elke partij kan de school vragen de overeenkomst eerder te beëindigen. De school "
            "beslist volgens haar protocol, na overleg met student en leerbedrijf, en helpt de "
            "student aan een vervangende plek."
        ),
    }


def build_content(internship: Internship, **overrides) -> dict:
    """Every field of the agreement for `internship` as it stands now (defaults from the place,
    its company and the student), with `overrides` (content keys) on top. The derived fields
    (total hours, minor at start, guardian) follow the final dates and hours."""
    placement, profile = internship.placement, internship.student
    company, school = placement.company, internship.school
    user = profile.user if profile is not None else None
    qualification = profile.qualification if profile is not None else None
    content = {
        "student": {
            "name": user.name if user else None, "email": user.email if user else None,
            "birth_date": _iso(profile.birth_date) if profile else None,
            "student_number": profile.student_number if profile else None,
            "minor_at_start": False,
        },
        "guardian": None,
        "school": None if school is None else  # a zij-instromer without a school yet
                  {"id": school.id, "name": school.name, "brin": school.brin, "city": school.city},
        "company": {"id": company.id, "name": company.name, "kvk_number": company.kvk_number,
                    "sbb_id": company.sbb_id, "address": company.address, "city": company.city},
        "qualification": {
            "crebo": qualification.crebo if qualification else None,
            "name": qualification.name if qualification else None,
            "level": qualification.level if qualification else None,
            "dossier_crebo": qualification.dossier_crebo if qualification else None,
        },
        "leerweg": placement.leerweg,
        "placement": {"id": placement.id, "title": placement.title},
        "start_date": _iso(internship.start_date), "end_date": _iso(internship.end_date),
        "hours_per_week": _number(placement.hours_per_week),
        "days_per_week": placement.days_per_week,
        "schedule": _default_schedule(placement.hours_per_week, placement.days_per_week),
        "total_hours": None,
        "pay_per_month": placement.pay_per_month,
        "meester": _mentor(internship.meester),
        "gezel": _mentor(internship.gezel),
        **default_texts(internship),
    }  # fmt: skip
    content.update(overrides)
    return derive(content, guardian=(internship.guardian_name, internship.guardian_email))


def _number(value):
    """Whole numbers as int (32, not 32.0), so the JSON and the PDF read naturally."""
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)


def _default_schedule(hours, days) -> str:
    if days:
        return f"{days} dagen per week, in overleg met de praktijkopleider."
    return "Verdeeld over de werkdagen, in overleg met de praktijkopleider."


def derive(content: dict, *, guardian: tuple[str | None, str | None] | None = None) -> dict:
    """Recompute the derived fields of `content` (in place; returned): total hours, minor at
    start and — for a minor — the guardian (`guardian`: name and address to use, else kept)."""
    start, end = _date(content.get("start_date")), _date(content.get("end_date"))
    content["total_hours"] = total_hours(content.get("hours_per_week"), start, end)
    student = dict(content.get("student") or {})
    minor = minor_on(_date(student.get("birth_date")), start)
    student["minor_at_start"] = minor
    content["student"] = student
    if not minor:
        content["guardian"] = None
    elif guardian is not None:
        name, email = guardian
        content["guardian"] = {"name": name or None, "email": email or None}
    elif not content.get("guardian"):
        content["guardian"] = {"name": None, "email": None}
    return content


# --- reading --------------------------------------------------------------------------------------


def current_version(internship: Internship) -> AgreementVersion | None:
    """The version in force (the last fully signed), else the latest one waiting for signatures."""
    versions = internship.agreement_versions
    signed = [v for v in versions if v.status == AgreementStatus.SIGNED]
    if signed:
        return signed[-1]
    pending = [v for v in versions if v.status == AgreementStatus.PENDING]
    return pending[-1] if pending else (versions[-1] if versions else None)


def pending_version(internship: Internship) -> AgreementVersion | None:
    """The version waiting for signatures (a draft or an amendment), if any."""
    pending = [v for v in internship.agreement_versions if v.status == AgreementStatus.PENDING]
    return pending[-1] if pending else None


def signed_versions(internship: Internship) -> list[AgreementVersion]:
    return [v for v in internship.agreement_versions if v.signed_at is not None]


def is_signed(internship: Internship) -> bool:
    """The placement has a fully signed agreement in force: it may start."""
    return any(v.status == AgreementStatus.SIGNED for v in internship.agreement_versions)


def unsigned_near_start(school, on: date, *, days: int = 7):
    """(internship id, company id, student name, start date) of the school's active placements
    that start within `days` (or started) without a fully signed agreement: one query."""
    from datetime import timedelta

    from sqlalchemy import exists

    from stagematch.models import Placement, StudentProfile

    signed = exists().where(
        AgreementVersion.internship_id == Internship.id,
        AgreementVersion.status == AgreementStatus.SIGNED,
    )
    return db.session.execute(
        select(Internship.id, Placement.company_id, User.name, Internship.start_date)
        .join(Placement, Placement.id == Internship.placement_id)
        .outerjoin(StudentProfile, StudentProfile.id == Internship.student_id)
        .outerjoin(User, User.id == StudentProfile.user_id)
        .where(
            Internship.school_id == school.id,
            Internship.status == InternshipStatus.ACTIVE,
            Internship.start_date <= on + timedelta(days=days),
            Internship.end_date >= on,
            ~signed,
        )
        .order_by(Internship.start_date, Internship.id)
    ).all()


def version_of(internship: Internship, number: int) -> AgreementVersion | None:
    return next((v for v in internship.agreement_versions if v.number == number), None)


def birth_date_unknown(version: AgreementVersion) -> bool:
    """The agreement has no birth date of the student: whether a guardian signs is unknown, so
    the student gives it before signing (issue 17)."""
    return not ((version.content or {}).get("student") or {}).get("birth_date")


def needs_guardian(version: AgreementVersion) -> bool:
    return bool(((version.content or {}).get("student") or {}).get("minor_at_start"))


def parties(version: AgreementVersion) -> list[str]:
    """The parties that sign this version, in order."""
    order = [SignatureParty.STUDENT, SignatureParty.GUARDIAN, SignatureParty.COMPANY,
             SignatureParty.SCHOOL]  # fmt: skip
    return [p for p in order if p != SignatureParty.GUARDIAN or needs_guardian(version)]


def next_party(version: AgreementVersion) -> str | None:
    """Whose turn it is on a pending version (None: signed, or replaced)."""
    if version.status != AgreementStatus.PENDING:
        return None
    done = {s.party for s in version.signatures}
    return next((p for p in parties(version) if p not in done), None)


def has_signatures(version: AgreementVersion | None) -> bool:
    return version is not None and bool(version.signatures)


def status_label_key(internship: Internship) -> str:
    """'none', 'signed', or 'waiting:<party>' for the version waiting for signatures."""
    pending = pending_version(internship)
    if pending is not None:
        return f"waiting:{next_party(pending)}"
    return "signed" if is_signed(internship) else "none"


def status_text(internship: Internship, side: str | None = None) -> str:
    """The agreement's status in plain Dutch, for `side`: "wacht op jouw handtekening",
    "wacht op school", "getekend op 3 februari 2027" …"""
    from stagematch.templating import format_date

    pending = pending_version(internship)
    if pending is not None:
        party = next_party(pending)
        if side is not None and SIDE_PARTY.get(side) == party:
            text = str(YOUR_TURN)
        else:
            text = str(WAITING_LABELS[party])
        if is_signed(internship):
            text = _("wijziging %(status)s", status=text)
        return text
    signed = signed_versions(internship)
    if signed and is_signed(internship):
        return _("getekend op %(date)s", date=format_date(signed[-1].signed_at.date()))
    return _("nog geen overeenkomst")


# --- making versions ------------------------------------------------------------------------------


def _add_version(internship: Internship, content: dict, *, by: User | None,
                 reason: str = "") -> AgreementVersion:  # fmt: skip
    number = max((v.number for v in internship.agreement_versions), default=0) + 1
    version = AgreementVersion(
        internship=internship, number=number, status=AgreementStatus.PENDING, reason=reason,
        content=content, content_hash=content_hash(content),
        created_by_id=by.id if by is not None else None,
    )  # fmt: skip
    db.session.add(version)
    db.session.flush()
    return version


def create_first_version(internship: Internship, *, by: User | None = None) -> AgreementVersion:
    """Version 1 from the accepted offer. Part of the caller's transaction (no commit)."""
    version = _add_version(internship, build_content(internship), by=by)
    record("agreement.create", version, actor=by, internship=internship.id, number=1)
    return version


def draw_up(internship: Internship, *, by: User) -> AgreementVersion:
    """ "Overeenkomst opstellen" for a placement that has no agreement yet (older data): the
    school makes version 1; the student is told it waits for them."""
    _lock_internship(internship)
    if internship.agreement_versions:
        raise DomainError(_("Deze stage heeft al een overeenkomst."))
    if internship.status != InternshipStatus.ACTIVE:
        raise DomainError(_("Deze stage is afgesloten; er komt geen overeenkomst meer bij."))
    version = _add_version(internship, build_content(internship), by=by)
    record("agreement.create", version, actor=by, internship=internship.id, number=1)
    db.session.commit()
    _tell_turn(version)
    return version


def _lock_internship(internship: Internship) -> None:
    """Serialise changes to one placement's agreement (PostgreSQL row lock; SQLite's write
    lock), then read its versions and signatures afresh."""
    db.session.execute(
        select(Internship.id).where(Internship.id == internship.id).with_for_update()
    )
    db.session.expire_all()


@dataclass
class Changes:
    """What the school changes (in a draft, or by an amendment)."""

    start_date: date
    end_date: date
    hours_per_week: float
    days_per_week: int | None
    schedule: str
    meester_id: int
    work_processes: str
    assessment: str
    insurance: str
    early_ending: str

    @classmethod
    def from_content(cls, content: dict) -> Changes:
        return cls(
            start_date=_date(content.get("start_date")), end_date=_date(content.get("end_date")),
            hours_per_week=content.get("hours_per_week"), days_per_week=content.get("days_per_week"),
            schedule=content.get("schedule") or "", meester_id=(content.get("meester") or {}).get("id"),
            **{k: content.get(k) or "" for k in TEXT_FIELDS},
        )  # fmt: skip


def meester_choices(internship: Internship) -> list[Mentor]:
    """The meesters the school may name: active meesters of the place's company or of its
    leerbedrijf network (`eligibility.supervisors_for`)."""
    from stagematch.services.eligibility import supervisors_for

    return supervisors_for(internship.placement.company_id, MentorRole.MEESTER)


def _check_changes(internship: Internship, changes: Changes) -> Mentor:
    if changes.start_date is None or changes.end_date is None:
        raise DomainError(_("Vul een begin- en einddatum in."), "start_date")
    if changes.end_date <= changes.start_date:
        raise DomainError(_("De einddatum moet na de begindatum liggen."), "end_date")
    if (changes.end_date - changes.start_date).days > 3 * 366:
        raise DomainError(_("Een overeenkomst duurt hooguit drie jaar."), "end_date")
    if changes.hours_per_week is None or not 0 < float(changes.hours_per_week) <= 60:
        raise DomainError(_("Vul tussen 1 en 60 uur per week in."), "hours_per_week")
    if changes.days_per_week is not None and not 1 <= changes.days_per_week <= 5:
        raise DomainError(_("Vul 1 tot en met 5 dagen per week in."), "days_per_week")
    for key in ("schedule", *TEXT_FIELDS):
        value = (getattr(changes, key) or "").strip()
        if not value:
            raise DomainError(_("Dit veld mag niet leeg zijn."), key)
        if len(value) > TEXT_MAX:
            raise DomainError(_("Hooguit %(n)s tekens.", n=TEXT_MAX), key)
    meester = db.session.get(Mentor, changes.meester_id) if changes.meester_id else None
    from stagematch.services.eligibility import may_supervise

    if not may_supervise(meester, internship.placement.company_id, role=MentorRole.MEESTER):
        raise DomainError(_("Kies een meester van dit leerbedrijf of uit zijn netwerk."), "meester")
    return meester


def _apply_changes(internship: Internship, content: dict, changes: Changes,
                   meester: Mentor) -> dict:  # fmt: skip
    content = json.loads(json.dumps(content))  # a copy: the old version keeps its content
    content.update(
        start_date=changes.start_date.isoformat(), end_date=changes.end_date.isoformat(),
        hours_per_week=_number(changes.hours_per_week), days_per_week=changes.days_per_week,
        schedule=changes.schedule.strip(), meester=_mentor(meester),
        **{k: getattr(changes, k).strip() for k in TEXT_FIELDS},
    )  # fmt: skip
    known = (internship.guardian_name, internship.guardian_email)
    return derive(content, guardian=known if internship.guardian_email else None)


def _has_room(internship: Internship, meester_id: int, start: date, end: date) -> bool:
    """Whether the meester has room for this learner over [start, end) (services/capacity.py
    counts; this placement counts already when it names the meester)."""
    from stagematch.services.capacity import mentor_load

    load = mentor_load(meester_id, start=start, end=end)
    counted = internship.meester_id == meester_id  # already among the meester's learners
    return load.room >= (0 if counted else 1)


def _capacity_matters(internship: Internship, content: dict) -> int | None:
    """The meester whose room must be checked when `content` takes effect: a new meester, or
    the same one over a longer period; None when nothing grows."""
    meester_id = (content.get("meester") or {}).get("id")
    start, end = _date(content.get("start_date")), _date(content.get("end_date"))
    if meester_id != internship.meester_id:
        return meester_id
    if start is None or end is None:
        return None
    if start < internship.start_date or end > internship.end_date:
        return meester_id
    return None


def may_change(internship: Internship, user: User | None) -> str | None:
    """How `user` may change the agreement: 'edit' (the school: the draft in place, else an
    amendment), 'amend' (an account of the place's own company: only a new version that every
    party signs again), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.role == Role.COORDINATOR and party_for(internship, user) == SignatureParty.SCHOOL:
        return "edit"
    if user.role == Role.COMPANY and user.company_id == internship.placement.company_id:
        return "amend"
    return None


def change(
    internship: Internship, *, by: User, changes: Changes, reason: str = ""
) -> AgreementVersion:
    """The school changes the agreement: the draft in place while nobody signed it, else an
    amendment (a new version, `reason` required) that every party signs again. The leerbedrijf
    (the place's company) proposes amendments only, also to a draft nobody signed yet."""
    how = may_change(internship, by)
    if how is None:
        raise DomainError(_("Alleen de school en het leerbedrijf passen de overeenkomst aan."))
    _lock_internship(internship)
    if internship.status != InternshipStatus.ACTIVE:
        raise DomainError(_("Deze stage is afgesloten; de overeenkomst verandert niet meer."))
    if not internship.agreement_versions:
        raise DomainError(_("Stel eerst de overeenkomst op."))
    meester = _check_changes(internship, changes)
    pending = pending_version(internship)
    draft = pending if pending is not None and not pending.signatures else None
    base = draft or pending or current_version(internship)
    if how == "amend":
        draft = None  # a new version, never the school's draft rewritten in place
    content = _apply_changes(internship, base.content, changes, meester)
    if content_hash(content) == base.content_hash:
        raise DomainError(_("Er is niets veranderd."))
    mentor_id = _capacity_matters(internship, content)
    if mentor_id is not None and not _has_room(
        internship, mentor_id, _date(content["start_date"]), _date(content["end_date"])
    ):
        raise DomainError(
            _("%(name)s heeft in deze periode geen ruimte meer voor nog een leerling.",
              name=meester.name), "meester",
        )  # fmt: skip
    reason = (reason or "").strip()
    if draft is not None:
        before = draft.content_hash
        draft.content, draft.content_hash = content, content_hash(content)
        if reason:
            draft.reason = reason[:TEXT_MAX]
        record("agreement.edit", draft, actor=by, number=draft.number, before=before,
               after=draft.content_hash)  # fmt: skip
        db.session.commit()
        return draft
    if not reason and how == "amend":
        raise DomainError(
            _("Iedereen tekent een wijziging opnieuw: schrijf waarom de overeenkomst verandert."),
            "reason",
        )
    if not reason:
        raise DomainError(
            _("Er is al getekend: schrijf waarom de overeenkomst verandert."), "reason"
        )
    if len(reason) > TEXT_MAX:
        raise DomainError(_("Hooguit %(n)s tekens.", n=TEXT_MAX), "reason")
    if pending is not None:  # a half-signed version is replaced by the new one
        pending.status = AgreementStatus.SUPERSEDED
    version = _add_version(internship, content, by=by, reason=reason)
    record("agreement.amend", version, actor=by, number=version.number, reason=reason,
           changed=sorted(k for k in EDITABLE if content.get(k) != base.content.get(k)))  # fmt: skip
    db.session.commit()
    _tell_turn(version)
    return version


def set_guardian(internship: Internship, *, by: User, name: str, email: str) -> AgreementVersion:
    """The student gives the parent's or guardian's name and address, before anyone signed the
    version (after that it is a change the school makes as an amendment)."""
    from stagematch.services.accounts import normalise_email

    _lock_internship(internship)
    version = pending_version(internship)
    if version is None or not needs_guardian(version):
        raise DomainError(_("Voor deze overeenkomst tekent geen ouder of verzorger."))
    if version.signatures:
        raise DomainError(
            _("Er is al getekend. Vraag de school om de gegevens van je ouder of verzorger aan te "
              "passen."), "email",
        )  # fmt: skip
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= NAME_MAX:
        raise DomainError(_("Vul de naam van je ouder of verzorger in."), "name")
    email = normalise_email(email or "")
    if not email or "@" not in email or len(email) > 254:
        raise DomainError(_("Vul een geldig e-mailadres in."), "email")
    if internship.student is not None and email == internship.student.user.email.lower():
        raise DomainError(_("Vul het adres van je ouder of verzorger in, niet je eigen adres."),
                          "email")  # fmt: skip
    internship.guardian_name, internship.guardian_email = name, email
    content = json.loads(json.dumps(version.content))
    content["guardian"] = {"name": name, "email": email}
    version.content, version.content_hash = content, content_hash(content)
    record("agreement.guardian", version, actor=by, number=version.number)
    db.session.commit()
    return version


def set_birth_date(internship: Internship, *, by: User, birth_date: date) -> AgreementVersion:
    """The student gives their birth date when the agreement waiting for them has none: it goes
    into their profile and into that version (which then needs a guardian for a minor), before
    anyone signed it. Raises DomainError (field `birth_date`)."""
    from stagematch.timeutil import today

    _lock_internship(internship)
    version = pending_version(internship)
    if version is None or not birth_date_unknown(version) or version.signatures:
        raise DomainError(_("Je geboortedatum staat al in de overeenkomst."))
    problem = birth_date_problem(birth_date, today())
    if problem:
        raise DomainError(problem, "birth_date")
    profile = internship.student
    if profile is not None and profile.birth_date is None:
        profile.birth_date = birth_date
    content = json.loads(json.dumps(version.content))
    content["student"] = {**(content.get("student") or {}), "birth_date": birth_date.isoformat()}
    known = (internship.guardian_name, internship.guardian_email)
    content = derive(content, guardian=known if internship.guardian_email else None)
    version.content, version.content_hash = content, content_hash(content)
    record("agreement.birth_date", version, actor=by, number=version.number,
           minor=content["student"]["minor_at_start"])  # fmt: skip
    db.session.commit()
    return version


# --- signing --------------------------------------------------------------------------------------


def party_for(internship: Internship, user: User | None) -> str | None:
    """The party `user` signs for on this placement (None for the guardian and outsiders)."""
    from stagematch.services.internships import Side, side_of, signing_company_id

    side = side_of(internship, user) if user is not None else None
    if side == Side.COMPANY and user.company_id != signing_company_id(internship):
        return None  # a network partner's meester's firm sees the agreement; the place's firm signs
    return SIDE_PARTY.get(side) if side else None


def sign(internship: Internship, *, number: int, party: str, typed_name: str, confirmed: bool,
         seen_hash: str, user: User | None = None) -> AgreementVersion:  # fmt: skip
    """`party` signs version `number`: refused when it is not their turn, when the content
    changed since the form was shown (`seen_hash`), without a name or the confirmation. The
    guardian signs without an account (`user` None); the others as `user`."""
    typed_name = " ".join((typed_name or "").split())
    if not confirmed:
        raise DomainError(_("Zet een vinkje om te bevestigen dat je tekent."), "confirm")
    if not 2 <= len(typed_name) <= NAME_MAX:
        raise DomainError(_("Typ je volledige naam."), "typed_name")
    if party == SignatureParty.GUARDIAN:
        if user is not None and user.is_authenticated:
            user = None  # a guardian's signature names no account
    elif party_for(internship, user) != party:
        raise DomainError(_("Je tekent deze overeenkomst niet namens deze partij."))
    # A signature that completes a version with a new meester or a longer period takes the
    # capacity locks first (they end the read transaction; nothing is written yet).
    version = version_of(internship, number)
    completes = (
        version is not None and next_party(version) == party
        and [p for p in parties(version) if p not in {s.party for s in version.signatures}] == [party]
    )  # fmt: skip
    mentor_id = _capacity_matters(internship, version.content) if completes else None
    if mentor_id is not None:
        from stagematch.services.capacity import lock_place_and_mentors

        lock_place_and_mentors(internship.placement_id, extra_mentor_ids=[mentor_id])
    _lock_internship(internship)
    version = version_of(internship, number)
    if version is None:
        raise DomainError(_("Deze versie van de overeenkomst bestaat niet."))
    if version.status != AgreementStatus.PENDING:
        raise DomainError(
            _(
                "Deze versie is al getekend of vervangen door een nieuwere; bekijk de nieuwste versie."
            )
        )
    if seen_hash != version.content_hash:
        raise DomainError(
            _("De overeenkomst is gewijzigd nadat je hem opende. Lees de nieuwe tekst en teken "
              "dan opnieuw.")
        )  # fmt: skip
    turn = next_party(version)
    guardian = (version.content or {}).get("guardian") or {}
    if party == SignatureParty.STUDENT and birth_date_unknown(version):
        raise DomainError(
            _("Vul eerst je geboortedatum in. Ben je op de begindatum nog geen 18, dan tekent "
              "ook je ouder of verzorger.")
        )  # fmt: skip
    if party == SignatureParty.STUDENT and needs_guardian(version) and not guardian.get("email"):
        raise DomainError(
            _("Je bent op de begindatum nog geen 18: vul eerst de naam en het e-mailadres van je "
              "ouder of verzorger in. Die tekent na jou.")
        )  # fmt: skip
    if party in {s.party for s in version.signatures}:
        raise DomainError(_("Voor deze partij is al getekend."))
    if turn != party:
        raise DomainError(
            _("Je bent nog niet aan de beurt: de overeenkomst %(status)s.",
              status=WAITING_LABELS[turn])
        )  # fmt: skip
    email = guardian.get("email") if party == SignatureParty.GUARDIAN else None
    signature = AgreementSignature(
        version_id=version.id, party=party, typed_name=typed_name, email=email,
        user_id=user.id if user is not None else None, content_hash=version.content_hash,
        signed_at=utcnow(),
    )  # fmt: skip
    db.session.add(signature)
    try:
        db.session.flush()
    except IntegrityError as error:  # another person signed for this party at the same moment
        db.session.rollback()
        raise DomainError(_("Voor deze partij is net al getekend.")) from error
    db.session.refresh(version, ["signatures"])
    record("agreement.sign", version, actor=user, number=version.number, party=party,
           typed_name=typed_name, content_hash=version.content_hash)  # fmt: skip
    if next_party(version) is None:
        _complete(internship, version)
    db.session.commit()
    _after_signature(internship, version, party)
    return version


def _complete(internship: Internship, version: AgreementVersion) -> None:
    """Every party signed: this version is in force, the earlier signed one superseded, and its
    dates and meester apply to the placement (within the meester's capacity)."""
    content = version.content or {}
    mentor_id = _capacity_matters(internship, content)
    start, end = _date(content.get("start_date")), _date(content.get("end_date"))
    if mentor_id is not None and not _has_room(internship, mentor_id, start, end):
        db.session.rollback()
        raise DomainError(
            _("De nieuwe meester heeft in deze periode geen ruimte meer voor nog een leerling. "
              "De school past de overeenkomst aan.")
        )  # fmt: skip
    for other in internship.agreement_versions:
        if other.id != version.id and other.status == AgreementStatus.SIGNED:
            other.status = AgreementStatus.SUPERSEDED
    version.status = AgreementStatus.SIGNED
    version.signed_at = utcnow()
    changed = {}
    if start and start != internship.start_date:
        changed["start_date"] = (internship.start_date, start)
        internship.start_date = start
    if end and end != internship.end_date:
        changed["end_date"] = (internship.end_date, end)
        internship.end_date = end
    meester_id = (content.get("meester") or {}).get("id")
    if meester_id and meester_id != internship.meester_id:
        changed["meester_id"] = (internship.meester_id, meester_id)
        internship.meester_id = meester_id
    record("agreement.signed", version, number=version.number, applied=changed)


# --- who hears of it ------------------------------------------------------------------------------


def _company_users(internship: Internship) -> list[User]:
    """The accounts that sign for the company: those of the place's firm (`signing_company_id`)."""
    from stagematch.services.internships import company_accounts, signing_company_id

    return company_accounts(internship, firm_ids={signing_company_id(internship)})


def _partner_users(internship: Internship) -> list[User]:
    """The accounts of a network partner whose meester or gezel supervises: told, not signing."""
    from stagematch.services.internships import company_accounts, company_ids_of, signing_company_id

    others = company_ids_of(internship) - {signing_company_id(internship)}
    return company_accounts(internship, firm_ids=others) if others else []


def _coordinators(internship: Internship) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.school_id == internship.school_id, User.role == Role.COORDINATOR,
                   User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )  # fmt: skip


def _tell_turn(version: AgreementVersion) -> None:
    """Tell the party whose turn it is (the guardian gets the mailed link instead)."""
    from stagematch.services.notifications import notify, phrase, site_path

    internship = version.internship
    party = next_party(version)
    if party is None:
        return
    if party == SignatureParty.GUARDIAN:
        send_guardian_link(version)
        return
    if party == SignatureParty.STUDENT:
        users = [internship.student.user] if internship.student is not None else []
    elif party == SignatureParty.COMPANY:
        users = _company_users(internship)
    else:
        users = _coordinators(internship)
    url = site_path("internships.page", internship_id=internship.id, _anchor="overeenkomst")
    student_name = internship.student.user.name if internship.student else "?"
    for user in users:
        name = internship.placement.company.name if user.role == Role.STUDENT else student_name
        notify(user, "agreement_turn", f"agreement:{version.id}:{party}",
               phrase(TURN_TEXT, name=name, number=version.number), url)  # fmt: skip
    for user in _partner_users(internship) if party == SignatureParty.COMPANY else []:
        notify(user, "agreement_turn", f"agreement:{version.id}:{party}",
               phrase(PARTNER_TURN_TEXT, name=student_name, number=version.number,
                      company=internship.placement.company.name), url)  # fmt: skip


def _after_signature(internship: Internship, version: AgreementVersion, party: str) -> None:
    try:
        _tell_turn(version)
    except Exception:  # telling someone never undoes a signature (committed before)
        db.session.rollback()
        log.exception("Could not tell the next party of agreement version %s", version.id)


# --- the guardian's link --------------------------------------------------------------------------


def _guardian_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="agreement-guardian")


def guardian_token(version: AgreementVersion) -> str:
    """A link token for this version's content: it stops working when the content changes, when
    the guardian signed, and after GUARDIAN_LINK_DAYS days."""
    return _guardian_serializer().dumps({"v": version.id, "h": version.content_hash[:16]})


def version_from_guardian_token(
    token: str, *, max_age: int | None = None
) -> AgreementVersion | None:
    """The version a guardian's link is for, or None when forged, expired or for content that
    changed since. The caller checks whose turn it is."""
    max_age = GUARDIAN_LINK_DAYS * 24 * 3600 if max_age is None else max_age
    if not token or len(token) > 400:
        return None
    try:
        data = _guardian_serializer().loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired included
        return None
    version_id = data.get("v") if isinstance(data, dict) else None
    if not isinstance(version_id, int) or isinstance(version_id, bool):
        return None
    version = db.session.get(AgreementVersion, version_id)
    if version is None or version.content_hash[:16] != data.get("h"):
        return None
    if version.status == AgreementStatus.SUPERSEDED:  # replaced by a version with other content
        return None
    if not needs_guardian(version):
        return None
    return version


def guardian_signed(version: AgreementVersion) -> bool:
    return any(s.party == SignatureParty.GUARDIAN for s in version.signatures)


def send_guardian_link(version: AgreementVersion) -> bool:
    """Mail the guardian the link to read and sign (an account mail, not a notification)."""
    from stagematch import mailer
    from stagematch.urls import external_url

    guardian = (version.content or {}).get("guardian") or {}
    if not guardian.get("email"):
        return False
    internship = version.internship
    link = external_url("internships.agreement_guardian_sign", token=guardian_token(version))
    return mailer.send(
        guardian["email"], _l("praktijkovereenkomst ondertekenen"), "agreement_guardian",
        guardian_name=guardian.get("name") or "", student_name=(version.content["student"] or {}).get("name") or "",
        company_name=internship.placement.company.name, link=link, days=GUARDIAN_LINK_DAYS,
    )  # fmt: skip


def resend_guardian_link(internship: Internship, *, by: User) -> bool:
    """The student sends the link again (when it is the guardian's turn)."""
    version = pending_version(internship)
    if version is None or next_party(version) != SignatureParty.GUARDIAN:
        raise DomainError(_("De overeenkomst wacht nu niet op je ouder of verzorger."))
    record("agreement.guardian_resend", version, actor=by, number=version.number)
    db.session.commit()
    return send_guardian_link(version)


# --- the PDF --------------------------------------------------------------------------------------


FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
# Arabic letters and their presentation forms: text with these is shaped and ordered for the PDF.
_ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


def _fonts() -> tuple[str, str]:
    """DejaVu Sans (data/fonts, embedded in the PDF as a subset): Latin Extended, Cyrillic and
    Arabic, for names like Wiśniewska, Олена or محمد (reportlab's Bitstream Vera has Latin-1
    only)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "StageMatchSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("StageMatchSans", str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(
            TTFont("StageMatchSans-Bold", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        )
    return "StageMatchSans", "StageMatchSans-Bold"


def _visual(text: str) -> str:
    """`text` as reportlab must draw it: reportlab neither joins Arabic letters nor lays out
    right-to-left, so a line with Arabic gets its joined letter forms (arabic-reshaper) in visual
    order (python-bidi). Other text is returned as it is. A long Arabic text that wraps reads
    its lines in the wrong order: fine for names and short values, which is what the
    agreement holds in Arabic."""
    if not any(lo <= ord(c) <= hi for c in text for lo, hi in _ARABIC):
        return text
    import arabic_reshaper
    from bidi import get_display

    return "\n".join(get_display(arabic_reshaper.reshape(line)) for line in text.split("\n"))


def _nl_date(value) -> str:
    day = _date(value)
    return day.strftime("%d-%m-%Y") if day else "–"


def _text(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    return str(value)


def pdf_rows(version: AgreementVersion) -> list[tuple[str, list[tuple[str, str]]]]:
    """The agreement as headed groups of (label, value) lines: what the PDF (and a test) reads."""
    c = version.content or {}
    student, school, company = c.get("student") or {}, c.get("school") or {}, c.get("company") or {}
    q, place = c.get("qualification") or {}, c.get("placement") or {}
    meester, gezel, guardian = c.get("meester") or {}, c.get("gezel"), c.get("guardian")

    def person(m: dict | None) -> list[tuple[str, str]]:
        m = m or {}
        return [("Naam", _text(m.get("name"))), ("Functie", _text(m.get("function"))),
                ("E-mail", _text(m.get("email"))), ("Nummer", _text(m.get("id")))]  # fmt: skip

    groups = [
        ("Student", [
            ("Naam", _text(student.get("name"))), ("E-mail", _text(student.get("email"))),
            ("Geboortedatum", _nl_date(student.get("birth_date"))),
            ("Studentnummer", _text(student.get("student_number"))),
            ("Minderjarig bij de start", _text(bool(student.get("minor_at_start")))),
        ]),
        ("Ouder of verzorger", [("Naam", _text(guardian.get("name"))),
                                ("E-mail", _text(guardian.get("email")))]
         if guardian else [("", "Niet nodig: de student is op de begindatum 18 jaar of ouder.")]),
        ("School", [("Naam", _text(school.get("name"))), ("BRIN", _text(school.get("brin"))),
                    ("Plaats", _text(school.get("city"))), ("Nummer", _text(school.get("id")))]),
        ("Leerbedrijf", [
            ("Naam", _text(company.get("name"))), ("KvK-nummer", _text(company.get("kvk_number"))),
            ("SBB leerbedrijf-ID", _text(company.get("sbb_id"))),
            ("Adres", _text(company.get("address"))), ("Plaats", _text(company.get("city"))),
            ("Nummer", _text(company.get("id"))),
        ]),
        ("Opleiding", [
            ("Kwalificatie", _text(q.get("name"))), ("Crebo", _text(q.get("crebo"))),
            ("Niveau", _text(q.get("level"))), ("Kwalificatiedossier (crebo)", _text(q.get("dossier_crebo"))),
            ("Leerweg", _text(c.get("leerweg"))),
        ]),
        ("Stage", [
            ("Plek", _text(place.get("title"))), ("Nummer van de plek", _text(place.get("id"))),
            ("Begindatum", _nl_date(c.get("start_date"))), ("Einddatum", _nl_date(c.get("end_date"))),
            ("Uren per week", _text(c.get("hours_per_week"))),
            ("Dagen per week", _text(c.get("days_per_week"))),
            ("Verdeling van de uren", _text(c.get("schedule"))),
            ("Totaal aantal BPV-uren", _text(c.get("total_hours"))),
            ("Vergoeding of loon per maand (EUR)", _text(c.get("pay_per_month"))),
        ]),
        ("Praktijkopleider (meester)", person(meester)),
        ("Gezel", person(gezel) if gezel else [("", "Geen gezel.")]),
        ("Werkprocessen en keuzedeel", [("", _text(c.get("work_processes")))]),
        ("Beoordeling", [("", _text(c.get("assessment")))]),
        ("Verzekering", [("", _text(c.get("insurance")))]),
        ("Eerder beëindigen", [("", _text(c.get("early_ending")))]),
    ]  # fmt: skip
    return groups


def render_pdf(version: AgreementVersion) -> bytes:
    """The version as a PDF (A4), with the fonts that ship in data/fonts: no network, no
    system fonts; Dutch (ë, é, €), Polish, Ukrainian and Arabic names render."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5)
    label = ParagraphStyle("label", parent=body, fontName=bold)
    heading = ParagraphStyle("heading", parent=body, fontName=bold, fontSize=12, leading=15,
                             spaceBefore=8, spaceAfter=3)  # fmt: skip
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=16, leading=20)

    def p(text: str, style=body) -> Paragraph:
        return Paragraph(escape(_visual(text)).replace("\n", "<br/>"), style)

    internship = version.internship
    status = {AgreementStatus.PENDING: "wacht op handtekeningen",
              AgreementStatus.SIGNED: "getekend door alle partijen",
              AgreementStatus.SUPERSEDED: "vervangen door een latere versie"}.get(version.status, version.status)  # fmt: skip
    story = [
        p("Praktijkovereenkomst (POK)", title),
        p(f"Versie {version.number} · stage {internship.id} · {status}"),
    ]
    if version.reason:
        story.append(p(f"Reden van deze wijziging: {version.reason}"))
    story.append(Spacer(1, 4 * mm))
    for head, rows in pdf_rows(version):
        story.append(p(head, heading))
        if len(rows) == 1 and rows[0][0] == "":
            story.append(p(rows[0][1]))
            continue
        table = Table([[p(k, label), p(v)] for k, v in rows], colWidths=[55 * mm, 115 * mm])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
        story.append(table)
    story.append(p("Handtekeningen", heading))
    by_party = {s.party: s for s in version.signatures}
    rows = []
    for party in parties(version):
        signature = by_party.get(party)
        if signature is None:
            rows.append([p(str(PARTY_LABELS[party]), label), p("nog niet getekend")])
        else:
            rows.append([p(str(PARTY_LABELS[party]), label), p(
                f"{signature.typed_name} · {signature.signed_at:%d-%m-%Y %H:%M} UTC · "
                f"inhoud {signature.content_hash[:12]}"
            )])  # fmt: skip
    table = Table(rows, colWidths=[55 * mm, 115 * mm])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    story.append(p(f"Controlegetal van de inhoud (SHA-256): {version.content_hash}"))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm,
                            title=f"Praktijkovereenkomst {internship.id} versie {version.number}",
                            author="StageMatch")  # fmt: skip
    doc.build(story)
    return buffer.getvalue()

"""A leerbedrijf's own data: profile, accreditations, colleagues, mentors, bulk import/export, and
what it may see of an applicant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from stagematch import geo
from stagematch.csvutil import to_csv
from stagematch.extensions import db
from stagematch.matching.text import N_, Phrase
from stagematch.models import (
    Accreditation,
    Application,
    AuditEvent,
    Company,
    CompanyInvitation,
    EvcClaim,
    Mentor,
    Placement,
    Qualification,
    User,
)
from stagematch.models.enums import (
    AccreditationCheckSource,
    AccreditationVerification,
    MentorRole,
    PlacementStatus,
    Role,
    SizeBand,
)
from stagematch.services import DomainError, adults
from stagematch.services.accounts import email_taken, normalise_email
from stagematch.services.audit import record
from stagematch.services.capacity import lock_mentors, minimum_capacity
from stagematch.services.school_contacts import PHONE
from stagematch.timeutil import age_on, today, utcnow
from stagematch.urls import external_url


def update_profile(
    company: Company, *, name: str, kvk_number: str, sbb_id: str | None, town: geo.Town, sector: str,
    size_band: str, description: str,
) -> None:  # fmt: skip
    kvk_number = kvk_number.strip()
    clash = db.session.scalar(
        select(Company.id).where(Company.kvk_number == kvk_number, Company.id != company.id)
    )
    if clash:
        raise DomainError(_("Dit KvK-nummer hoort al bij een ander leerbedrijf."), "kvk_number")
    sbb_id = (sbb_id or "").strip() or None
    if sbb_id and db.session.scalar(
        select(Company.id).where(Company.sbb_id == sbb_id, Company.id != company.id)
    ):
        raise DomainError(_("Dit erkenningsnummer hoort al bij een ander leerbedrijf."), "sbb_id")
    SizeBand(size_band)
    if sbb_id != company.sbb_id:
        # Another leerbedrijf-ID: what the register confirmed for the old one no longer holds.
        for accreditation in company.accreditations:
            if accreditation.check_source == AccreditationCheckSource.SBB_REGISTER:
                accreditation.verification = AccreditationVerification.DECLARED
                accreditation.check_source = accreditation.checked_by_id = (
                    accreditation.checked_at
                ) = None
                accreditation.check_note = ""
    company.name, company.kvk_number, company.sbb_id = name.strip(), kvk_number, sbb_id
    company.city, company.lat, company.lon = town.name, town.lat, town.lon
    company.sector, company.size_band, company.description = sector, size_band, description.strip()
    record("company.update", company)
    db.session.commit()


def add_accreditation(
    company: Company, *, qualification: Qualification, valid_from: date, valid_to: date | None
) -> Accreditation:
    if valid_to is not None and valid_to < valid_from:
        raise DomainError(_("De einddatum ligt vóór de begindatum."), "valid_to")
    duplicate = db.session.scalar(
        select(Accreditation.id).where(
            Accreditation.company_id == company.id,
            Accreditation.qualification_id == qualification.id,
            Accreditation.valid_from == valid_from,
        )
    )
    if duplicate:
        raise DomainError(_("Deze erkenning staat er al."), "qualification")
    accreditation = Accreditation(
        company=company, qualification=qualification, valid_from=valid_from, valid_to=valid_to
    )
    db.session.add(accreditation)
    db.session.flush()
    record("accreditation.add", accreditation, crebo=qualification.crebo)
    db.session.commit()
    return accreditation


def remove_accreditation(accreditation: Accreditation) -> None:
    in_use = db.session.scalar(
        select(func.count(Placement.id))
        .join(Placement.qualifications)
        .where(
            Placement.company_id == accreditation.company_id,
            Placement.status == PlacementStatus.OPEN,
            Qualification.id == accreditation.qualification_id,
        )
    )
    if in_use:
        raise DomainError(
            ngettext(
                "Er staat nog %(num)s open plek voor deze opleiding. Sluit die eerst.",
                "Er staan nog %(num)s open plekken voor deze opleiding. Sluit die eerst.",
                in_use,
            )
        )
    record("accreditation.remove", accreditation, crebo=accreditation.qualification.crebo)
    db.session.delete(accreditation)
    db.session.commit()


def current_accreditations(company: Company, on: date | None = None) -> list[Qualification]:
    on = on or today()
    quals = {a.qualification for a in company.accreditations if a.is_current(on)}
    return sorted(quals, key=lambda q: q.name)


# --- colleagues ------------------------------------------------------------------------------
# An invitation is not an account: the colleague's account is made when they accept, so an
# invitation never takes an address away from its owner. `created_at` of an invitation is when
# it was last sent (sending it again renews it).

INVITATION_DAYS = 7
MAX_OPEN_INVITATIONS = 10  # per company, not yet accepted, revoked or expired
MAX_INVITATIONS_PER_DAY = 20  # mails per company in 24 hours, sending again included


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="colleague-invite")


def invitation_token(invitation: CompanyInvitation) -> str:
    return _invitation_serializer().dumps({"invitation": invitation.id})


def invitation_from_token(token: str) -> CompanyInvitation | None:
    """The invitation a link is for, or None when the link is forged or older than 7 days.
    The caller checks `.open` (the invitation may be accepted or revoked since)."""
    try:
        data = _invitation_serializer().loads(token, max_age=INVITATION_DAYS * 24 * 3600)
    except BadSignature:  # SignatureExpired included
        return None
    invitation_id = data.get("invitation") if isinstance(data, dict) else None
    if not isinstance(invitation_id, int) or isinstance(invitation_id, bool):
        return None
    return db.session.get(CompanyInvitation, invitation_id)


def invitation_expired(invitation: CompanyInvitation) -> bool:
    return invitation.created_at < utcnow() - timedelta(days=INVITATION_DAYS)


def open_invitations(company: Company) -> list[CompanyInvitation]:
    """Invitations nobody accepted or revoked yet, newest first (expired ones too, to revoke)."""
    return list(
        db.session.scalars(
            select(CompanyInvitation)
            .where(
                CompanyInvitation.company_id == company.id,
                CompanyInvitation.accepted_at.is_(None),
                CompanyInvitation.revoked_at.is_(None),
            )
            .order_by(CompanyInvitation.created_at.desc(), CompanyInvitation.id.desc())
        )
    )


def _sent_since(company_id: int, since: datetime) -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id))
        .join(CompanyInvitation, CompanyInvitation.id == AuditEvent.object_id)
        .where(
            AuditEvent.object_type == "companyinvitation",
            AuditEvent.action == "colleague.invite",
            AuditEvent.at >= since,
            CompanyInvitation.company_id == company_id,
        )
    )


def invite_colleague(
    company: Company, *, name: str, email: str, invited_by: User | None = None
) -> CompanyInvitation:
    """Invite a colleague and mail them a link (valid 7 days) to make their account. Inviting an
    address that already has an open invitation sends it again. Whether the address has an
    account makes no difference here, so the form tells nobody who has one; accepting says it."""
    address = normalise_email(email)
    company_id = company.id
    # Serialise invitations of one company, so two at once cannot pass the limits together.
    db.session.execute(
        update(Company).where(Company.id == company_id).values(id=Company.id)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    now = utcnow()
    if _sent_since(company_id, now - timedelta(days=1)) >= MAX_INVITATIONS_PER_DAY:
        db.session.rollback()
        raise DomainError(
            _(
                "Je hebt vandaag al %(count)s uitnodigingen verstuurd. Probeer het morgen opnieuw.",
                count=MAX_INVITATIONS_PER_DAY,
            )
        )
    invitation = db.session.scalar(
        select(CompanyInvitation).where(
            CompanyInvitation.company_id == company_id,
            CompanyInvitation.email == address,
            CompanyInvitation.accepted_at.is_(None),
            CompanyInvitation.revoked_at.is_(None),
        )
    )
    if invitation is None:
        pending = db.session.scalar(
            select(func.count(CompanyInvitation.id)).where(
                CompanyInvitation.company_id == company_id,
                CompanyInvitation.accepted_at.is_(None),
                CompanyInvitation.revoked_at.is_(None),
                CompanyInvitation.created_at >= now - timedelta(days=INVITATION_DAYS),
            )
        )
        if pending >= MAX_OPEN_INVITATIONS:
            db.session.rollback()
            raise DomainError(
                _(
                    "Er staan al %(count)s uitnodigingen open. Trek er een in of wacht tot "
                    "collega's hun account gemaakt hebben.",
                    count=MAX_OPEN_INVITATIONS,
                )
            )
        invitation = CompanyInvitation(company_id=company_id, email=address)
        db.session.add(invitation)
    invitation.name = name.strip()
    invitation.invited_by_id = invited_by.id if invited_by is not None else None
    invitation.created_at = now
    db.session.flush()
    record("colleague.invite", invitation, actor=invited_by, company=company_id)
    db.session.commit()
    from stagematch import mailer

    mailer.send(
        address, _l("je bent uitgenodigd"), "colleague_invite", invitation=invitation,
        company=invitation.company, inviter=invited_by, days=INVITATION_DAYS,
        link=external_url("companies.accept_invitation", token=invitation_token(invitation)),
    )  # fmt: skip
    return invitation


def revoke_invitation(invitation: CompanyInvitation, *, by: User | None = None) -> None:
    if invitation.open:
        invitation.revoked_at = utcnow()
        record("colleague.revoke", invitation, actor=by, company=invitation.company_id)
        db.session.commit()


def accept_invitation(invitation: CompanyInvitation, *, name: str, password: str) -> User:
    """The colleague's account, made from their invitation; refused when the invitation is no
    longer open or the address has an account by now (an address has one account)."""
    invitation_id = invitation.id
    invitation = db.session.get(
        CompanyInvitation, invitation_id, with_for_update=True, populate_existing=True
    )
    if invitation is None or not invitation.open:
        db.session.rollback()
        raise DomainError(_("Deze uitnodiging is al gebruikt of ingetrokken."))
    if email_taken(invitation.email):
        db.session.rollback()
        raise DomainError(ADDRESS_HAS_ACCOUNT)
    user = User(email=invitation.email, name=name.strip(), role=Role.COMPANY,
                company_id=invitation.company_id)  # fmt: skip
    user.set_password(password)
    db.session.add(user)
    invitation.accepted_at = utcnow()
    try:
        db.session.flush()
    except IntegrityError:  # the address got an account at this very moment
        db.session.rollback()
        raise DomainError(ADDRESS_HAS_ACCOUNT) from None
    record("colleague.accept", invitation, actor=user, company=invitation.company_id)
    db.session.commit()
    return user


ADDRESS_HAS_ACCOUNT = _l(
    "Er is al een StageMatch-account met dit e-mailadres, en een adres hoort bij één account. "
    "Log in met dat account, of vraag je collega je uit te nodigen op een ander e-mailadres."
)


# --- mentors ---------------------------------------------------------------------------------


def save_mentor(company: Company, data: dict, mentor: Mentor | None = None) -> Mentor:
    role = MentorRole(data["role"])
    meester = None
    if role == MentorRole.GEZEL:
        if not data.get("meester_id"):
            raise DomainError(_("Kies de meester onder wie deze gezel werkt."), "meester_id")
        meester = db.session.get(Mentor, data["meester_id"])
        if (
            meester is None
            or meester.company_id != company.id
            or meester.role != MentorRole.MEESTER
        ):
            raise DomainError(_("Kies een meester van je eigen bedrijf."), "meester_id")
    if (
        mentor is not None
        and mentor.role == MentorRole.MEESTER
        and role == MentorRole.GEZEL
        and mentor.gezellen
    ):
        raise DomainError(
            _(
                "Deze meester heeft nog gezellen onder zich. Koppel die eerst aan een andere meester."
            ),
            "role",
        )
    if mentor is not None and data["capacity"] < mentor.capacity:
        # Lowering: serialise with hires, offers and publishes for this mentor, then count.
        mentor_id = mentor.id
        lock_mentors([mentor_id])
        needed = minimum_capacity(mentor_id)
        if data["capacity"] < needed:
            db.session.rollback()
            raise DomainError(
                _(
                    "%(name)s heeft al %(count)s leerlingen, aanbiedingen en open plaatsen in "
                    "dezelfde periode; de capaciteit kan niet lager dan %(count)s. Sluit eerst een "
                    "plek of zet minder plaatsen open.",
                    name=mentor.name,
                    count=needed,
                ),
                "capacity",
            )
    phone = (data.get("phone") or "").strip()
    if phone and not PHONE.match(phone):
        db.session.rollback()
        raise DomainError(_("Vul een telefoonnummer in met alleen cijfers (en + of -)."), "phone")
    creating = mentor is None
    if creating:
        mentor = Mentor(company=company)
        db.session.add(mentor)
    mentor.role = role
    mentor.name = data["name"].strip()
    mentor.function = data.get("function", "").strip()
    mentor.email = data.get("email")
    mentor.phone = phone
    mentor.years_experience = data["years_experience"]
    mentor.trained = bool(data["trained"])
    mentor.trained_on = data.get("trained_on") if data["trained"] else None
    mentor.meestertitel = bool(data["meestertitel"])
    mentor.hours_per_week = data["hours_per_week"]
    mentor.capacity = data["capacity"]
    mentor.meester = meester
    db.session.flush()
    record("mentor.create" if creating else "mentor.update", mentor)
    db.session.commit()
    return mentor


def set_mentor_active(mentor: Mentor, active: bool) -> None:
    if not active:
        busy = db.session.scalar(
            select(func.count(Placement.id)).where(
                (Placement.meester_id == mentor.id) | (Placement.gezel_id == mentor.id),
                Placement.status == PlacementStatus.OPEN,
            )
        )
        if busy:
            raise DomainError(
                ngettext(
                    "%(name)s staat nog bij %(num)s open plek. Kies daar eerst iemand anders.",
                    "%(name)s staat nog bij %(num)s open plekken. Kies daar eerst iemand anders.",
                    busy,
                    name=mentor.name,
                )
            )
    mentor.active = active
    record("mentor.activate" if active else "mentor.deactivate", mentor)
    db.session.commit()


# --- onboarding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnboardingStep:
    label: str
    done: bool
    endpoint: str
    # Another way to the same step: (label, endpoint), shown next to the first while open.
    alternative: tuple[str, str] | None = None


def onboarding_steps(
    company: Company, *, mentors: list[Mentor], places: list[Placement]
) -> list[OnboardingStep]:
    """The 'get started' list on the company's home page. A firm without its own meester (a
    one-person firm, often) may train with a meester of a network partner: that counts too."""
    from stagematch.services.eligibility import supervisors_for

    meester_step = OnboardingStep(
        _("Een meester toevoegen"), False, "companies.new_mentor",
        alternative=(_("of samen opleiden in een netwerk"), "companies.networks"),
    )  # fmt: skip
    if any(m.role == MentorRole.MEESTER and m.company_id == company.id for m in mentors):
        meester_step = OnboardingStep(_("Een meester toevoegen"), True, "companies.new_mentor")
    else:
        partners = supervisors_for(company.id, role=MentorRole.MEESTER)
        if partners:
            meester_step = OnboardingStep(
                _("Meester via je netwerk: %(name)s (%(company)s)", name=partners[0].name,
                  company=partners[0].company.name),
                True, "companies.networks",
            )  # fmt: skip
    return [
        OnboardingStep(
            _("Bedrijfsgegevens en erkenning"), bool(company.accreditations), "companies.profile"
        ),
        meester_step,
        OnboardingStep(
            _("Een plek online zetten"),
            any(p.status == PlacementStatus.OPEN for p in places),
            "companies.new_placement",
        ),
    ]


# --- what a company sees of an applicant -----------------------------------------------------


@dataclass
class ApplicantView:
    """The parts of a student a company may see. Anonymous until shortlisted: no name, photo,
    age or home address — only what matters for the place."""

    label: str
    identity_visible: bool
    qualification: str
    level: int | None
    leerweg: str | None
    skills: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    languages: str = ""
    motivation: str = ""
    profile_motivation: str = ""
    distance_km: float | None = None
    available_from: date | None = None
    name: str | None = None
    email: str | None = None
    city: str | None = None
    age: int | None = None
    has_cv: bool = False
    # Zij-instromers (issue 18): what the learner filled in themselves, and the school's EVC
    # confirmation. Shown while anonymous, like the motivation: it matters for the place.
    without_school: bool = False
    work_experience: str = ""
    work_experience_years: int | None = None
    evc: list[EvcRow] = field(default_factory=list)


@dataclass(frozen=True)
class EvcRow:
    """One work process the learner answered: their own level and, if any, the school's."""

    code: str
    title: str
    self_level: str | None
    confirmed_level: str | None
    confirmed_by: str | None  # the school's name


def applicant_view(
    application: Application, *, evc: bool = False, evc_ids: set[int] | None = None
) -> ApplicantView:
    """`evc`: also the learner's EVC answers (one query more); `evc_ids`: for a list, the students
    known to have EVC answers (the list's one query)."""
    profile = application.student
    if profile is None:  # the student deleted their account
        return ApplicantView(
            label=Phrase(N_("Verwijderd account")),
            identity_visible=False,
            qualification="–",
            level=None,
            leerweg=None,
        )
    place = application.placement
    distance = None
    if profile.lat is not None:
        distance = geo.distance_km(profile.lat, profile.lon, place.lat, place.lon)
    view = ApplicantView(
        label=Phrase(N_("Student %(id)s"), id=application.id), identity_visible=application.identity_visible,
        qualification=profile.qualification.label, level=profile.level, leerweg=profile.leerweg,
        skills=profile.skill_list, interests=[t.strip() for t in profile.interests.split(",") if t.strip()],
        languages=profile.languages, motivation=application.motivation, profile_motivation=profile.motivation,
        distance_km=distance, available_from=profile.available_from,
        without_school=adults.is_switcher(profile), work_experience=profile.work_experience or "",
        work_experience_years=profile.work_experience_years, evc=_evc_rows(profile, evc_ids) if evc or evc_ids is not None else [],
    )  # fmt: skip
    if application.identity_visible:
        view.label = profile.user.name
        view.name, view.email, view.city = profile.user.name, profile.user.email, profile.city
        view.age = age_on(profile.birth_date, today()) if profile.birth_date else None
        view.has_cv = profile.cv_filename is not None
    return view


def _evc_rows(profile, evc_ids: set[int] | None = None) -> list[EvcRow]:
    """Only the processes the learner (or their school) answered; none is asked for otherwise."""
    if evc_ids is not None:
        answered = profile.id in evc_ids
    else:
        answered = db.session.scalar(
            select(EvcClaim.id).where(EvcClaim.student_id == profile.id).limit(1)
        )
    if not answered:
        return []  # most students: skip loading the qualification's work processes
    return [
        EvcRow(
            row.process.code,
            row.process.title,
            row.self_level,
            row.confirmed_level,
            row.confirmed_school.name if row.confirmed_school else None,
        )  # fmt: skip
        for row in adults.claims_of(profile)
        if row.self_level or row.confirmed_level
    ]


EVC_LEVEL_WORDS = {"not_yet": N_("nog niet"), "some": N_("een beetje"), "good": N_("goed")}


def _evc_summary(rows: list[EvcRow]) -> str:
    """'K1-W1: goed (school: een beetje); …' for the export."""
    parts = []
    for row in rows:
        text = f"{row.code}: {_(EVC_LEVEL_WORDS[row.self_level]) if row.self_level else '–'}"
        if row.confirmed_level:
            text += (
                " (" + _("school: %(level)s", level=_(EVC_LEVEL_WORDS[row.confirmed_level])) + ")"
            )
        parts.append(text)
    return "; ".join(parts)


# --- CSV export (the import is services/place_import.py) ----------------------------------------


def export_placements(company: Company) -> str:
    places = db.session.scalars(
        select(Placement).where(Placement.company_id == company.id).order_by(Placement.id)
    ).all()
    from stagematch.services.place_import import IMPORT_COLUMNS

    # The import's columns, so an edited export can be read in again; its references make that
    # idempotent.
    header = ["id", "status"] + [c for c, _what, _needed in IMPORT_COLUMNS if c != "publiceren"]
    rows = [
        [
            p.id,
            p.status,
            p.title,
            p.leerweg,
            ";".join(q.crebo for q in p.qualifications),
            p.city,
            p.start_date.isoformat(),
            p.duration_weeks,
            p.hours_per_week,
            p.days_per_week or "",
            p.pay_per_month,
            p.wage_age or "",
            p.seats,
            p.meester.name,
            p.gezel.name if p.gezel else "",
            p.tasks,
            p.required_skills,
            p.languages,
            p.reference or "",
            _("ja") if p.for_switchers else _("nee"),
            _("ja") if p.national else _("nee"),
            p.lodging_allowance or 0,
        ]  # fmt: skip
        for p in places
    ]
    return to_csv(header, rows)


def export_applications(company: Company) -> str:
    applications = db.session.scalars(
        select(Application)
        .join(Placement)
        .where(Placement.company_id == company.id)
        .order_by(Application.id)
    ).all()
    header = [
        "id",
        "plek_id",
        "plek",
        "status",
        "ingediend",
        "student",
        "e-mail",
        "opleiding",
        "niveau",
        "afstand_km",
        "nog_geen_school",
        "werkervaring",
        "werkervaring_jaren",
        "evc",
    ]
    evc_ids = set(
        db.session.scalars(
            select(EvcClaim.student_id)
            .join(Application, Application.student_id == EvcClaim.student_id)
            .join(Placement)
            .where(Placement.company_id == company.id)
            .distinct()
        )
    )
    rows = []
    for a in applications:
        view = applicant_view(a, evc_ids=evc_ids)
        rows.append([
            a.id, a.placement_id, a.placement.title, a.status, a.created_at.date().isoformat(), view.label,
            view.email or "", view.qualification, view.level or "",
            f"{view.distance_km:.1f}" if view.distance_km is not None else "",
            _("ja") if view.without_school else "", view.work_experience,
            view.work_experience_years if view.work_experience_years is not None else "",
            _evc_summary(view.evc),
        ])  # fmt: skip
    return to_csv(header, rows)

"""A leerbedrijf's own data: profile, accreditations, colleagues, mentors, bulk import/export, and
what it may see of an applicant."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from stagematch import geo
from stagematch.csvutil import to_csv
from stagematch.extensions import db
from stagematch.importing import ImportReport, ImportRow
from stagematch.matching.text import N_, Phrase
from stagematch.models import (
    Accreditation,
    Application,
    Company,
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
from stagematch.services import DomainError
from stagematch.services.accounts import email_taken, normalise_email, password_token
from stagematch.services.audit import record
from stagematch.services.capacity import lock_mentors, minimum_capacity
from stagematch.timeutil import age_on, today


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
                "Er staat nog %(num)s open plek(ken) voor deze opleiding. Sluit die eerst.",
                "Er staan nog %(num)s open plek(ken) voor deze opleiding. Sluit die eerst.",
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


def invite_colleague(company: Company, *, name: str, email: str) -> tuple[User, str]:
    """A second user for the same company; they choose their own password through the link."""
    if email_taken(email):
        raise DomainError(_("Er is al een account met dit e-mailadres."), "email")
    user = User(email=normalise_email(email), name=name.strip(), role=Role.COMPANY, company=company)
    user.set_password(secrets.token_urlsafe(24))  # unusable until they set their own
    db.session.add(user)
    db.session.flush()
    record("user.invite", user, company=company.id)
    db.session.commit()
    return user, url_for("auth.set_password", token=password_token(user), _external=True)


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
    creating = mentor is None
    if creating:
        mentor = Mentor(company=company)
        db.session.add(mentor)
    mentor.role = role
    mentor.name = data["name"].strip()
    mentor.function = data.get("function", "").strip()
    mentor.email = data.get("email")
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
                _(
                    "%(name)s staat nog bij %(count)s open plek(ken). Kies daar eerst iemand anders.",
                    name=mentor.name,
                    count=busy,
                )
            )
    mentor.active = active
    record("mentor.activate" if active else "mentor.deactivate", mentor)
    db.session.commit()


# --- onboarding ------------------------------------------------------------------------------


def onboarding_steps(
    company: Company, *, mentors: list[Mentor], places: list[Placement]
) -> list[tuple[str, bool, str]]:
    """(step, done, endpoint) for the 'get started' list on the company's home page."""
    return [
        (_("Bedrijfsgegevens en erkenning"), bool(company.accreditations), "companies.profile"),
        (
            _("Een meester toevoegen"),
            any(m.role == MentorRole.MEESTER for m in mentors),
            "companies.new_mentor",
        ),
        (
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


def applicant_view(application: Application) -> ApplicantView:
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
    )  # fmt: skip
    if application.identity_visible:
        view.label = profile.user.name
        view.name, view.email, view.city = profile.user.name, profile.user.email, profile.city
        view.age = age_on(profile.birth_date, today()) if profile.birth_date else None
        view.has_cv = profile.cv_filename is not None
    return view


# --- CSV import and export -------------------------------------------------------------------

IMPORT_COLUMNS = [
    ("titel", _l("Titel van de plek"), True),
    ("leerweg", _l("BOL of BBL"), True),
    ("crebo", _l("Crebo-nummer(s), meer dan één gescheiden door ;"), True),
    ("plaats", _l("Plaats"), True),
    ("startdatum", _l("Startdatum, 2027-02-01 of 01-02-2027"), True),
    ("weken", _l("Duur in weken"), True),
    ("uren_per_week", _l("Uren per week"), True),
    ("dagen_per_week", _l("Dagen per week bij jou (BBL)"), False),
    ("vergoeding", _l("Vergoeding of loon per maand in euro"), True),
    ("loon_leeftijd", _l("Leeftijd waarvoor het loon geldt (BBL, 15-21)"), False),
    ("plaatsen", _l("Aantal plaatsen"), True),
    ("meester", _l("Naam of e-mailadres van de meester"), True),
    ("gezel", _l("Naam of e-mailadres van de gezel"), False),
    ("taken", _l("Wat gaat de leerling doen en leren"), True),
    ("vaardigheden", _l("Wat moet de leerling al kunnen (komma's)"), False),
    ("talen", _l("Talen"), False),
    ("publiceren", _l("ja = meteen online, anders concept"), False),
]
FIELD_OF_COLUMN = {
    "titel": "title", "leerweg": "leerweg", "crebo": "qualifications", "plaats": "town",
    "startdatum": "start_date", "weken": "duration_weeks", "uren_per_week": "hours_per_week",
    "dagen_per_week": "days_per_week", "vergoeding": "pay_per_month", "loon_leeftijd": "wage_age",
    "plaatsen": "seats", "meester": "meester", "gezel": "gezel", "taken": "tasks",
    "vaardigheden": "required_skills", "talen": "languages",
}  # fmt: skip
COLUMN_OF_FIELD = {v: k for k, v in FIELD_OF_COLUMN.items()}


def _parse_date(text: str) -> str:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text  # the form's DateField reports it


def _find_mentor(company: Company, text: str, role: MentorRole) -> Mentor | None:
    text = text.strip().lower()
    if not text:
        return None
    for mentor in company.mentors:
        if (
            mentor.role == role
            and mentor.active
            and text in {mentor.name.lower(), (mentor.email or "").lower()}
        ):
            return mentor
    return None


def import_placements(company: Company, raw: bytes) -> ImportReport:
    """Each row is validated like the place form and saved in its own transaction: a refused row
    writes nothing, accepted rows stay. The report says per row what happened and why."""
    from stagematch.companies.forms import PlacementForm
    from stagematch.forms import choices
    from stagematch.services.placements import PublishRefused, save_placement

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            return ImportReport(
                [], _("Dit bestand kunnen we niet lezen. Sla het op als CSV (UTF-8).")
            )
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    required = [c for c, _what, needed in IMPORT_COLUMNS if needed]
    missing = [c for c in required if c not in headers]
    if missing:
        return ImportReport(
            [],
            _(
                "De kolom(men) %(columns)s ontbreken. Gebruik de kolommen uit het voorbeeld.",
                columns=", ".join(missing),
            ),
        )
    crebo_ids = dict(db.session.execute(select(Qualification.crebo, Qualification.id)).all())
    accredited = {q.id for q in current_accreditations(company)}
    report = ImportReport([])
    for number, raw_row in enumerate(reader, start=2):
        if number > 2001:
            report.rows.append(
                ImportRow(number, False, _("Meer dan 2.000 regels; de rest is niet gelezen."))
            )
            break
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw_row.items() if k}
        if not any(row.values()):
            continue
        problems: list[str] = []
        quals = []
        for crebo in filter(
            None, (c.strip() for c in row.get("crebo", "").replace(",", ";").split(";"))
        ):
            if crebo not in crebo_ids:
                problems.append(_("crebo %(crebo)s bestaat niet", crebo=crebo))
            elif crebo_ids[crebo] not in accredited:
                problems.append(
                    _("je bedrijf heeft geen geldige erkenning voor crebo %(crebo)s", crebo=crebo)
                )
            else:
                quals.append(crebo_ids[crebo])
        meester = _find_mentor(company, row.get("meester", ""), MentorRole.MEESTER)
        if meester is None:
            problems.append(
                _(
                    "meester '%(name)s' niet gevonden bij je begeleiders",
                    name=row.get("meester", ""),
                )
            )
        gezel = _find_mentor(company, row.get("gezel", ""), MentorRole.GEZEL)
        if row.get("gezel") and gezel is None:
            problems.append(
                _("gezel '%(name)s' niet gevonden bij je begeleiders", name=row["gezel"])
            )
        formdata = MultiDict(
            [
                (FIELD_OF_COLUMN[c], row.get(c, ""))
                for c in FIELD_OF_COLUMN
                if c not in ("crebo", "meester", "gezel", "startdatum")
            ]
            + [("start_date", _parse_date(row.get("startdatum", "")))]
            + [("qualifications", str(q)) for q in quals]
            + [
                ("meester", str(meester.id if meester else 0)),
                ("gezel", str(gezel.id if gezel else 0)),
            ]
        )
        form = PlacementForm(formdata=formdata, meta={"csrf": False})
        form.qualifications.choices = choices((q, str(q)) for q in accredited)
        form.meester.choices = choices([(0, "-")] + [(m.id, m.name) for m in company.mentors])
        form.gezel.choices = choices([(0, "-")] + [(m.id, m.name) for m in company.mentors])
        form.validate()
        for name, errors in form.errors.items():
            if name in ("qualifications", "meester") and problems:
                continue  # already explained above
            problems += [f"{COLUMN_OF_FIELD.get(name, name)}: {e}" for e in errors]
        if problems:
            report.rows.append(ImportRow(number, False, "; ".join(problems)))
            continue
        try:
            placement = save_placement(
                company=company, data=form.to_data(),
                publish=row.get("publiceren", "").lower() in ("ja", "j", "yes", "1", "true"),
            )  # fmt: skip
        except PublishRefused as error:
            db.session.rollback()
            report.rows.append(
                ImportRow(number, False, " ".join(p.message for p in error.problems))
            )
            continue
        report.rows.append(
            ImportRow(
                number,
                True,
                _("online") if placement.status == PlacementStatus.OPEN else _("concept"),
                placement.id,
            )
        )
    if not report.rows:
        report.error = _("Het bestand heeft geen regels met plekken.")
    return report


def export_placements(company: Company) -> str:
    places = db.session.scalars(
        select(Placement).where(Placement.company_id == company.id).order_by(Placement.id)
    ).all()
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
    ]
    rows = []
    for a in applications:
        view = applicant_view(a)
        rows.append([
            a.id, a.placement_id, a.placement.title, a.status, a.created_at.date().isoformat(), view.label,
            view.email or "", view.qualification, view.level or "",
            f"{view.distance_km:.1f}" if view.distance_km is not None else "",
        ])  # fmt: skip
    return to_csv(header, rows)

"""A student's own data: profile, CV, discrimination reports, saved searches."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    Application,
    DiscriminationReport,
    Placement,
    Qualification,
    SavedSearch,
    School,
    StudentProfile,
    User,
)
from stagematch.models.enums import Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import utcnow

CV_MAX_BYTES = 2 * 1024 * 1024


@dataclass
class ProfileData:
    school: School | None
    qualification: Qualification
    leerweg: str
    town: geo.Town
    max_travel_km: int
    available_from: date | None
    skills: str
    interests: str
    languages: str
    bbl_days: int | None
    motivation: str
    accessibility_needs: str
    discoverable: bool


def _tags(text: str) -> str:
    """Normalise a comma list: trimmed, no empties, no duplicates (case-insensitive), order kept."""
    seen, out = set(), []
    for tag in text.split(","):
        tag = " ".join(tag.split())[:40]
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return ", ".join(out[:20])


def update_profile(profile: StudentProfile, data: ProfileData) -> None:
    if not data.qualification.offers(data.leerweg):
        raise DomainError(
            _(
                "%(qualification)s kun je niet in de %(leerweg)s volgen.",
                qualification=data.qualification.name,
                leerweg=data.leerweg,
            ),
            "leerweg",
        )
    if data.school is None and profile.school_id is not None:
        raise DomainError(_("Kies je school."), "school")
    first_school = profile.school_id is None and data.school is not None
    profile.school = data.school
    profile.user.school = data.school
    profile.qualification = data.qualification
    profile.level = data.qualification.level
    profile.leerweg = data.leerweg
    profile.city, profile.lat, profile.lon = data.town.name, data.town.lat, data.town.lon
    profile.max_travel_km = data.max_travel_km
    profile.available_from = data.available_from
    profile.skills = _tags(data.skills)
    profile.interests = _tags(data.interests)
    profile.languages = _tags(data.languages) or "Nederlands"
    profile.bbl_days = data.bbl_days
    profile.motivation = data.motivation.strip()
    profile.accessibility_needs = data.accessibility_needs.strip()
    profile.discoverable = data.discoverable
    record("student.update", profile)
    versions = []
    if first_school:  # a zij-instromer chose a school: waiting placements get it (issue 18)
        from stagematch.services.adults import attach_waiting

        db.session.flush()
        versions = attach_waiting(profile)
        record("student.choose_school", profile, school=data.school.id)
    db.session.commit()
    if versions:
        from stagematch.services.agreements import _tell_turn

        for version in versions:
            _tell_turn(version)


def cv_folder() -> Path:
    folder = Path(current_app.instance_path) / "cv"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def looks_like_pdf(head: bytes) -> bool:
    """A real PDF starts with '%PDF-' (a renamed .exe or image does not)."""
    return head.lstrip(b"\r\n\t \xef\xbb\xbf")[:5] == b"%PDF-"


def store_cv(profile: StudentProfile, stream) -> None:
    """Save an uploaded CV outside the web root under a random name; reject anything that is not
    a PDF of at most 2 MB. The old file is removed only after the new one is stored."""
    data = stream.read(CV_MAX_BYTES + 1)
    if len(data) > CV_MAX_BYTES:
        raise DomainError(
            _("Je cv is groter dan 2 MB. Maak het bestand kleiner (bijvoorbeeld zonder foto's)."),
            "cv",
        )
    if not data:
        raise DomainError(_("Het bestand is leeg."), "cv")
    if not looks_like_pdf(data[:1024]):
        raise DomainError(
            _("Dit is geen pdf-bestand. Sla je cv op als pdf en probeer het opnieuw."), "cv"
        )
    name = f"{secrets.token_hex(16)}.pdf"
    (cv_folder() / name).write_bytes(data)
    old = profile.cv_filename
    profile.cv_filename = name
    profile.cv_uploaded_at = utcnow()
    record("student.cv_upload", profile)
    db.session.commit()
    if old:
        (cv_folder() / old).unlink(missing_ok=True)


def delete_cv(profile: StudentProfile) -> None:
    old = profile.cv_filename
    profile.cv_filename = None
    profile.cv_uploaded_at = None
    record("student.cv_delete", profile)
    db.session.commit()
    if old:
        (cv_folder() / old).unlink(missing_ok=True)


def may_read_cv(user: User, profile: StudentProfile) -> bool:
    """The student, and companies the student applied to once the company may see who it is."""
    if user.role == Role.STUDENT:
        return user.id == profile.user_id
    if user.role == Role.COMPANY:
        applications = db.session.scalars(
            select(Application)
            .join(Placement)
            .where(Application.student_id == profile.id, Placement.company_id == user.company_id)
        )
        return any(a.identity_visible for a in applications)
    return False


def report_discrimination(application: Application, description: str) -> DiscriminationReport:
    if application.student.school_id is None:  # a zij-instromer without a school yet
        raise DomainError(
            _("Je hebt nog geen school, dus er is nog geen stagecoördinator die je melding leest. "
              "Kies eerst een school, of meld het bij het antidiscriminatiebureau in je gemeente "
              "(discriminatie.nl).")
        )  # fmt: skip
    report = DiscriminationReport(
        application_id=application.id, company_id=application.placement.company_id,
        school_id=application.student.school_id, student_id=application.student_id,
        description=description.strip(),
    )  # fmt: skip
    db.session.add(report)
    db.session.flush()
    record("discrimination.report", report, company=report.company_id)
    db.session.commit()
    # The report becomes a flag in the coordinators' work queue now, and they are told.
    from stagematch.services.flags import refresh_flags

    refresh_flags(application.student.school)
    return report


def coordinators_of(school_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.school_id == school_id, User.role == Role.COORDINATOR, User.is_active_account
            )
        )
    )


def save_search(user: User, *, name: str, query_string: str) -> SavedSearch:
    count = len(
        list(db.session.scalars(select(SavedSearch.id).where(SavedSearch.user_id == user.id)))
    )
    if count >= 20:
        raise DomainError(_("Je hebt al 20 zoekopdrachten bewaard. Verwijder er eerst een."))
    saved = SavedSearch(
        user=user, name=name.strip(), query_string=query_string[:2000], last_alerted_at=utcnow()
    )
    db.session.add(saved)
    db.session.commit()
    return saved

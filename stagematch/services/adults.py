"""Adults and zij-instromers (issue 18, item 2): a learner without a school yet, their work
experience and what they can already do (EVC), the school's confirmation, and choosing a school
after being hired ("eerst een werkgever, dan een school").

A learner without a school has no school party: no coordinator sees them, no flag, BRON row,
monitoring group or school mail concerns them, and an agreement of a placement they were hired
for waits until a school is chosen (`choose_school` then draws up version 1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from stagematch import geo
from stagematch.extensions import db
from stagematch.models import (
    EvcClaim,
    EvcLevel,
    Internship,
    Qualification,
    School,
    StudentProfile,
    User,
    WorkProcess,
)
from stagematch.models.enums import InternshipStatus, Role
from stagematch.services import DomainError
from stagematch.services.audit import record
from stagematch.timeutil import utcnow

NOTE_MAX = 1000
LEVELS = tuple(level.value for level in EvcLevel)


def processes_for(qualification: Qualification) -> list[WorkProcess]:
    """The work processes of the qualification's dossier; where the dossier has none shipped, the
    generic list the final assessment uses (the same source, `services.assessments`)."""
    from stagematch.reference import GENERIC_DOSSIER
    from stagematch.services.assessments import _ensure

    return _ensure(qualification.dossier_crebo) or _ensure(GENERIC_DOSSIER)


@dataclass(frozen=True)
class ClaimRow:
    process: WorkProcess
    self_level: str | None
    confirmed_level: str | None
    confirmed_note: str
    confirmed_school: School | None
    confirmed_at: object


def claims_of(profile: StudentProfile) -> list[ClaimRow]:
    """Every work process of the learner's qualification, with what they said and what a school
    confirmed (None where nothing yet)."""
    processes = processes_for(profile.qualification)
    claims = {
        c.work_process_id: c
        for c in db.session.scalars(select(EvcClaim).where(EvcClaim.student_id == profile.id))
    }
    rows = []
    for process in processes:
        claim = claims.get(process.id)
        rows.append(
            ClaimRow(
                process,
                claim.self_level if claim else None,
                claim.confirmed_level if claim else None,
                claim.confirmed_note if claim else "",
                claim.confirmed_school if claim else None,
                claim.confirmed_at if claim else None,
            )
        )
    return rows


def _checked_levels(levels: Mapping[int, str], allowed_ids: set[int]) -> dict[int, str]:
    out = {}
    for process_id, level in levels.items():
        if process_id not in allowed_ids:
            raise DomainError(_("Dit werkproces hoort niet bij je opleiding."))
        if level not in LEVELS:
            raise DomainError(_("Kies per werkproces: nog niet, een beetje of goed."))
        out[process_id] = level
    return out


def save_self_assessment(
    profile: StudentProfile,
    *,
    levels: Mapping[int, str],
    work_experience: str | None = None,
    work_experience_years: int | None = None,
    by: User,
) -> int:
    """The learner's own answers per work process ("nog niet / een beetje / goed"), and their
    work experience. A process a school already confirmed is no longer the learner's to change.
    Returns how many answers changed."""
    allowed = {p.id for p in processes_for(profile.qualification)}
    levels = _checked_levels(levels, allowed)
    if work_experience_years is not None and not 0 <= work_experience_years <= 60:
        raise DomainError(_("Vul een aantal jaren tussen 0 en 60 in."), "work_experience_years")
    existing = {
        c.work_process_id: c
        for c in db.session.scalars(
            select(EvcClaim).where(EvcClaim.student_id == profile.id).with_for_update()
        )
    }
    changed = {}
    for process_id, level in levels.items():
        claim = existing.get(process_id)
        if claim is None:
            db.session.add(EvcClaim(student_id=profile.id, work_process_id=process_id,
                                    self_level=level))  # fmt: skip
            changed[process_id] = level
        elif claim.self_level != level:
            if claim.confirmed_level is not None:
                db.session.rollback()
                raise DomainError(
                    _("Dit werkproces is al bevestigd door je school; vraag je school om het aan "
                      "te passen.")
                )  # fmt: skip
            claim.self_level = level
            changed[process_id] = level
    if work_experience is not None:
        profile.work_experience = work_experience.strip()[:4000]
        profile.work_experience_years = work_experience_years
    record("evc.self_assess", profile, actor=by, changed=changed)
    db.session.commit()
    return len(changed)


def confirm(
    profile: StudentProfile,
    *,
    levels: Mapping[int, str],
    notes: Mapping[int, str] | None = None,
    by: User,
) -> int:
    """A coordinator of the learner's school confirms (or adjusts) what the learner said, per
    work process. Audited with the level before and after. Returns how many were recorded."""
    if not by.has_role(Role.COORDINATOR) or profile.school_id is None:
        raise DomainError(_("Alleen de school van deze student kan dit bevestigen."))
    if by.school_id != profile.school_id:
        raise DomainError(_("Alleen de school van deze student kan dit bevestigen."))
    allowed = {p.id for p in processes_for(profile.qualification)}
    levels = _checked_levels(levels, allowed)
    notes = {k: (v or "").strip() for k, v in (notes or {}).items()}
    if any(len(v) > NOTE_MAX for v in notes.values()):
        raise DomainError(_("Een toelichting is hooguit %(n)s tekens.", n=NOTE_MAX))
    existing = {
        c.work_process_id: c
        for c in db.session.scalars(
            select(EvcClaim).where(EvcClaim.student_id == profile.id).with_for_update()
        )
    }
    now, changes = utcnow(), []
    for process_id, level in levels.items():
        claim = existing.get(process_id)
        if claim is None:  # the school records a process the learner left open
            claim = EvcClaim(student_id=profile.id, work_process_id=process_id,
                             self_level=EvcLevel.NOT_YET)  # fmt: skip
            db.session.add(claim)
        note = notes.get(process_id, claim.confirmed_note or "")
        if claim.confirmed_level == level and claim.confirmed_note == note:
            continue
        changes.append({"process": process_id, "self": claim.self_level,
                        "before": claim.confirmed_level, "after": level})  # fmt: skip
        claim.confirmed_level, claim.confirmed_note = level, note
        claim.confirmed_school_id, claim.confirmed_by_id, claim.confirmed_at = (
            profile.school_id, by.id, now,
        )  # fmt: skip
    record("evc.confirm", profile, actor=by, school=profile.school_id, changes=changes)
    db.session.commit()
    return len(changes)


# --- choosing a school ------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolOption:
    school: School
    distance_km: float | None


def school_options(profile: StudentProfile) -> list[SchoolOption]:
    """Schools the learner can choose for the qualification's BBL: every school of the register
    (`data/schools.csv` has no programme list per school, so none is left out), nearest to the
    learner's town first. Empty when the qualification has no BBL."""
    if not profile.qualification.offers("BBL"):
        return []
    schools = db.session.scalars(select(School).order_by(School.name)).all()
    options = []
    for school in schools:
        distance = None
        if None not in (profile.lat, profile.lon, school.lat, school.lon):
            distance = round(geo.distance_km(profile.lat, profile.lon, school.lat, school.lon), 1)
        options.append(SchoolOption(school, distance))
    options.sort(key=lambda o: (o.distance_km is None, o.distance_km or 0, o.school.name))
    return options


def choose_school(profile: StudentProfile, school: School | None, *, by: User) -> list[int]:
    """The learner (with the employer) chooses a school. From now on the school is a party: its
    coordinators see the learner, and every active placement without a school gets this school and
    its agreement (version 1, which then waits for the student's signature first). Returns the
    ids of those placements. Changing an existing school is the profile's business, not this one's."""
    from stagematch.services import agreements

    if school is None:
        raise DomainError(_("Kies een school."), "school")
    db.session.execute(
        select(StudentProfile.id).where(StudentProfile.id == profile.id).with_for_update()
    )
    db.session.refresh(profile)
    if profile.school_id is not None:
        if profile.school_id == school.id:
            return []
        raise DomainError(_("Je hebt al een school gekozen. Wijzig je school via je profiel."))
    profile.school = school
    profile.user.school = school
    waiting = list(
        db.session.scalars(
            select(Internship.id).where(
                Internship.student_id == profile.id, Internship.school_id.is_(None)
            )
        )
    )
    versions = attach_waiting(profile, by=by)
    record("student.choose_school", profile, actor=by, school=school.id,
           internships=waiting)  # fmt: skip
    db.session.commit()
    for version in versions:
        agreements._tell_turn(version)
    return waiting


def attach_waiting(profile: StudentProfile, *, by: User | None = None) -> list:
    """After the profile form set a first school: the placements that waited for one get it,
    with their agreement (part of the caller's transaction; returns versions to announce)."""
    from stagematch.services import agreements

    versions = []
    for internship in db.session.scalars(
        select(Internship).where(
            Internship.student_id == profile.id, Internship.school_id.is_(None)
        )
    ):
        internship.school_id = profile.school_id
        db.session.flush()
        db.session.refresh(internship)
        if internship.status == InternshipStatus.ACTIVE and not internship.agreement_versions:
            versions.append(agreements.create_first_version(internship, by=by))
    return versions


def is_switcher(profile: StudentProfile | None) -> bool:
    """A learner without a school yet (a zij-instromer until they choose one)."""
    return profile is not None and profile.school_id is None

"""A school's contact persons for companies, "wie moet ik waarvoor hebben" (issue 18, item 6).

A coordinator keeps the list (per qualification, per sector = opleidingsdomein, or general when
both are empty); companies see the most specific contact for each of their applicants and
learners: qualification, then the qualification's sector, then the general contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from stagematch.extensions import db
from stagematch.models import (
    Application,
    Internship,
    Placement,
    Qualification,
    School,
    SchoolContact,
    StudentProfile,
    User,
)
from stagematch.models.enums import InternshipStatus
from stagematch.reference import sectors
from stagematch.services import DomainError
from stagematch.services.applications import OPEN_STATUSES
from stagematch.services.audit import record

PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,28}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class ContactData:
    name: str
    email: str
    function: str = ""
    phone: str = ""
    sector: str = ""
    qualification: Qualification | None = None


def contacts_of(school: School) -> list[SchoolContact]:
    """The school's list: general first, then by sector and qualification, then name."""
    contacts = db.session.scalars(
        select(SchoolContact)
        .where(SchoolContact.school_id == school.id)
        .options(selectinload(SchoolContact.qualification))
    ).all()
    return sorted(
        contacts,
        key=lambda c: (
            bool(c.sector or c.qualification_id),
            c.sector or (c.qualification.domain_name if c.qualification else ""),
            c.qualification.name if c.qualification else "",
            c.name,
        ),
    )


def get_for(school: School, contact_id: int) -> SchoolContact | None:
    """The school's own contact; None for another school's (the page then says 404)."""
    contact = db.session.get(SchoolContact, contact_id)
    return contact if contact is not None and contact.school_id == school.id else None


def _check(data: ContactData) -> None:
    """Raise the first problem; the form checks the same, this guards other callers."""
    if not data.name.strip():
        raise DomainError(_("Vul een naam in."), "name")
    if not EMAIL.match(data.email.strip()):
        raise DomainError(_("Vul een geldig e-mailadres in."), "email")
    if data.phone.strip() and not PHONE.match(data.phone.strip()):
        raise DomainError(_("Vul een telefoonnummer in met alleen cijfers (en + of -)."), "phone")
    if data.sector and data.sector not in sectors():
        raise DomainError(_("Kies een branche uit de lijst."), "sector")
    if data.sector and data.qualification is not None:
        raise DomainError(_("Kies een branche of een opleiding, niet allebei."), "sector")


def _apply(contact: SchoolContact, data: ContactData) -> None:
    contact.name = data.name.strip()
    contact.email = data.email.strip()
    contact.function = data.function.strip()
    contact.phone = data.phone.strip()
    contact.sector = data.sector
    contact.qualification = data.qualification


def _detail(contact: SchoolContact) -> dict:
    return {
        "name": contact.name, "sector": contact.sector,
        "qualification": contact.qualification.crebo if contact.qualification else None,
    }  # fmt: skip


def create(*, school: School, data: ContactData, by: User) -> SchoolContact:
    _check(data)
    contact = SchoolContact(school=school)
    _apply(contact, data)
    db.session.add(contact)
    db.session.flush()
    record("school_contact.create", contact, actor=by, **_detail(contact))
    db.session.commit()
    return contact


def update(*, contact: SchoolContact, data: ContactData, by: User) -> SchoolContact:
    _check(data)
    _apply(contact, data)
    record("school_contact.update", contact, actor=by, **_detail(contact))
    db.session.commit()
    return contact


def delete(*, contact: SchoolContact, by: User) -> None:
    record("school_contact.delete", contact, actor=by, **_detail(contact))
    db.session.delete(contact)
    db.session.commit()


def contacts_for(school: School | None, qualification: Qualification | None) -> list[SchoolContact]:
    """The most specific contacts of the school for the qualification: those for the
    qualification, else those for its sector, else the general ones (possibly none)."""
    if school is None:
        return []
    contacts = db.session.scalars(
        select(SchoolContact)
        .where(SchoolContact.school_id == school.id)
        .order_by(SchoolContact.name, SchoolContact.id)
    ).all()
    tiers = []
    if qualification is not None:
        tiers.append([c for c in contacts if c.qualification_id == qualification.id])
        tiers.append(
            [
                c
                for c in contacts
                if c.qualification_id is None and c.sector == qualification.domain_name
            ]
        )
    tiers.append([c for c in contacts if c.qualification_id is None and not c.sector])
    return next((tier for tier in tiers if tier), [])


@dataclass
class CompanyContact:
    school: School
    qualification: Qualification | None
    contacts: list[SchoolContact]


def for_student(profile: StudentProfile | None) -> CompanyContact | None:
    """The contact a company needs for this applicant or learner (None: no school)."""
    if profile is None or profile.school is None:
        return None
    return CompanyContact(
        profile.school, profile.qualification, contacts_for(profile.school, profile.qualification)
    )


def for_company(company_id: int, *, limit: int = 10) -> list[CompanyContact]:
    """The contacts of the schools of the company's current applicants (open applications) and
    learners (coming or running internships), one entry per school and qualification, only where
    the school has published contacts."""
    applicants = (
        select(Application.student_id)
        .join(Placement)
        .where(Placement.company_id == company_id, Application.status.in_(OPEN_STATUSES))
    )
    learners = select(Internship.student_id).join(Placement).where(
        Placement.company_id == company_id, Internship.status == InternshipStatus.ACTIVE,
        Internship.student_id.is_not(None),
    )  # fmt: skip
    pairs = db.session.execute(
        select(StudentProfile.school_id, StudentProfile.qualification_id)
        .where(StudentProfile.id.in_(applicants.union(learners)))
        .distinct()
    ).all()
    result = []
    for school_id, qualification_id in sorted(pairs, key=lambda p: (p[0] or 0, p[1] or 0)):
        if school_id is None:
            continue
        school = db.session.get(School, school_id)
        qualification = (
            db.session.get(Qualification, qualification_id) if qualification_id else None
        )
        contacts = contacts_for(school, qualification)
        if contacts:
            result.append(CompanyContact(school, qualification, contacts))
        if len(result) >= limit:
            break
    return result

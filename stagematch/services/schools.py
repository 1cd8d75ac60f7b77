"""The school's own settings that a coordinator keeps: for now its BRIN code, which BRON exports
need and the shipped register does not hold yet (stagematch/data/schools.md)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from stagematch.extensions import db
from stagematch.models import School, User
from stagematch.services import DomainError
from stagematch.services.audit import record

# DUO's BRIN code of an institution: two digits and two letters (e.g. 25LH).
BRIN = re.compile(r"^[0-9]{2}[A-Z]{2}$")


def normalise_brin(text: str) -> str:
    return (text or "").strip().upper()


def set_brin(school: School, brin: str, *, by: User) -> None:
    brin = normalise_brin(brin)
    if not BRIN.match(brin):
        raise DomainError(_("Een BRIN-nummer is twee cijfers en twee letters, bijvoorbeeld 25LH."))
    taken = db.session.scalar(
        select(School.name).where(School.brin == brin, School.id != school.id)
    )
    if taken:
        raise DomainError(_("Dit BRIN-nummer wordt al gebruikt door %(school)s.", school=taken))
    before = school.brin
    school.brin = brin
    record("school.brin", school, actor=by, before=before, after=brin)
    db.session.commit()

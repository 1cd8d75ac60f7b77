"""The demo covers the whole country (issue 18, items 3 and 7): schools from the register,
students and companies outside Overijssel too, and national places for specialist crafts."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from stagematch import geo
from stagematch.demo import generate
from stagematch.extensions import db
from stagematch.models import Company, Placement, School, StudentProfile
from stagematch.models.enums import PlacementStatus
from stagematch.reference import school_rows


def test_demo_spreads_over_the_country_with_national_places(app):
    generate(students=400, companies=90, seed=14)
    db.session.expire_all()
    assert len(list(db.session.scalars(select(School)))) == len(school_rows())
    provinces = Counter(geo.find_town(c.city).province for c in db.session.scalars(select(Company)))
    assert len(provinces) >= 8, provinces
    students = Counter(
        geo.find_town(s.city).province for s in db.session.scalars(select(StudentProfile))
    )
    assert len(students) >= 8, students
    assert students.most_common(1)[0][0] == "Overijssel"  # still the densest province
    national = list(db.session.scalars(select(Placement).where(Placement.national.is_(True))))
    assert 3 <= len(national) <= 20
    assert all(p.status == PlacementStatus.OPEN and p.lodging_allowance > 0 for p in national)
    plain = db.session.scalars(select(Placement).where(Placement.national.is_(False))).first()
    assert plain.lodging_allowance == 0


def test_demo_stays_deterministic(app):
    first = generate(students=120, companies=30, seed=5).counts
    national = sorted(
        (p.title, p.lodging_allowance)
        for p in db.session.scalars(select(Placement).where(Placement.national.is_(True)))
    )
    assert national and first["plekken nu (open, concept, gesloten)"] > 0

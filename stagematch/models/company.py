"""Leerbedrijven, their SBB accreditations per crebo, and their mentors (meesters and gezellen)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.models.enums import (
    AccreditationCheckSource,
    AccreditationVerification,
    MentorRole,
    SizeBand,
    check_in,
)
from stagematch.timeutil import utcnow


class Company(db.Model):
    __table_args__ = (
        CheckConstraint("length(kvk_number) = 8", name="kvk_8_digits"),
        CheckConstraint(check_in("size_band", SizeBand), name="size_band_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), index=True)
    kvk_number: Mapped[str] = mapped_column(String(8), unique=True)
    sbb_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    city: Mapped[str] = mapped_column(String(80))
    # Street, number and postcode of the workplace, shown to the company's own learners on their
    # placement page and in the agreement (issue 17); never on public pages.
    address: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float]
    lon: Mapped[float]
    sector: Mapped[str] = mapped_column(String(60), index=True)
    size_band: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by an administrator: the company's places are hidden and its users cannot log in.
    deactivated_at: Mapped[datetime | None]

    users: WriteOnlyMapped[User] = relationship(back_populates="company")  # noqa: F821
    accreditations: Mapped[list[Accreditation]] = relationship(
        back_populates="company", cascade="all, delete-orphan"
    )
    mentors: Mapped[list[Mentor]] = relationship(
        back_populates="company", cascade="all, delete-orphan"
    )

    def accredited_for(self, qualification_id: int, on: date) -> bool:
        return any(
            a.qualification_id == qualification_id and a.is_current(on) for a in self.accreditations
        )

    def __repr__(self) -> str:
        return f"<Company {self.name}>"


class Accreditation(db.Model):
    """SBB's erkenning of a leerbedrijf for one qualification, for a period."""

    __table_args__ = (
        UniqueConstraint(
            "company_id", "qualification_id", "valid_from", name="uq_accreditation_period"
        ),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        CheckConstraint(
            check_in("verification", AccreditationVerification), name="verification_values"
        ),
        CheckConstraint(
            "check_source IS NULL OR " + check_in("check_source", AccreditationCheckSource),
            name="check_source_values",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualification.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # None: open-ended until SBB withdraws it
    withdrawn_at: Mapped[date | None]
    # Declared by the company until checked against SBB's register or by a coordinator; a
    # rejected accreditation counts as none.
    verification: Mapped[str] = mapped_column(
        String(10), default=AccreditationVerification.DECLARED, server_default="declared"
    )
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None]
    check_source: Mapped[str | None] = mapped_column(String(20))
    check_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    company: Mapped[Company] = relationship(back_populates="accreditations")
    qualification: Mapped[Qualification] = relationship()  # noqa: F821
    checked_by: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def verified(self) -> bool:
        return self.verification == AccreditationVerification.VERIFIED

    def is_current(self, on: date) -> bool:
        """Valid on `on`: within its period, not withdrawn, not rejected on checking. The SQL
        form of this rule is `services.eligibility.accreditation_current_clause`."""
        if self.verification == AccreditationVerification.REJECTED:
            return False
        if self.withdrawn_at is not None and self.withdrawn_at <= on:
            return False
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


class Mentor(db.Model):
    """A workplace trainer. A meester carries the responsibility and the capacity limit;
    a gezel (journeyman) works with the learner day to day under a meester."""

    __table_args__ = (
        CheckConstraint(check_in("role", MentorRole), name="role_values"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("hours_per_week >= 0", name="hours_non_negative"),
        CheckConstraint("years_experience >= 0", name="experience_non_negative"),
        CheckConstraint("role = 'gezel' OR meester_id IS NULL", name="only_gezel_has_meester"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    function: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    # Optional; shown with the email on the placement page so the learner can call.
    phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    years_experience: Mapped[int] = mapped_column(default=0)
    trained: Mapped[bool] = mapped_column(default=False)  # praktijkopleider course done
    trained_on: Mapped[date | None]
    meestertitel: Mapped[bool] = mapped_column(default=False)
    hours_per_week: Mapped[float] = mapped_column(default=0)  # time set aside for supervision
    capacity: Mapped[int] = mapped_column(default=1)  # learners at once
    meester_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Company] = relationship(back_populates="mentors")
    meester: Mapped[Mentor | None] = relationship(remote_side=[id], back_populates="gezellen")
    gezellen: Mapped[list[Mentor]] = relationship(back_populates="meester")

    @property
    def is_meester(self) -> bool:
        return self.role == MentorRole.MEESTER

    def __repr__(self) -> str:
        return f"<Mentor {self.role} {self.name}>"

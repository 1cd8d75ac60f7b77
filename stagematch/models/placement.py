"""Places a leerbedrijf offers: a stage (BOL) or a BBL job, for one or more crebo codes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.models.enums import Leerweg, PlacementStatus, check_in
from stagematch.timeutil import utcnow

placement_qualification = Table(
    "placement_qualification",
    db.metadata,
    Column("placement_id", ForeignKey("placement.id", ondelete="CASCADE"), primary_key=True),
    Column("qualification_id", ForeignKey("qualification.id"), primary_key=True, index=True),
)


class Placement(db.Model):
    __table_args__ = (
        CheckConstraint(check_in("leerweg", Leerweg), name="leerweg_values"),
        CheckConstraint(check_in("status", PlacementStatus), name="status_values"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        CheckConstraint("seats >= 0", name="seats_non_negative"),
        CheckConstraint("pay_per_month >= 0", name="pay_non_negative"),
        CheckConstraint("duration_weeks > 0", name="duration_positive"),
        CheckConstraint("hours_per_week > 0 AND hours_per_week <= 60", name="hours_range"),
        CheckConstraint(
            "days_per_week IS NULL OR (days_per_week >= 1 AND days_per_week <= 5)",
            name="days_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    tasks: Mapped[str] = mapped_column(Text, default="")  # what the learner will actually do
    leerweg: Mapped[str] = mapped_column(String(3), index=True)
    level: Mapped[int] = mapped_column(index=True)
    city: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float]
    lon: Mapped[float]
    start_date: Mapped[date] = mapped_column(index=True)
    duration_weeks: Mapped[int]
    hours_per_week: Mapped[float]
    days_per_week: Mapped[int | None]  # days at work; BBL only
    # € per month: the stage allowance (BOL, 0 = none) or the wage (BBL).
    pay_per_month: Mapped[int] = mapped_column(default=0)
    wage_age: Mapped[int | None]  # BBL: the age the wage is quoted for (minimum youth wage check)
    seats: Mapped[int] = mapped_column(default=1)
    meester_id: Mapped[int] = mapped_column(ForeignKey("mentor.id"), index=True)
    gezel_id: Mapped[int | None] = mapped_column(ForeignKey("mentor.id"), index=True)
    required_skills: Mapped[str] = mapped_column(Text, default="")  # comma-separated tags
    languages: Mapped[str] = mapped_column(String(200), default="Nederlands")
    status: Mapped[str] = mapped_column(String(8), default=PlacementStatus.DRAFT, index=True)
    published_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]  # last time the company said "still open"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()  # noqa: F821
    meester: Mapped[Mentor] = relationship(foreign_keys=[meester_id])  # noqa: F821
    gezel: Mapped[Mentor | None] = relationship(foreign_keys=[gezel_id])  # noqa: F821
    qualifications: Mapped[list[Qualification]] = relationship(  # noqa: F821
        secondary=placement_qualification
    )
    applications: WriteOnlyMapped[Application] = relationship(  # noqa: F821
        back_populates="placement", passive_deletes=True
    )

    @property
    def is_stage(self) -> bool:
        return self.leerweg == Leerweg.BOL

    def __repr__(self) -> str:
        return f"<Placement {self.id} {self.title}>"

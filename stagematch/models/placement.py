"""Places a leerbedrijf offers: a stage (BOL) or a BBL job, for one or more crebo codes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    event,
    false,
    text,
)
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


def placement_end(start: date, weeks: int) -> date:
    """The first day after a place of `weeks` weeks that starts on `start`."""
    try:
        return start + timedelta(weeks=weeks)
    except OverflowError:  # refused by the rules; never an unhandled error here
        return date.max


def _end_default(context) -> date:
    """Column default for inserts that name no end date (bulk inserts of the demo data)."""
    row = context.get_current_parameters()
    return placement_end(row["start_date"], row["duration_weeks"])


class Placement(db.Model):
    __table_args__ = (
        CheckConstraint(check_in("leerweg", Leerweg), name="leerweg_values"),
        CheckConstraint(check_in("status", PlacementStatus), name="status_values"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        CheckConstraint("seats >= 0", name="seats_non_negative"),
        CheckConstraint("pay_per_month >= 0", name="pay_non_negative"),
        CheckConstraint("duration_weeks > 0", name="duration_positive"),
        CheckConstraint("duration_weeks BETWEEN 1 AND 104", name="duration_range"),
        CheckConstraint("end_date >= start_date", name="end_after_start"),
        Index("ix_placement_meester_status", "meester_id", "status"),
        # The company's own reference (from its CSV import): importing the same file twice
        # updates nothing and creates no duplicates.
        Index("uq_placement_company_reference", "company_id", "reference", unique=True),
        Index("ix_placement_gezel_status", "gezel_id", "status"),
        # The search's box of open places (issue 20): only open places, the few a student may find.
        Index(
            "ix_placement_open_leerweg_lat_lon",
            "leerweg",
            "lat",
            "lon",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # With it "in the box or national" is one bitmap OR of two index scans (PostgreSQL).
        Index(
            "ix_placement_open_national",
            "leerweg",
            postgresql_where=text("status = 'open' AND national"),
            sqlite_where=text("status = 'open' AND national"),
        ),
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
    reference: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    tasks: Mapped[str] = mapped_column(Text, default="")  # what the learner will actually do
    leerweg: Mapped[str] = mapped_column(String(3), index=True)
    level: Mapped[int] = mapped_column(index=True)
    city: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float]
    lon: Mapped[float]
    start_date: Mapped[date] = mapped_column(index=True)
    duration_weeks: Mapped[int]
    # start_date + duration_weeks, kept by the listeners below (and by bulk inserts): capacity is
    # counted over [start_date, end_date) in SQL.
    end_date: Mapped[date] = mapped_column(index=True, default=_end_default)
    hours_per_week: Mapped[float]
    days_per_week: Mapped[int | None]  # days at work; BBL only
    # € per month: the stage allowance (BOL, 0 = none) or the wage (BBL).
    pay_per_month: Mapped[int] = mapped_column(default=0)
    wage_age: Mapped[int | None]  # BBL: the age the wage is quoted for (minimum youth wage check)
    seats: Mapped[int] = mapped_column(default=1)
    # "Landelijk" (issue 18): the learner may come from anywhere in the country (specialist
    # crafts); the travel radius does not exclude it, and the company states what it pays
    # towards lodging or travel (€ per month, 0 = nothing).
    national: Mapped[bool] = mapped_column(default=False, server_default=false())
    lodging_allowance: Mapped[int] = mapped_column(default=0, server_default="0")
    # "Ook voor zij-instromers" (issue 18): a BBL place open to adults and career switchers,
    # also before they have a school; the page shows the adult minimum wage.
    for_switchers: Mapped[bool] = mapped_column(default=False, server_default=false())
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


@event.listens_for(Placement, "before_insert")
@event.listens_for(Placement, "before_update")
def _keep_end_date(_mapper, _connection, target: Placement) -> None:
    if target.start_date is not None and target.duration_weeks is not None:
        target.end_date = placement_end(target.start_date, target.duration_weeks)

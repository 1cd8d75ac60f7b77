"""A student's profile: what the matching needs to know, and nothing it must not use."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.models.enums import Leerweg, check_in
from stagematch.timeutil import utcnow


class StudentProfile(db.Model):
    __table_args__ = (
        CheckConstraint(check_in("leerweg", Leerweg), name="leerweg_values"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        CheckConstraint("max_travel_km > 0 AND max_travel_km <= 300", name="travel_range"),
        CheckConstraint("bbl_days IS NULL OR bbl_days BETWEEN 1 AND 5", name="bbl_days_range"),
        CheckConstraint(
            "work_experience_years IS NULL OR work_experience_years BETWEEN 0 AND 60",
            name="work_years_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    # None for a zij-instromer (adult, career switcher) who has no school yet (issue 18): they
    # register with the target qualification and choose a school later, often with the employer.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualification.id"), index=True)
    student_number: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[int]
    leerweg: Mapped[str] = mapped_column(String(3))
    city: Mapped[str | None] = mapped_column(String(80))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    max_travel_km: Mapped[int] = mapped_column(default=25)
    available_from: Mapped[date | None]
    planned_start: Mapped[date | None]  # when the school plans the placement to start
    birth_date: Mapped[date | None]  # for minimum youth wage; never a matching feature
    skills: Mapped[str] = mapped_column(Text, default="")  # comma-separated tags
    interests: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(200), default="Nederlands")
    bbl_days: Mapped[int | None]  # BBL: days a week the student wants to work
    motivation: Mapped[str] = mapped_column(Text, default="")
    # Free text for the school and the company after acceptance; never used for ranking.
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    cv_filename: Mapped[str | None] = mapped_column(
        String(80)
    )  # stored under instance/, not static/
    cv_uploaded_at: Mapped[datetime | None]
    photo_filename: Mapped[str | None] = mapped_column(String(80))
    discoverable: Mapped[bool] = mapped_column(
        default=False
    )  # opted in to be suggested to companies
    # Zij-instromers: earlier work, in their own words, and how many years; shown to the school
    # with the self-assessment (EVC). Never a matching feature.
    work_experience: Mapped[str] = mapped_column(Text, default="", server_default="")
    work_experience_years: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile", foreign_keys=[user_id])  # noqa: F821
    school: Mapped[School | None] = relationship()  # noqa: F821
    qualification: Mapped[Qualification] = relationship()  # noqa: F821

    @property
    def skill_list(self) -> list[str]:
        return split_tags(self.skills)


class EvcLevel(StrEnum):
    """What someone can already do in a work process: "nog niet / een beetje / goed"."""

    NOT_YET = "not_yet"
    SOME = "some"
    GOOD = "good"


class EvcClaim(db.Model):
    """EVC (erkenning van verworven competenties, issue 18): per work process of the target
    qualification, what a learner says they can already do, and, once they have a school, what a
    coordinator of that school confirmed (the same level or an adjusted one)."""

    __tablename__ = "evc_claim"
    __table_args__ = (
        UniqueConstraint("student_id", "work_process_id", name="uq_evc_claim_process"),
        CheckConstraint(check_in("self_level", EvcLevel), name="self_level_values"),
        CheckConstraint(
            "confirmed_level IS NULL OR " + check_in("confirmed_level", EvcLevel),
            name="confirmed_level_values",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profile.id", ondelete="CASCADE"), index=True
    )
    work_process_id: Mapped[int] = mapped_column(
        ForeignKey("work_process.id", ondelete="CASCADE"), index=True
    )
    self_level: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_level: Mapped[str | None] = mapped_column(String(8))
    confirmed_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    confirmed_school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL")
    )
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None]

    work_process: Mapped[WorkProcess] = relationship()  # noqa: F821
    confirmed_school: Mapped[School | None] = relationship()  # noqa: F821


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]

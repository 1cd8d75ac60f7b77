"""Schools (ROCs and vakscholen); coordinators and students belong to one."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from stagematch.extensions import db


class School(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    city: Mapped[str] = mapped_column(String(80))
    # From the national register of mbo institutions (issue 18; stagematch/data/schools.csv):
    # BRIN code (also the institution code in BRON exports), kind (roc, aoc, vakinstelling,
    # overig), province and location of the main address. None for schools added by hand.
    brin: Mapped[str | None] = mapped_column(String(4), unique=True)
    kind: Mapped[str | None] = mapped_column(String(20))
    province: Mapped[str | None] = mapped_column(String(40))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    website: Mapped[str | None] = mapped_column(String(200))

    users: WriteOnlyMapped[User] = relationship(back_populates="school")  # noqa: F821

    def __repr__(self) -> str:
        return f"<School {self.name}>"

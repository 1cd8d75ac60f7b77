"""Schools (ROCs and vakscholen); coordinators and students belong to one."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from stagematch.extensions import db


class School(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    city: Mapped[str] = mapped_column(String(80))

    users: WriteOnlyMapped[User] = relationship(back_populates="school")  # noqa: F821

    def __repr__(self) -> str:
        return f"<School {self.name}>"

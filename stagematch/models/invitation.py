"""A leerbedrijf's invitation to a colleague. No account exists until the colleague accepts and
chooses a password, so an invitation never takes an address away from its owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.timeutil import utcnow


class CompanyInvitation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship()  # noqa: F821
    invited_by: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

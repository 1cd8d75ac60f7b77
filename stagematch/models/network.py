"""Leerbedrijf networks (issue 18): small firms that train together ("collegiale in- en
uitleen"). A meester of one member may supervise a learner placed at another; a learner may
rotate between member firms on a schedule (`PlaceRotation`). Accreditation stays per firm.

Membership is real only when both sides said yes: the inviting member and the invited company
(status `member`); an invitation not yet accepted, or a company that left, counts for nothing.
Rows are kept when a company leaves, so the history stays readable with the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagematch.extensions import db
from stagematch.timeutil import utcnow

INVITED, MEMBER, LEFT = "invited", "member", "left"
MEMBER_STATUSES = (INVITED, MEMBER, LEFT)
WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")


class LeerbedrijfNetwork(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # The coordinating opleidingsbedrijf (e.g. a sector's training company), if there is one;
    # free text: it need not be a leerbedrijf on StageMatch.
    opleidingsbedrijf: Mapped[str] = mapped_column(String(160), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[NetworkMember]] = relationship(
        back_populates="network", cascade="all, delete-orphan", order_by="NetworkMember.id"
    )

    def __repr__(self) -> str:
        return f"<LeerbedrijfNetwork {self.name}>"


class NetworkMember(db.Model):
    __table_args__ = (
        UniqueConstraint("network_id", "company_id", name="uq_network_member"),
        CheckConstraint("status IN ('invited', 'member', 'left')", name="member_status_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("leerbedrijf_network.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(8))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]

    network: Mapped[LeerbedrijfNetwork] = relationship(back_populates="members")
    company: Mapped[Company] = relationship()  # noqa: F821


class PlaceRotation(db.Model):
    """One row of a place's rotation schedule: at which member firm the learner works, on which
    weekdays and/or in which period ("maandag–woensdag bij Smederij X, donderdag bij Y"). The
    place's meester and gezel supervise throughout (their capacity is counted once)."""

    __table_args__ = (
        CheckConstraint("weekdays <> '' OR period <> ''", name="rotation_days_or_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    weekdays: Mapped[str] = mapped_column(String(20), default="")  # "ma,di,wo"
    period: Mapped[str] = mapped_column(String(120), default="")  # "september–december"

    company: Mapped[Company] = relationship()  # noqa: F821

    @property
    def days(self) -> list[str]:
        return [d for d in self.weekdays.split(",") if d]

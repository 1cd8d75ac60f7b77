"""mbo qualifications from SBB's register (crebo codes), shipped as reference data."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from stagematch.extensions import db
from stagematch.matching.text import N_, Phrase


class Qualification(db.Model):
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        CheckConstraint("leerwegen IN ('BOL', 'BBL', 'BOL/BBL')", name="leerwegen_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    crebo: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[int]
    leerwegen: Mapped[str] = mapped_column(String(7))  # "BOL", "BBL" or "BOL/BBL"
    dossier_crebo: Mapped[str] = mapped_column(String(5), index=True)
    dossier_name: Mapped[str] = mapped_column(String(200))
    domain_number: Mapped[int | None]  # 1..16; None for Entree, which sits outside the domains
    domain_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))  # basisberoepsopleiding, vakopleiding, ...

    def offers(self, leerweg: str) -> bool:
        return leerweg in self.leerwegen.split("/")

    @property
    def label(self) -> str:
        """Dutch text (a Phrase: pages show it in the reader's language with `| phrase`)."""
        return Phrase(
            N_("%(crebo)s – %(name)s (niveau %(level)s)"),
            crebo=self.crebo, name=self.name, level=self.level,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"<Qualification {self.crebo} {self.name}>"

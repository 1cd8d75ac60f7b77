"""Trained match models: one row per version; the artifact (joblib) lives in instance/models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from stagematch.extensions import db
from stagematch.timeutil import utcnow


class ModelVersion(db.Model):
    # At most one active version (`ranking.registry.activate` switches the others off first):
    # with two, which one ranks would depend on the order the database returns them in.
    __table_args__ = (
        Index("uq_model_version_one_active", "active", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    family: Mapped[str] = mapped_column(String(60))
    n_examples: Mapped[int]
    date_from: Mapped[str] = mapped_column(String(10))
    date_to: Mapped[str] = mapped_column(String(10))
    features: Mapped[str] = mapped_column(Text)  # JSON list
    metrics: Mapped[str] = mapped_column(Text)  # JSON list of {name, ndcg10, auc, brier}
    importances: Mapped[str] = mapped_column(Text)  # JSON {feature: drop in AUC}
    artifact: Mapped[str] = mapped_column(String(120))  # file name in instance/models
    active: Mapped[bool] = mapped_column(default=False, index=True)

"""At most one active model version (issue 16): a partial unique index on model_version.active

Revision ID: h9one4ct1ve1
Revises: g8br0n7day01
Create Date: 2026-11-25 04:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h9one4ct1ve1"
down_revision = "g8br0n7day01"
branch_labels = None
depends_on = None


def upgrade():
    # A database with several active versions keeps the newest active (the one the site ranks
    # with since ranking reads the newest active version).
    version = sa.table(
        "model_version", sa.column("id", sa.Integer), sa.column("active", sa.Boolean)
    )
    newest = (
        sa.select(sa.func.max(version.c.id)).where(version.c.active.is_(True)).scalar_subquery()
    )
    op.execute(
        version.update()
        .where(version.c.active.is_(True), version.c.id != newest)
        .values(active=False)
    )
    op.create_index(
        "uq_model_version_one_active", "model_version", ["active"], unique=True,
        sqlite_where=sa.text("active"), postgresql_where=sa.text("active"),
    )  # fmt: skip


def downgrade():
    op.drop_index("uq_model_version_one_active", table_name="model_version")

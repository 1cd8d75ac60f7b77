"""BRON reporting of agreements (slot): when an agreement version first went into a BRON export

Revision ID: g8br0n7day01
Revises: f7j0bc0ach01
Create Date: 2026-11-25 00:05:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "g8br0n7day01"
down_revision = "f7j0bc0ach01"
branch_labels = None
depends_on = None


# recreate="never": a plain ALTER TABLE ADD/DROP COLUMN (SQLite >= 3.35). Recreating the table
# (copy, drop, rename) would run ON DELETE CASCADE of agreement_signature with foreign keys on,
# and wipe every signature.


def upgrade():
    # Existing versions stay empty: nothing says they were reported, so the coordinator's BRON
    # page lists them until the next export includes them.
    with op.batch_alter_table("agreement_version", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("bron_reported_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("agreement_version", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("bron_reported_at")

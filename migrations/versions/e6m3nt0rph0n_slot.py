"""mentor contact details (slot)

Revision ID: e6m3nt0rph0n
Revises: d5t0r3d5ugg5
Create Date: 2026-11-25 00:05:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e6m3nt0rph0n"
down_revision = "d5t0r3d5ugg5"
branch_labels = None
depends_on = None


def upgrade():
    # How to reach a meester or gezel (issue 18 audit): optional, "" when not given.
    with op.batch_alter_table("mentor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone", sa.String(length=30), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("mentor", schema=None) as batch_op:
        batch_op.drop_column("phone")

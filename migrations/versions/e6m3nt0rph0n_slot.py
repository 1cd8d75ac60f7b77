"""mentor contact details (slot)

Revision ID: e6m3nt0rph0n
Revises: d5t0r3d5ugg5
Create Date: 2026-11-25 00:05:00
"""

# revision identifiers, used by Alembic.
revision = "e6m3nt0rph0n"
down_revision = "d5t0r3d5ugg5"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

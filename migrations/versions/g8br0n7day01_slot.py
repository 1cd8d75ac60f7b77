"""BRON reporting of agreements (slot)

Revision ID: g8br0n7day01
Revises: f7j0bc0ach01
Create Date: 2026-11-25 00:05:00
"""

# revision identifiers, used by Alembic.
revision = "g8br0n7day01"
down_revision = "f7j0bc0ach01"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

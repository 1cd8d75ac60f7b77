"""job coaches who help learners (slot)

Revision ID: f7j0bc0ach01
Revises: e6m3nt0rph0n
Create Date: 2026-11-25 00:05:00
"""

# revision identifiers, used by Alembic.
revision = "f7j0bc0ach01"
down_revision = "e6m3nt0rph0n"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

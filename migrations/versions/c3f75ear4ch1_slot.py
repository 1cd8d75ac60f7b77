"""open-places index and full-text search (issue 20)

Revision ID: c3f75ear4ch1
Revises: b2a6du1t5evc
Create Date: 2026-11-24 09:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c3f75ear4ch1"
down_revision = "b2a6du1t5evc"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

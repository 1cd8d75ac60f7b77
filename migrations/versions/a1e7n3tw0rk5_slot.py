"""leerbedrijf networks sharing meesters, rotations (issue 18)

Revision ID: a1e7n3tw0rk5
Revises: c1b40cfdf993
Create Date: 2026-11-24 09:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "a1e7n3tw0rk5"
down_revision = "c1b40cfdf993"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

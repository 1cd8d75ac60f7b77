"""zij-instromers: learners without a school, work experience, EVC (issue 18)

Revision ID: b2a6du1t5evc
Revises: a1e7n3tw0rk5
Create Date: 2026-11-24 09:00:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "b2a6du1t5evc"
down_revision = "a1e7n3tw0rk5"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

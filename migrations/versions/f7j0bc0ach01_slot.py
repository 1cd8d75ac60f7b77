"""job coaches who help learners (issue 18): the job_coach role and the coach's organisation

Revision ID: f7j0bc0ach01
Revises: e6m3nt0rph0n
Create Date: 2026-11-25 00:05:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f7j0bc0ach01"
down_revision = "e6m3nt0rph0n"
branch_labels = None
depends_on = None

ROLES_BEFORE = "role IN ('student', 'company', 'coordinator', 'admin')"
ROLES_AFTER = "role IN ('student', 'company', 'coordinator', 'admin', 'job_coach')"


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation", sa.String(length=120), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_user_role_values"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_user_role_values"), ROLES_AFTER)
        batch_op.create_check_constraint(
            batch_op.f("ck_user_job_coach_has_organisation"),
            "role <> 'job_coach' OR organisation IS NOT NULL",
        )


def downgrade():
    # Job coaches cannot exist without the role: their consents go with their accounts.
    op.execute(
        "DELETE FROM acting_consent WHERE coordinator_id IN "
        "(SELECT id FROM \"user\" WHERE role = 'job_coach')"
    )
    op.execute("DELETE FROM \"user\" WHERE role = 'job_coach'")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_job_coach_has_organisation"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_user_role_values"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_user_role_values"), ROLES_BEFORE)
        batch_op.drop_column("organisation")

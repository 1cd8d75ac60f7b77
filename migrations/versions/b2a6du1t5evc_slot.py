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
    op.create_table(
        "evc_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("work_process_id", sa.Integer(), nullable=False),
        sa.Column("self_level", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_level", sa.String(length=8), nullable=True),
        sa.Column("confirmed_note", sa.Text(), server_default="", nullable=False),
        sa.Column("confirmed_school_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "self_level IN ('not_yet', 'some', 'good')", name=op.f("ck_evc_claim_self_level_values")
        ),
        sa.CheckConstraint(
            "confirmed_level IS NULL OR confirmed_level IN ('not_yet', 'some', 'good')",
            name=op.f("ck_evc_claim_confirmed_level_values"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student_profile.id"],
            name=op.f("fk_evc_claim_student_id_student_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_process_id"],
            ["work_process.id"],
            name=op.f("fk_evc_claim_work_process_id_work_process"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_school_id"],
            ["school.id"],
            name=op.f("fk_evc_claim_confirmed_school_id_school"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["user.id"],
            name=op.f("fk_evc_claim_confirmed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evc_claim")),
        sa.UniqueConstraint("student_id", "work_process_id", name="uq_evc_claim_process"),
    )
    with op.batch_alter_table("evc_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evc_claim_student_id"), ["student_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evc_claim_work_process_id"), ["work_process_id"], unique=False
        )

    with op.batch_alter_table("student_profile", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("work_experience", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("work_experience_years", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_student_profile_work_years_range"),
            "work_experience_years IS NULL OR work_experience_years BETWEEN 0 AND 60",
        )

    with op.batch_alter_table("internship", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=True)

    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=True)

    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("for_switchers", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    # A learner or placement without a school cannot go back to NOT NULL: those rows block the
    # downgrade (the database refuses), rather than being deleted silently.
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_column("for_switchers")

    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("internship", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("student_profile", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_student_profile_work_years_range"), type_="check")
        batch_op.drop_column("work_experience_years")
        batch_op.drop_column("work_experience")
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("evc_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evc_claim_work_process_id"))
        batch_op.drop_index(batch_op.f("ix_evc_claim_student_id"))

    op.drop_table("evc_claim")

"""stored suggestions (issue 20)

Revision ID: d5t0r3d5ugg5
Revises: c3f75ear4ch1
Create Date: 2026-11-24 14:00:00

Each student's ranked list as the batch ranker stored it, and per market (dossier, leerweg) the
moment it last changed, so a list computed before that is not used.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5t0r3d5ugg5"
down_revision = "c3f75ear4ch1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_suggestions",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("place_ids", sa.JSON(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("dossier_crebo", sa.String(length=10), nullable=False),
        sa.Column("leerweg", sa.String(length=3), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student_profile.id"],
            name=op.f("fk_stored_suggestions_student_id_student_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_stored_suggestions")),
    )
    with op.batch_alter_table("stored_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_suggestions_stale"), ["stale"], unique=False)
    op.create_table(
        "suggestion_epoch",
        sa.Column("dossier_crebo", sa.String(length=10), nullable=False),
        sa.Column("leerweg", sa.String(length=3), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dossier_crebo", "leerweg", name=op.f("pk_suggestion_epoch")),
    )


def downgrade():
    op.drop_table("suggestion_epoch")
    with op.batch_alter_table("stored_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_suggestions_stale"))
    op.drop_table("stored_suggestions")

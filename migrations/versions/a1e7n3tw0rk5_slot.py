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
    op.create_table(
        "leerbedrijf_network",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("opleidingsbedrijf", sa.String(length=160), server_default="", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"],
            name=op.f("fk_leerbedrijf_network_created_by_id_user"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leerbedrijf_network")),
    )  # fmt: skip
    op.create_table(
        "network_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", sa.DateTime(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=True),
        sa.Column("left_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('invited', 'member', 'left')",
            name=op.f("ck_network_member_member_status_values"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"],
            name=op.f("fk_network_member_company_id_company"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["user.id"],
            name=op.f("fk_network_member_invited_by_id_user"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["leerbedrijf_network.id"],
            name=op.f("fk_network_member_network_id_leerbedrijf_network"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_member")),
        sa.UniqueConstraint("network_id", "company_id", name="uq_network_member"),
    )  # fmt: skip
    with op.batch_alter_table("network_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_member_company_id"), ["company_id"])
        batch_op.create_index(batch_op.f("ix_network_member_network_id"), ["network_id"])
    op.create_table(
        "place_rotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "weekdays <> '' OR period <> ''", name=op.f("ck_place_rotation_rotation_days_or_period")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"],
            name=op.f("fk_place_rotation_company_id_company"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"], ["placement.id"],
            name=op.f("fk_place_rotation_placement_id_placement"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_rotation")),
    )  # fmt: skip
    with op.batch_alter_table("place_rotation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_rotation_company_id"), ["company_id"])
        batch_op.create_index(batch_op.f("ix_place_rotation_placement_id"), ["placement_id"])


def downgrade():
    op.drop_table("place_rotation")
    op.drop_table("network_member")
    op.drop_table("leerbedrijf_network")

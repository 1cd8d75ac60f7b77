"""interaction log: lists shown, place views and what students and companies did

Revision ID: e5b8d2a6c013
Revises: c4a9e1f27b35
Create Date: 2026-11-24 11:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e5b8d2a6c013'
down_revision = 'c4a9e1f27b35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'interaction',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=True),
        sa.Column('place_id', sa.Integer(), nullable=True),
        sa.Column('model_version_id', sa.Integer(), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('list_shown', 'place_view', 'apply', 'shortlist', 'offer', 'accept', 'decline', "
            "'withdraw', 'complete', 'evaluate')",
            name=op.f('ck_interaction_kind_values'),
        ),
        sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], name=op.f('fk_interaction_model_version_id_model_version'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['place_id'], ['placement.id'], name=op.f('fk_interaction_place_id_placement'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['student_id'], ['student_profile.id'], name=op.f('fk_interaction_student_id_student_profile'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction')),
    )
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_interaction_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interaction_student_id'), ['student_id'], unique=False)


def downgrade():
    op.drop_table('interaction')

"""trust: session versions, jobs, colleague invitations, the company's own place reference

Revision ID: c4a9e1f27b35
Revises: b7e2c4d1a914
Create Date: 2026-11-24 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4a9e1f27b35'
down_revision = 'b7e2c4d1a914'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=40), nullable=True))
        batch_op.create_index('uq_placement_company_reference', ['company_id', 'reference'], unique=True)
    op.create_table(
        'job',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('message', sa.String(length=500), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_job_status_values')),
        sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_job_owner_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_owner_id'), ['owner_id'], unique=False)
    op.create_table(
        'company_invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_company_invitation_company_id_company'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_company_invitation_invited_by_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_company_invitation')),
    )
    with op.batch_alter_table('company_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_invitation_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_invitation_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_invitation_created_at'), ['created_at'], unique=False)


def downgrade():
    op.drop_table('company_invitation')
    op.drop_table('job')
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_index('uq_placement_company_reference')
        batch_op.drop_column('reference')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

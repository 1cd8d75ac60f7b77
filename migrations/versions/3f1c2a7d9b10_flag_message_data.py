"""flag message data: the message as a translatable phrase

Revision ID: 3f1c2a7d9b10
Revises: 25c06d85947c
Create Date: 2026-11-23 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3f1c2a7d9b10'
down_revision = '25c06d85947c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_data', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_column('message_data')

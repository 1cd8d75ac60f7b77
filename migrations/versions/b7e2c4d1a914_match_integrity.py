"""match integrity: place end date and bounded duration, offers with a respond-by date,
accreditations with their verification

Revision ID: b7e2c4d1a914
Revises: 3f1c2a7d9b10
Create Date: 2026-11-24 08:00:00

"""
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = 'b7e2c4d1a914'
down_revision = '3f1c2a7d9b10'
branch_labels = None
depends_on = None

OLD_APPLICATION_STATUSES = "('submitted', 'shortlisted', 'offered', 'accepted', 'rejected', 'withdrawn')"
NEW_APPLICATION_STATUSES = (
    "('submitted', 'shortlisted', 'offered', 'accepted', 'rejected', 'withdrawn', 'declined', "
    "'expired')"
)


def _end(start: date, weeks: int) -> date:
    try:
        return start + timedelta(weeks=weeks)
    except OverflowError:  # a start date near 9999 (refused by the rules since this revision)
        return date.max


def upgrade():
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text('SELECT id, start_date, duration_weeks FROM placement')).all()
    for pid, start, weeks in rows:
        if isinstance(start, str):
            start = date.fromisoformat(start)
        weeks = max(1, min(int(weeks), 104))
        conn.execute(
            sa.text('UPDATE placement SET end_date = :end, duration_weeks = :weeks WHERE id = :id'),
            {'end': _end(start, weeks), 'weeks': weeks, 'id': pid},
        )
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.alter_column('end_date', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_placement_end_date'), ['end_date'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_placement_duration_range'), 'duration_weeks BETWEEN 1 AND 104')
        batch_op.create_check_constraint(batch_op.f('ck_placement_end_after_start'), 'end_date >= start_date')

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respond_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('offered_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_application_status_values'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_application_status_values'), f'status IN {NEW_APPLICATION_STATUSES}')

    with op.batch_alter_table('accreditation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verification', sa.String(length=10), nullable=False,
                                      server_default='declared'))
        batch_op.add_column(sa.Column('checked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('check_source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('check_note', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_accreditation_checked_by_id_user'), 'user',
                                    ['checked_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_accreditation_verification_values'), "verification IN ('declared', 'verified', 'rejected')")
        batch_op.create_check_constraint(batch_op.f('ck_accreditation_check_source_values'),
            "check_source IS NULL OR check_source IN ('sbb_register', 'coordinator')")


    # Capacity counts per mentor or place and status (services.capacity).
    op.create_index('ix_application_placement_status', 'application', ['placement_id', 'status'])
    op.create_index('ix_internship_meester_status', 'internship', ['meester_id', 'status'])
    op.create_index('ix_internship_gezel_status', 'internship', ['gezel_id', 'status'])
    op.create_index('ix_internship_placement_status', 'internship', ['placement_id', 'status'])
    op.create_index('ix_placement_meester_status', 'placement', ['meester_id', 'status'])
    op.create_index('ix_placement_gezel_status', 'placement', ['gezel_id', 'status'])


def downgrade():
    for name, table in (('ix_placement_gezel_status', 'placement'), ('ix_placement_meester_status', 'placement'),
                        ('ix_internship_placement_status', 'internship'), ('ix_internship_gezel_status', 'internship'),
                        ('ix_internship_meester_status', 'internship'),
                        ('ix_application_placement_status', 'application')):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table('accreditation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_accreditation_check_source_values'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_accreditation_verification_values'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_accreditation_checked_by_id_user'), type_='foreignkey')
        batch_op.drop_column('check_note')
        batch_op.drop_column('check_source')
        batch_op.drop_column('checked_at')
        batch_op.drop_column('checked_by_id')
        batch_op.drop_column('verification')
    op.execute("UPDATE application SET status = 'withdrawn' WHERE status IN ('declined', 'expired')")
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_application_status_values'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_application_status_values'), f'status IN {OLD_APPLICATION_STATUSES}')
        batch_op.drop_column('offered_at')
        batch_op.drop_column('respond_by')
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_placement_end_after_start'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_placement_duration_range'), type_='check')
        batch_op.drop_index(batch_op.f('ix_placement_end_date'))
        batch_op.drop_column('end_date')

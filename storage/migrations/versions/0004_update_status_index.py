"""progress update index with the status

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:00:00.000000

"Was a done update stored by the due date" (on time, ``bot.reports.queries``) becomes one
seek on (item_id, agency_id, status, created_at) instead of a walk over every update of
the assignment before the due date.
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_update_item_agency_status_time',
        'progress_update',
        ['item_id', 'agency_id', 'status', 'created_at'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_update_item_agency_status_time', table_name='progress_update')

"""job lease owner: a claimed job names the worker whose heartbeat keeps its lease

Revision ID: 0018
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add jobs.claimed_by."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop jobs.claimed_by."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("claimed_by")

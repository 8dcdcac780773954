"""faults: a claimed job names the worker whose heartbeat keeps its lease; a message keeps its delivery attempts

Revision ID: 0018
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import UTCDateTime

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add jobs.claimed_by and the messages' delivery attempt columns."""
    op.add_column("jobs", sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.add_column("messages", sa.Column("delivery_attempts", sa.Integer(), nullable=True))
    op.add_column("messages", sa.Column("delivery_next_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("messages", sa.Column("delivery_sending_since", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop them."""
    # Plain DROP COLUMN, not batch mode: on SQLite a batch copies the table and drops its full-text triggers.
    for column in ("delivery_sending_since", "delivery_next_at", "delivery_attempts"):
        op.drop_column("messages", column)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("claimed_by")

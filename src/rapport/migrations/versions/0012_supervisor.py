"""supervisor board: a covering index of active conversations by inbox, channel and assignee; the waits in order

Revision ID: 0012_supervisor
Revises: 0011
"""

from alembic import op
from sqlalchemy import text

revision = "0012_supervisor"
down_revision = "0011"
branch_labels = None
depends_on = None

ACTIVE_SQL = "status IN ('new', 'open', 'pending', 'on_hold')"
WAITING_SQL = "status IN ('new', 'open')"


def upgrade() -> None:
    """Create the board's two partial indexes."""
    op.create_index(
        "ix_conversations_active_board",
        "conversations",
        ["inbox_id", "channel", "assignee_id", "status", "last_inbound_at"],
        sqlite_where=text(ACTIVE_SQL),
        postgresql_where=text(ACTIVE_SQL),
    )
    op.create_index(
        "ix_conversations_waiting",
        "conversations",
        ["last_inbound_at", "id"],
        sqlite_where=text(WAITING_SQL),
        postgresql_where=text(WAITING_SQL),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_conversations_waiting", table_name="conversations")
    op.drop_index("ix_conversations_active_board", table_name="conversations")

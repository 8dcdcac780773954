"""inbox views: partial indexes for "Unassigned" and for "Waiting longest" (new and open, by last inbound message)

Revision ID: 0012_workbench
Revises: 0011
"""

from alembic import op
from sqlalchemy import text

revision = "0012_workbench"
down_revision = "0011"
branch_labels = None
depends_on = None

ACTIVE_SQL = "status IN ('new', 'open', 'pending', 'on_hold')"
UNASSIGNED_SQL = "assignee_id IS NULL"
WAITING_SQL = "status IN ('new', 'open')"


def upgrade() -> None:
    """Create the two views' indexes."""
    unassigned = text(f"{ACTIVE_SQL} AND {UNASSIGNED_SQL}")
    op.create_index(
        "ix_conversations_active_unassigned",
        "conversations",
        ["updated_at", "id"],
        sqlite_where=unassigned,
        postgresql_where=unassigned,
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
    op.drop_index("ix_conversations_active_unassigned", table_name="conversations")

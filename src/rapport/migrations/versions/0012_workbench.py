"""inbox views: partial indexes for "Unassigned" and "Waiting longest"; a customer's messages by time

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


def upgrade() -> None:
    """Create the Unassigned view's index and the messages-by-customer index (Waiting longest's is 0012_supervisor's)."""
    unassigned = text(f"{ACTIVE_SQL} AND {UNASSIGNED_SQL}")
    op.create_index(
        "ix_conversations_active_unassigned",
        "conversations",
        ["updated_at", "id"],
        sqlite_where=unassigned,
        postgresql_where=unassigned,
    )
    op.create_index("ix_messages_customer", "messages", ["customer_id", "created_at", "id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_messages_customer", table_name="messages")
    op.drop_index("ix_conversations_active_unassigned", table_name="conversations")

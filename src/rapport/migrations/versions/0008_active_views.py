"""inbox views on partial indexes of active conversations; lighter threading index

Revision ID: 0008
Revises: 0003
"""

from alembic import op
from sqlalchemy import text

revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None

ACTIVE_SQL = "status IN ('new', 'open', 'pending', 'on_hold')"
FULL = {"inbox": "inbox_id", "team": "team_id", "assignee": "assignee_id"}


def upgrade() -> None:
    """Replace the full per-inbox/team/assignee indexes with partial ones over active conversations."""
    for name in FULL:
        op.drop_index(f"ix_conversations_{name}_updated", table_name="conversations")
    for name, cols in (*((n, [c]) for n, c in FULL.items()), ("all", [])):
        op.create_index(
            f"ix_conversations_active_{name}",
            "conversations",
            [*cols, "updated_at", "id"],
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        )
    op.drop_index("ix_conversations_customer_inbox", table_name="conversations")
    op.create_index("ix_conversations_customer_inbox", "conversations", ["customer_id", "inbox_id"])


def downgrade() -> None:
    """Back to full indexes."""
    op.drop_index("ix_conversations_customer_inbox", table_name="conversations")
    op.create_index("ix_conversations_customer_inbox", "conversations", ["customer_id", "inbox_id", "updated_at"])
    for name in (*FULL, "all"):
        op.drop_index(f"ix_conversations_active_{name}", table_name="conversations")
    for name, column in FULL.items():
        op.create_index(f"ix_conversations_{name}_updated", "conversations", [column, "updated_at", "id"])

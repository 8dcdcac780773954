"""the "Waiting longest" view reads a partial index of new and open conversations by last inbound message

Revision ID: 0012_workbench
Revises: 0011
"""

from alembic import op
from sqlalchemy import text

revision = "0012_workbench"
down_revision = "0011"
branch_labels = None
depends_on = None

WAITING_SQL = "status IN ('new', 'open')"


def upgrade() -> None:
    """Create the waiting view's index."""
    op.create_index(
        "ix_conversations_waiting",
        "conversations",
        ["last_inbound_at", "id"],
        sqlite_where=text(WAITING_SQL),
        postgresql_where=text(WAITING_SQL),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_conversations_waiting", table_name="conversations")

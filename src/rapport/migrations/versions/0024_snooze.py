"""snooze and sort by priority: conversations' wake-up time, the Snoozed view's index, the priority index

Revision ID: 0024
Revises: 0023

`conversations.snoozed_until` hides an active conversation from the working views until then; its status is kept.
The Snoozed view reads `ix_conversations_snoozed` (active and snoozed, soonest wake first). "Sort by priority" reads
`ix_conversations_active_priority`, on the priority's rank (urgent highest) and the last update, active ones only.
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('new', 'open', 'pending', 'on_hold')"
SNOOZED = f"{ACTIVE} AND snoozed_until IS NOT NULL"
RANK = "(CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END)"


def upgrade() -> None:
    """Add the wake-up column and the two indexes."""
    # Plain ADD COLUMN, not batch mode: on SQLite a batch copies the table and drops its full-text triggers.
    op.add_column("conversations", sa.Column("snoozed_until", UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_conversations_snoozed",
        "conversations",
        ["snoozed_until", "id"],
        sqlite_where=sa.text(SNOOZED),
        postgresql_where=sa.text(SNOOZED),
    )
    op.create_index(
        "ix_conversations_active_priority",
        "conversations",
        [sa.text(RANK), "updated_at", "id"],
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    """Drop the indexes and the column."""
    op.drop_index("ix_conversations_active_priority", table_name="conversations")
    op.drop_index("ix_conversations_snoozed", table_name="conversations")
    op.drop_column("conversations", "snoozed_until")

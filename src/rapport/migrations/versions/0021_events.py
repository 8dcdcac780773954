"""events: each event keeps its conversation's inbox and team; consumers retry, then set an event aside

`events` gains `inbox_id` and `team_id`. Events written from now on hold the conversation's values when they
happened; this migration fills the older ones from each conversation's values as they are now (the history of
moves before it is not known), and leaves them empty for events without a conversation. `event_cursors` gains the
failed tries of the event after the cursor and the last error; `event_dead_letters` holds the events a consumer
set aside after RAPPORT_EVENT_MAX_ATTEMPTS failures.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the event place columns (backfilled), the cursor's retry columns and the dead-letter table."""
    # Plain ADD COLUMN, not batch mode: on SQLite a batch copies the table (events is the largest one).
    op.add_column("events", sa.Column("inbox_id", BigId, nullable=True))
    op.add_column("events", sa.Column("team_id", BigId, nullable=True))
    op.execute(
        "UPDATE events SET"
        " inbox_id = (SELECT c.inbox_id FROM conversations c WHERE c.id = events.conversation_id),"
        " team_id = (SELECT c.team_id FROM conversations c WHERE c.id = events.conversation_id)"
        " WHERE conversation_id IS NOT NULL"
    )
    op.add_column("event_cursors", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("event_cursors", sa.Column("last_error", sa.Text(), nullable=True))
    op.create_table(
        "event_dead_letters",
        sa.Column("id", BigId, nullable=False),
        sa.Column("consumer", sa.String(64), nullable=False),
        sa.Column("event_id", BigId, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_dead_letters")),
    )
    op.create_index("ix_event_dead_letters_consumer", "event_dead_letters", ["consumer", "event_id"], unique=True)


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_event_dead_letters_consumer", table_name="event_dead_letters")
    op.drop_table("event_dead_letters")
    for table, column in (
        ("event_cursors", "last_error"),
        ("event_cursors", "attempts"),
        ("events", "team_id"),
        ("events", "inbox_id"),
    ):
        op.drop_column(table, column)

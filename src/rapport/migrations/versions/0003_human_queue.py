"""the human queue: conversations.human_requested_at, indexed

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column and its index."""
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("human_requested_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_conversations_human_requested", "conversations", ["human_requested_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_conversations_human_requested", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("human_requested_at")

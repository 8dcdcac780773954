"""unverified senders: conversations.sender_unverified

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the flag; every existing conversation is as it was (not flagged)."""
    # A plain ADD COLUMN, not batch mode: on SQLite a batch copies the table and drops its full-text triggers.
    op.add_column(
        "conversations", sa.Column("sender_unverified", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_column("conversations", "sender_unverified")

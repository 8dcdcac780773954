"""composer: an agent's personal email signature and an inbox's email signature

Revision ID: 0029
Revises: 0028

Both are the composer's markup (kit/markup.py), at most RAPPORT_MAX_SIGNATURE_CHARS characters; they are turned
into sanitised HTML and plain text when a reply is sent, and appended to email replies only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two signature columns."""
    # Plain ADD COLUMN, not batch mode: on SQLite a batch copies the table (and drops triggers).
    op.add_column("agents", sa.Column("signature", sa.Text(), nullable=True))
    op.add_column("inboxes", sa.Column("signature", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the two signature columns."""
    op.drop_column("inboxes", "signature")
    op.drop_column("agents", "signature")

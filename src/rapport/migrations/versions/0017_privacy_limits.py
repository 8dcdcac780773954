"""privacy and limits: chat visitors and conversations started per client address

Revision ID: 0017
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create chat_starts."""
    op.create_table(
        "chat_starts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_starts")),
    )
    op.create_index("ix_chat_starts_client", "chat_starts", ["kind", "client", "created_at"])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("chat_starts")

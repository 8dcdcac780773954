"""web chat: visitors and their email verifications

Revision ID: 0007
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, UTCDateTime

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create chat_visitors and chat_verifications."""
    op.create_table(
        "chat_visitors",
        sa.Column("id", BigId, nullable=False),
        sa.Column("inbox_id", BigId, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", BigId, nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_verified_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("continue_by_email", sa.Boolean(), nullable=False),
        sa.Column("window_started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["inbox_id"], ["inboxes.id"], name=op.f("fk_chat_visitors_inbox_id_inboxes")),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_chat_visitors_conversation_id_conversations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_visitors")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_chat_visitors_token_hash")),
        sa.UniqueConstraint("address", name=op.f("uq_chat_visitors_address")),
    )
    op.create_index(op.f("ix_chat_visitors_inbox_id"), "chat_visitors", ["inbox_id"])
    op.create_table(
        "chat_verifications",
        sa.Column("id", BigId, nullable=False),
        sa.Column("visitor_id", BigId, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["visitor_id"], ["chat_visitors.id"], name=op.f("fk_chat_verifications_visitor_id_chat_visitors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_verifications")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_chat_verifications_token_hash")),
    )
    op.create_index(op.f("ix_chat_verifications_visitor_id"), "chat_verifications", ["visitor_id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f("ix_chat_verifications_visitor_id"), table_name="chat_verifications")
    op.drop_table("chat_verifications")
    op.drop_index(op.f("ix_chat_visitors_inbox_id"), table_name="chat_visitors")
    op.drop_table("chat_visitors")

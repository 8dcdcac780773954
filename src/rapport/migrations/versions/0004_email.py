"""email channel: mailbox fetch positions and received-mail receipts (quarantine included)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create email_mailboxes and email_receipts with their indexes."""
    op.create_table(
        "email_mailboxes",
        sa.Column("inbox_id", BIG_ID, nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["inbox_id"], ["inboxes.id"], name=op.f("fk_email_mailboxes_inbox_id_inboxes")),
        sa.PrimaryKeyConstraint("inbox_id", "mailbox", name=op.f("pk_email_mailboxes")),
    )
    op.create_table(
        "email_receipts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("inbox_id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("mailbox", sa.String(length=200), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        sa.Column("rfc_message_id", sa.String(length=300), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("message_id", BIG_ID, nullable=True),
        sa.Column("conversation_id", BIG_ID, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["inbox_id"], ["inboxes.id"], name=op.f("fk_email_receipts_inbox_id_inboxes")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_email_receipts_message_id_messages")),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_email_receipts_conversation_id_conversations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_receipts")),
        sa.UniqueConstraint(
            "inbox_id", "mailbox", "uidvalidity", "uid", name=op.f("uq_email_receipts_inbox_id_mailbox_uidvalidity_uid")
        ),
    )
    op.create_index("ix_email_receipts_message_id_header", "email_receipts", ["inbox_id", "rfc_message_id"])
    op.create_index("ix_email_receipts_content_hash", "email_receipts", ["inbox_id", "content_hash"])
    op.create_index("ix_email_receipts_sender", "email_receipts", ["inbox_id", "sender", "created_at"])
    op.create_index("ix_email_receipts_outcome", "email_receipts", ["outcome", "id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_table("email_receipts")
    op.drop_table("email_mailboxes")

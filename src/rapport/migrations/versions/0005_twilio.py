"""telephony: callbacks (a due-at row per callback a caller asked for)

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, UTCDateTime

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the callbacks table and its indexes."""
    op.create_table(
        "callbacks",
        sa.Column("id", BigId, nullable=False),
        sa.Column("inbox_id", BigId, nullable=False),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("customer_id", BigId, nullable=False),
        sa.Column("message_id", BigId, nullable=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_callbacks"),
        sa.UniqueConstraint("call_sid", name="uq_callbacks_call_sid"),
        sa.ForeignKeyConstraint(["inbox_id"], ["inboxes.id"], name="fk_callbacks_inbox_id_inboxes"),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name="fk_callbacks_conversation_id_conversations"
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_callbacks_customer_id_customers"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_callbacks_message_id_messages"),
        sa.ForeignKeyConstraint(["done_by_id"], ["agents.id"], name="fk_callbacks_done_by_id_agents"),
    )
    op.create_index("ix_callbacks_due", "callbacks", ["state", "due_at"])
    op.create_index("ix_callbacks_conversation_id", "callbacks", ["conversation_id"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_index("ix_callbacks_conversation_id", table_name="callbacks")
    op.drop_index("ix_callbacks_due", table_name="callbacks")
    op.drop_table("callbacks")

"""notifications: what each agent should look at, with a partial index of the unread ones

Revision ID: 0012_notifications
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from rapport.db.types import BigId, UTCDateTime

revision = "0012_notifications"
down_revision = "0011"
branch_labels = None
depends_on = None

UNREAD_SQL = "read_at IS NULL"


def upgrade() -> None:
    """Create notifications and its indexes."""
    op.create_table(
        "notifications",
        sa.Column("id", BigId, nullable=False),
        sa.Column("agent_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("event_id", BigId, nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", BigId, nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=400), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_notifications_agent_id_agents")),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_notifications_conversation_id_conversations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("agent_id", "event_id", name=op.f("uq_notifications_agent_id_event_id")),
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["agent_id", "conversation_id"],
        sqlite_where=text(UNREAD_SQL),
        postgresql_where=text(UNREAD_SQL),
    )


def downgrade() -> None:
    """Drop notifications."""
    op.drop_index("ix_notifications_unread", table_name="notifications")
    op.drop_table("notifications")

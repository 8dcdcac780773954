"""routing: settings per team and inbox, agents' capacity and shift hours, skills, conversations' routing needs

Revision ID: 0028
Revises: 0027

`routing_settings` holds one row per team or per inbox (exactly one of the two): the mode (balanced, round robin,
manual pull), the spillover timer, the stickiness window and the round-robin cursor. `routing_agents` holds an
agent's capacity with per-channel weights and caps and the calendar of their shift hours. `routing_skills` is the
vocabulary of skills (agents keep theirs in `agents.skills`); `routing_conversations` the skills a conversation
requires or prefers and when its pool was widened.
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, Json, UTCDateTime

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    """Create the four routing tables."""
    op.create_table(
        "routing_settings",
        sa.Column("id", BigId, nullable=False),
        sa.Column("team_id", BigId, nullable=True),
        sa.Column("inbox_id", BigId, nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("spillover_seconds", sa.Integer(), nullable=True),
        sa.Column("sticky_days", sa.Integer(), nullable=False),
        sa.Column("cursor_agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(team_id IS NULL) <> (inbox_id IS NULL)", name=op.f("ck_routing_settings_one_scope")),
        _fk("routing_settings", "team_id", "teams"),
        _fk("routing_settings", "inbox_id", "inboxes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_settings")),
        sa.UniqueConstraint("team_id", name=op.f("uq_routing_settings_team_id")),
        sa.UniqueConstraint("inbox_id", name=op.f("uq_routing_settings_inbox_id")),
    )
    op.create_table(
        "routing_agents",
        sa.Column("agent_id", BigId, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("channel_weights", Json, nullable=False),
        sa.Column("channel_caps", Json, nullable=False),
        sa.Column("calendar_id", BigId, nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        _fk("routing_agents", "agent_id", "agents"),
        _fk("routing_agents", "calendar_id", "calendars"),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_routing_agents")),
    )
    op.create_table(
        "routing_skills",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_skills")),
        sa.UniqueConstraint("name", name=op.f("uq_routing_skills_name")),
    )
    op.create_table(
        "routing_conversations",
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("required_skills", Json, nullable=False),
        sa.Column("preferred_skills", Json, nullable=False),
        sa.Column("widened_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        _fk("routing_conversations", "conversation_id", "conversations"),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_routing_conversations")),
    )


def downgrade() -> None:
    """Drop the routing tables."""
    for table in ("routing_conversations", "routing_skills", "routing_agents", "routing_settings"):
        op.drop_table(table)

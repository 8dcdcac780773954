"""macros: canned replies with placeholders and field changes, and the record of each use

Revision ID: 0026
Revises: 0025

`macros` holds each macro (personal, team or shared); `macro_usages` one row per application, read by the macros'
measures (uses, and conversations reopened within days of one) through `ix_macro_usages_macro`, each reopen check
through `ix_events_reopened` (a partial index of the log holding only `conversation.reopened` events).
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, Json, UTCDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

REOPENED = "name = 'conversation.reopened'"


def upgrade() -> None:
    """Create the two tables and their indexes."""
    op.create_table(
        "macros",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("owner_id", BigId, nullable=True),
        sa.Column("team_id", BigId, nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changes", Json, nullable=False),
        sa.Column("created_by_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("visibility IN ('personal', 'team', 'shared')", name=op.f("ck_macros_visibility")),
        sa.ForeignKeyConstraint(["owner_id"], ["agents.id"], name=op.f("fk_macros_owner_id_agents")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_macros_team_id_teams")),
        sa.ForeignKeyConstraint(["created_by_id"], ["agents.id"], name=op.f("fk_macros_created_by_id_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macros")),
    )
    op.create_index("ix_macros_owner", "macros", ["owner_id"])
    op.create_index("ix_macros_team", "macros", ["team_id"])
    op.create_table(
        "macro_usages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("macro_id", BigId, nullable=False),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("agent_id", BigId, nullable=True),
        sa.Column("message_id", BigId, nullable=True),
        sa.Column("applied_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reopen_until", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["macro_id"], ["macros.id"], name=op.f("fk_macro_usages_macro_id_macros"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_macro_usages_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_macro_usages_agent_id_agents")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_macro_usages_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macro_usages")),
    )
    op.create_index("ix_macro_usages_macro", "macro_usages", ["macro_id", "applied_at"])
    op.create_index("ix_macro_usages_conversation", "macro_usages", ["conversation_id", "applied_at"])
    op.create_index(
        "ix_events_reopened",
        "events",
        ["conversation_id", "occurred_at"],
        sqlite_where=sa.text(REOPENED),
        postgresql_where=sa.text(REOPENED),
    )


def downgrade() -> None:
    """Drop the reopen index and the tables (their indexes go with them)."""
    op.drop_index("ix_events_reopened", table_name="events")
    op.drop_table("macro_usages")
    op.drop_table("macros")

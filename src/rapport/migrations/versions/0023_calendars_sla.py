"""calendars and service targets: calendars and policies with effective-dated versions, clocks, conversations' due

Revision ID: 0023
Revises: 0022

Calendars and policies are never edited in place: each edit adds a version effective from a chosen instant, and a
clock keeps the versions it started under. `sla_clocks.next_at` is the next instant the due-time job has work on a
clock, in a partial index, so the job reads only due rows. Conversations carry their matched policy and the nearest
deadline (`sla_due_at`), in a partial index of active conversations for Due soon and "sort by due".
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, Json, UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ACTIVE_DUE = "status IN ('new', 'open', 'pending', 'on_hold') AND sla_due_at IS NOT NULL"


def _named(table: str) -> list:
    return [
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("name", name=op.f(f"uq_{table}_name")),
    ]


def _versioned(table: str, parent: str, parent_table: str) -> list:
    return [
        sa.Column("id", BigId, nullable=False),
        sa.Column(parent, BigId, nullable=False),
        sa.Column("effective_from", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            [parent], [f"{parent_table}.id"], name=op.f(f"fk_{table}_{parent}_{parent_table}"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["agents.id"], name=op.f(f"fk_{table}_created_by_id_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(parent, "effective_from", name=op.f(f"uq_{table}_{parent}_effective_from")),
    ]


def _stamps() -> list:
    return [
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    """Create calendars, policies, their versions and clocks; give conversations their policy and deadline."""
    op.create_table("calendars", *_named("calendars"), *_stamps())
    op.create_table(
        "sla_policies",
        *_named("sla_policies"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "calendar_versions",
        *_versioned("calendar_versions", "calendar_id", "calendars"),
        sa.Column("spec", Json, nullable=False),
        sa.Column("feed_name", sa.String(length=200), nullable=True),
        sa.Column("feed_opt_out", Json, nullable=False),
    )
    op.create_index("ix_calendar_versions_calendar", "calendar_versions", ["calendar_id", "effective_from"])
    op.create_table(
        "sla_policy_versions",
        *_versioned("sla_policy_versions", "policy_id", "sla_policies"),
        sa.Column("condition", Json, nullable=False),
        sa.Column("targets", Json, nullable=False),
    )
    op.create_index("ix_sla_policy_versions_policy", "sla_policy_versions", ["policy_id", "effective_from"])
    when = [
        sa.Column(name, UTCDateTime(timezone=True), nullable=True)
        for name in ("running_since", "due_at", "warn_at", "next_at", "warned_at", "breached_at", "stopped_at")
    ]
    op.create_table(
        "sla_clocks",
        sa.Column("id", BigId, nullable=False),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("policy_version_id", BigId, nullable=False),
        sa.Column("target", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("calendar_version_id", BigId, nullable=True),
        sa.Column("warn_share", sa.Float(), nullable=True),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("spent_seconds", sa.Integer(), nullable=False),
        *when,
        sa.Column("paused_reason", sa.String(length=32), nullable=True),
        sa.Column("measured_seconds", sa.Integer(), nullable=True),
        sa.Column("detail", Json, nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_version_id"],
            ["calendar_versions.id"],
            name=op.f("fk_sla_clocks_calendar_version_id_calendar_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_sla_clocks_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["sla_policy_versions.id"],
            name=op.f("fk_sla_clocks_policy_version_id_sla_policy_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clocks")),
    )
    op.create_index("ix_sla_clocks_conversation", "sla_clocks", ["conversation_id", "target"])
    op.create_index(
        "ix_sla_clocks_next",
        "sla_clocks",
        ["next_at", "id"],
        sqlite_where=sa.text("next_at IS NOT NULL"),
        postgresql_where=sa.text("next_at IS NOT NULL"),
    )
    op.create_index("ix_sla_clocks_policy_version", "sla_clocks", ["policy_version_id", "target", "state"])
    # Plain ADD COLUMN, not batch mode: on SQLite a batch copies the table and drops its full-text triggers.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE conversations ADD COLUMN sla_policy_id INTEGER "
            "CONSTRAINT fk_conversations_sla_policy_id_sla_policies REFERENCES sla_policies (id)"
        )
    else:
        op.add_column("conversations", sa.Column("sla_policy_id", BigId, nullable=True))
        op.create_foreign_key(
            op.f("fk_conversations_sla_policy_id_sla_policies"),
            "conversations",
            "sla_policies",
            ["sla_policy_id"],
            ["id"],
        )
    op.add_column("conversations", sa.Column("sla_due_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_conversations_active_due",
        "conversations",
        ["sla_due_at", "id"],
        sqlite_where=sa.text(ACTIVE_DUE),
        postgresql_where=sa.text(ACTIVE_DUE),
    )


def downgrade() -> None:
    """Drop the service-target columns of conversations, then clocks, policies and calendars."""
    op.drop_index("ix_conversations_active_due", table_name="conversations")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_conversations_sla_policy_id_sla_policies"), "conversations", type_="foreignkey")
    op.drop_column("conversations", "sla_due_at")
    op.drop_column("conversations", "sla_policy_id")
    for table in ("sla_clocks", "sla_policy_versions", "calendar_versions", "sla_policies", "calendars"):
        op.drop_table(table)

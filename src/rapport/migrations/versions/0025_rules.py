"""rules: ordered rules with immutable versions, their runs per event cycle, cascade marks and count tallies

Revision ID: 0025
Revises: 0024

`rule_runs` is unique per (rule, conversation, cycle): a rule fires at most once per conversation per event cycle,
and an event handed to the rules consumer twice finds its run. `rule_caused` marks the events rule actions wrote
(cycle, depth) so cascades are followed and stopped. `rule_tallies` are count rules' counted events, read through
`ix_rule_tallies_subject` (rule, subject, time) for rolling windows.
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, Json, UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the rules tables."""
    op.create_table(
        "rules",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("version_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_rules_name")),
    )
    op.create_table(
        "rule_versions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("rule_id", BigId, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", Json, nullable=False),
        sa.Column("created_by_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_rule_versions_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["agents.id"], name=op.f("fk_rule_versions_created_by_id_agents"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_versions")),
        sa.UniqueConstraint("rule_id", "number", name=op.f("uq_rule_versions_rule_id_number")),
    )
    op.create_table(
        "rule_runs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("rule_id", BigId, nullable=False),
        sa.Column("version_id", BigId, nullable=False),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("cycle_id", BigId, nullable=False),
        sa.Column("event_id", BigId, nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["rules.id"], name=op.f("fk_rule_runs_rule_id_rules"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_runs")),
        sa.UniqueConstraint(
            "rule_id", "conversation_id", "cycle_id", name=op.f("uq_rule_runs_rule_id_conversation_id_cycle_id")
        ),
    )
    op.create_index("ix_rule_runs_conversation", "rule_runs", ["conversation_id", "id"])
    op.create_table(
        "rule_caused",
        sa.Column("event_id", BigId, autoincrement=False, nullable=False),
        sa.Column("cycle_id", BigId, nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("rule_id", BigId, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_rule_caused")),
    )
    op.create_table(
        "rule_tallies",
        sa.Column("id", BigId, nullable=False),
        sa.Column("rule_id", BigId, nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("event_id", BigId, nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_rule_tallies_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_tallies")),
        sa.UniqueConstraint("rule_id", "event_id", name=op.f("uq_rule_tallies_rule_id_event_id")),
    )
    op.create_index("ix_rule_tallies_subject", "rule_tallies", ["rule_id", "subject", "occurred_at"])


def downgrade() -> None:
    """Drop the rules tables."""
    op.drop_index("ix_rule_tallies_subject", table_name="rule_tallies")
    op.drop_table("rule_tallies")
    op.drop_table("rule_caused")
    op.drop_index("ix_rule_runs_conversation", table_name="rule_runs")
    op.drop_table("rule_runs")
    op.drop_table("rule_versions")
    op.drop_table("rules")

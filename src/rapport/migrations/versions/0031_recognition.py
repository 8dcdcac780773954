"""recognition: who took part in an answered survey's conversation, kudos, follow-up tasks

Revision ID: 0031
Revises: 0030

A row of each table is unique per survey request (and agent, or kind): the consumer that fills them can be handed an
answer again (a re-answer, a replay) and updates instead of adding. The follow-ups' state and due time index is what
the lists of open follow-ups read; kudos are read newest first by agent, by team and for the whole wall.
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, Json, UTCDateTime

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, cascade: bool = False) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE" if cascade else None,
    )


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "recognition_attributions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("request_id", BigId, nullable=False),
        sa.Column("agent_id", BigId, nullable=False),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("team_id", BigId, nullable=True),
        sa.Column("replied", sa.Boolean(), nullable=False),
        sa.Column("assignee", sa.Boolean(), nullable=False),
        sa.Column("last_responder", sa.Boolean(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        _fk("recognition_attributions", "request_id", "survey_requests", cascade=True),
        _fk("recognition_attributions", "agent_id", "agents"),
        _fk("recognition_attributions", "conversation_id", "conversations", cascade=True),
        _fk("recognition_attributions", "team_id", "teams"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_attributions")),
        sa.UniqueConstraint("request_id", "agent_id", name=op.f("uq_recognition_attributions_request_id_agent_id")),
    )
    op.create_index("ix_recognition_attributions_agent", "recognition_attributions", ["agent_id", "updated_at"])
    op.create_table(
        "kudos",
        sa.Column("id", BigId, nullable=False),
        sa.Column("request_id", BigId, nullable=False),
        sa.Column("agent_id", BigId, nullable=False),
        sa.Column("team_id", BigId, nullable=True),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("customer_id", BigId, nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        _fk("kudos", "request_id", "survey_requests", cascade=True),
        _fk("kudos", "agent_id", "agents"),
        _fk("kudos", "team_id", "teams"),
        _fk("kudos", "conversation_id", "conversations", cascade=True),
        _fk("kudos", "customer_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos")),
        sa.UniqueConstraint("request_id", "agent_id", name=op.f("uq_kudos_request_id_agent_id")),
    )
    op.create_index("ix_kudos_agent", "kudos", ["agent_id", "created_at"])
    op.create_index("ix_kudos_team", "kudos", ["team_id", "created_at"])
    op.create_index("ix_kudos_created", "kudos", ["created_at"])
    op.create_table(
        "followups",
        sa.Column("id", BigId, nullable=False),
        sa.Column("request_id", BigId, nullable=False),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("customer_id", BigId, nullable=False),
        sa.Column("team_id", BigId, nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("owner_id", BigId, nullable=True),
        sa.Column("signals", Json, nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("calendar_version_id", BigId, nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("done_by_id", BigId, nullable=True),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        _fk("followups", "request_id", "survey_requests", cascade=True),
        _fk("followups", "conversation_id", "conversations", cascade=True),
        _fk("followups", "customer_id", "customers"),
        _fk("followups", "team_id", "teams"),
        _fk("followups", "owner_id", "agents"),
        _fk("followups", "done_by_id", "agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
        sa.UniqueConstraint("request_id", "kind", name=op.f("uq_followups_request_id_kind")),
    )
    op.create_index("ix_followups_state_due", "followups", ["state", "due_at"])
    op.create_index("ix_followups_owner", "followups", ["owner_id", "state"])
    op.create_index("ix_followups_team", "followups", ["team_id", "state"])


def downgrade() -> None:
    """Drop the three tables."""
    for index in ("ix_followups_team", "ix_followups_owner", "ix_followups_state_due"):
        op.drop_index(index, table_name="followups")
    op.drop_table("followups")
    for index in ("ix_kudos_created", "ix_kudos_team", "ix_kudos_agent"):
        op.drop_index(index, table_name="kudos")
    op.drop_table("kudos")
    op.drop_index("ix_recognition_attributions_agent", table_name="recognition_attributions")
    op.drop_table("recognition_attributions")

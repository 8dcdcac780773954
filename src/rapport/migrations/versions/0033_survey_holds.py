"""survey holds: "don't survey" per conversation (set by an agent or a macro); a survey's callback request time

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, UTCDateTime

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create survey_holds; add survey_requests.callback_requested_at."""
    op.create_table(
        "survey_holds",
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("agent_id", BigId, nullable=True),
        sa.Column("macro_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_survey_holds_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_survey_holds_agent_id_agents"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_survey_holds")),
    )  # fmt: skip
    op.add_column("survey_requests", sa.Column("callback_requested_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop survey_holds and the callback time."""
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy would reflect the expression indexes SQLite cannot.
    op.drop_column("survey_requests", "callback_requested_at")
    op.drop_table("survey_holds")

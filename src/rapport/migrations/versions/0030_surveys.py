"""surveys: definitions with versions (questions and send rules), requests (one per conversation per survey), answers

Revision ID: 0030
Revises: 0029

`survey_requests.due_at` with its state is what the due-time work reads (`ix_survey_requests_due`); the customer
index answers the per-customer cooldown; the target index finds the open survey an SMS or WhatsApp reply answers. An answer is unique per request and question: a re-answer updates it.
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, Json, UTCDateTime

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "surveys",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("name", name=op.f("uq_surveys_name")),
    )
    op.create_table(
        "survey_versions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("survey_id", BigId, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("questions", Json, nullable=False),
        sa.Column("rules", Json, nullable=False),
        sa.Column("created_by_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_versions_survey_id_surveys"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["agents.id"], name=op.f("fk_survey_versions_created_by_id_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_versions")),
        sa.UniqueConstraint("survey_id", "number", name=op.f("uq_survey_versions_survey_id_number")),
    )
    op.create_table(
        "survey_requests",
        sa.Column("id", BigId, nullable=False),
        sa.Column("survey_id", BigId, nullable=False),
        sa.Column("version_id", BigId, nullable=False),
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("customer_id", BigId, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("spent_hash", sa.String(length=64), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_requests_survey_id_surveys"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["survey_versions.id"], name=op.f("fk_survey_requests_version_id_survey_versions")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_survey_requests_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_survey_requests_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_requests")),
        sa.UniqueConstraint("conversation_id", "survey_id", name=op.f("uq_survey_requests_conversation_id_survey_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_requests_token_hash")),
    )
    op.create_index("ix_survey_requests_due", "survey_requests", ["state", "due_at"])
    op.create_index("ix_survey_requests_customer", "survey_requests", ["customer_id", "created_at"])
    op.create_index("ix_survey_requests_target", "survey_requests", ["target", "state"])
    op.create_table(
        "survey_answers",
        sa.Column("id", BigId, nullable=False),
        sa.Column("request_id", BigId, nullable=False),
        sa.Column("question", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("choice", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["survey_requests.id"],
            name=op.f("fk_survey_answers_request_id_survey_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("request_id", "question", name=op.f("uq_survey_answers_request_id_question")),
    )


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_table("survey_answers")
    op.drop_index("ix_survey_requests_target", table_name="survey_requests")
    op.drop_index("ix_survey_requests_customer", table_name="survey_requests")
    op.drop_index("ix_survey_requests_due", table_name="survey_requests")
    op.drop_table("survey_requests")
    op.drop_table("survey_versions")
    op.drop_table("surveys")

"""whatsapp statuses; portal sign-in links, customer sessions and rate-limit attempts

Revision ID: 0006
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, UTCDateTime

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "whatsapp_statuses",
        sa.Column("id", BigId, nullable=False),
        sa.Column("inbox_id", BigId, nullable=False),
        sa.Column("wamid", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["inbox_id"], ["inboxes.id"], name=op.f("fk_whatsapp_statuses_inbox_id_inboxes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_statuses")),
        sa.UniqueConstraint("inbox_id", "wamid", "status", name=op.f("uq_whatsapp_statuses_inbox_id_wamid_status")),
    )
    op.create_table(
        "portal_links",
        sa.Column("id", BigId, nullable=False),
        sa.Column("customer_id", BigId, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("verifies", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_portal_links_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_links_token_hash")),
    )
    op.create_index("ix_portal_links_customer_id", "portal_links", ["customer_id"])
    op.create_table(
        "portal_sessions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("customer_id", BigId, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_portal_sessions_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    op.create_index("ix_portal_sessions_customer_id", "portal_sessions", ["customer_id"])
    op.create_table(
        "portal_attempts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attempts")),
    )
    op.create_index("ix_portal_attempts_key", "portal_attempts", ["kind", "key", "created_at"])


def downgrade() -> None:
    """Drop them."""
    for table in ("portal_attempts", "portal_sessions", "portal_links", "whatsapp_statuses"):
        op.drop_table(table)

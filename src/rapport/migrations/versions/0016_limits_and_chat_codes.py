"""limits and chat codes: one table of rate-limited actions, sign-in failures by client, chat verification codes

The portal's own attempts table becomes the shared rate_hits table (every action that sends mail and the portal
form count there); login_attempts gains an index by client address (the sign-in limit per client); a chat
verification is now a code typed into the widget that asked, so it keeps the code's hash and the wrong tries; an
agent keeps when their password last changed (the token page points out tokens made before it).

Revision ID: 0016
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import BigId, UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create rate_hits (dropping portal_attempts), index login_attempts by ip, add the chat code and agent columns."""
    op.create_table(
        "rate_hits",
        sa.Column("id", BigId, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_hits")),
    )
    op.create_index("ix_rate_hits_key", "rate_hits", ["kind", "key", "created_at"])
    op.drop_index("ix_portal_attempts_key", table_name="portal_attempts")
    op.drop_table("portal_attempts")
    op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "attempted_at"])
    with op.batch_alter_table("chat_verifications") as batch:
        batch.add_column(sa.Column("code_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("password_changed_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Undo it (the counted hits are not kept)."""
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("password_changed_at")
    with op.batch_alter_table("chat_verifications") as batch:
        batch.drop_column("attempts")
        batch.drop_column("code_hash")
    op.drop_index("ix_login_attempts_ip_at", table_name="login_attempts")
    op.create_table(
        "portal_attempts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attempts")),
    )
    op.create_index("ix_portal_attempts_key", "portal_attempts", ["kind", "key", "created_at"])
    op.drop_index("ix_rate_hits_key", table_name="rate_hits")
    op.drop_table("rate_hits")

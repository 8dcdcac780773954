"""scheduler: the last period each periodic job fired for; indexes for purging old sign-in attempts and rate hits

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create periodic_runs; index login_attempts.attempted_at and rate_hits.created_at."""
    op.create_table(
        "periodic_runs",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("period", UTCDateTime(timezone=True), nullable=False),
        sa.Column("fired_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_runs")),
    )
    op.create_index("ix_login_attempts_at", "login_attempts", ["attempted_at"])
    op.create_index("ix_rate_hits_at", "rate_hits", ["created_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_rate_hits_at", table_name="rate_hits")
    op.drop_index("ix_login_attempts_at", table_name="login_attempts")
    op.drop_table("periodic_runs")

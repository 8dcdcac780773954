"""deferred indexes: what a bulk load into empty tables dropped, until it is built again

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from rapport.db.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create deferred_indexes."""
    op.create_table(
        "deferred_indexes",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("create_sql", sa.Text(), nullable=False),
        sa.Column("then_sql", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_deferred_indexes")),
    )


def downgrade() -> None:
    """Drop deferred_indexes."""
    op.drop_table("deferred_indexes")

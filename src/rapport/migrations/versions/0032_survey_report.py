"""survey report: requests found by survey and the instant they were sent

Revision ID: 0032
Revises: 0031

The report reads one survey's requests sent in a period (`/reports/surveys`): without this index every report scans
all requests; with it a 30-day slice of six months reads a sixth of them.
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the report's index."""
    op.create_index("ix_survey_requests_report", "survey_requests", ["survey_id", "sent_at"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_survey_requests_report", table_name="survey_requests")

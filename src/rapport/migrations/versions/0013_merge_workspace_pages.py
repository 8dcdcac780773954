"""merge the branches that landed side by side: supervisor board, webhooks, notifications, inbox views at scale

Revision ID: 0013
Revises: 0012_supervisor, 0012_webhooks, 0012_notifications, 0012_workbench
"""

revision = "0013"
down_revision = ("0012_supervisor", "0012_webhooks", "0012_notifications", "0012_workbench")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the branches into one head."""


def downgrade() -> None:
    """Nothing to change."""

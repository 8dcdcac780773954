"""merge the branches that landed side by side: email, Twilio, WhatsApp and portal, chat, inbox views, workspace

Revision ID: 0010
Revises: 0004, 0005, 0006, 0007, 0008, 0009
"""

revision = "0010"
down_revision = ("0004", "0005", "0006", "0007", "0008", "0009")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the branches into one head."""


def downgrade() -> None:
    """Nothing to change."""

"""message addressee: an outbound message names the customer it was written to (customer_id), as inbound ones do

Revision ID: 0019
Revises: 0018

Until now an agent's reply had no customer_id, and the portal and chat showed every such reply in a conversation
to its customer. A conversation merged from another customer's (before merges across customers were refused) thus
showed that other customer the replies written to them. Each reply is given its addressee: for a conversation
merged from another customer's, the customer of the conversation the reply was written in (its `message.sent`
event names that conversation); for every other reply, the conversation's customer.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    """Backfill the addressee of outbound messages (the merges across customers first)."""
    conn = op.get_bind()
    merged = conn.execute(
        sa.text(
            "SELECT s.id, s.customer_id FROM conversations s JOIN conversations t ON t.id = s.merged_into_id "
            "WHERE s.customer_id <> t.customer_id"
        )
    ).all()
    for source_id, customer_id in merged:
        ids = conn.scalars(
            sa.text(
                "SELECT message_id FROM events WHERE conversation_id = :c AND name = 'message.sent' "
                "AND message_id IS NOT NULL"
            ),
            {"c": source_id},
        ).all()
        for start in range(0, len(ids), BATCH):
            conn.execute(
                sa.text(
                    "UPDATE messages SET customer_id = :cust WHERE customer_id IS NULL AND direction = 'outbound' "
                    "AND id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"cust": customer_id, "ids": ids[start : start + BATCH]},
            )
    conn.execute(
        sa.text(
            "UPDATE messages SET customer_id = (SELECT c.customer_id FROM conversations c "
            "WHERE c.id = messages.conversation_id) WHERE customer_id IS NULL AND direction = 'outbound'"
        )
    )


def downgrade() -> None:
    """Outbound messages go back to naming no customer."""
    op.execute("UPDATE messages SET customer_id = NULL WHERE direction = 'outbound'")

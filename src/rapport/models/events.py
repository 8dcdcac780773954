"""The append-only event log: timeline, audit log and source of every metric."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, Json, UTCDateTime

# Reopens alone, as literal SQL: a partial index is used only when the query repeats its predicate literally. The
# macros' "reopened within days of a use" measure looks a conversation's reopens up through it (few rows, cheap
# to keep on every write, unlike another full index on the log).
REOPENED_SQL = "name = 'conversation.reopened'"


class Event(Base):
    """An immutable record that something happened, written in the transaction of the change."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_conversation", "conversation_id", "id"),
        Index("ix_events_customer", "customer_id", "id"),
        Index("ix_events_name", "name", "id"),
        Index(
            "ix_events_reopened",
            "conversation_id",
            "occurred_at",
            sqlite_where=text(REOPENED_SQL),
            postgresql_where=text(REOPENED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    # Plain ids, not foreign keys: the log outlives merges and must never block a write.
    conversation_id: Mapped[int | None] = mapped_column(BigId)
    customer_id: Mapped[int | None] = mapped_column(BigId)
    message_id: Mapped[int | None] = mapped_column(BigId)
    payload: Mapped[dict] = mapped_column(Json, default=dict)
    # Where the conversation was when it happened (None without a conversation): metrics segment by these without
    # following later moves. Rows older than migration 0019 hold the conversation's values at that migration.
    inbox_id: Mapped[int | None] = mapped_column(BigId)
    team_id: Mapped[int | None] = mapped_column(BigId)

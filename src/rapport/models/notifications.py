"""In-app notifications: what an agent should look at (assigned to them, mentioned, a customer replied)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, UTCDateTime

# Literal SQL, as for the active-conversation indexes: a partial index is used only when the query repeats it.
UNREAD_SQL = "read_at IS NULL"


class Notification(Base):
    """One thing for one agent to look at, made from the event `event_id` (the latest one, when replies collapse)."""

    __tablename__ = "notifications"
    __table_args__ = (
        # Each event notifies an agent once; the same index serves "latest 50 for agent X" (newest event first).
        UniqueConstraint("agent_id", "event_id"),
        # Only unread rows: the badge's count, "mark read" and the unread reply a new one collapses into.
        Index(
            "ix_notifications_unread",
            "agent_id",
            "conversation_id",
            sqlite_where=text(UNREAD_SQL),
            postgresql_where=text(UNREAD_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(32))  # assigned, mentioned, customer_replied, woke
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    event_id: Mapped[int] = mapped_column(BigId)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(400), default="")
    # How many events this row stands for: unread replies in one conversation collapse into one row.
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

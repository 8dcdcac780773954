"""Where each event consumer has read the event log up to, and the events it set aside."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rapport.db.base import Base
from rapport.db.types import BigId, UTCDateTime


class EventCursor(Base):
    """One consumer's position in the event log: every event with an id up to `last_id` has been handled."""

    __tablename__ = "event_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigId)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Failed tries of the event after `last_id` (0: all is well); at RAPPORT_EVENT_MAX_ATTEMPTS it is set aside.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class EventDeadLetter(Base):
    """An event a consumer failed to handle RAPPORT_EVENT_MAX_ATTEMPTS times: set aside so the cursor moves on."""

    __tablename__ = "event_dead_letters"
    __table_args__ = (Index("ix_event_dead_letters_consumer", "consumer", "event_id", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    consumer: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int] = mapped_column(BigId)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

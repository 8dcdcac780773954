"""Turning ORM rows into API shapes, loading related rows in batches (never lazily)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations import repository
from rapport.conversations.schemas import AttachmentOut, ConversationOut, EventOut, MessageOut
from rapport.models import Conversation, Event, Message


def _columns(row) -> dict:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "search"}


def conversations(session: Session, rows: list[Conversation]) -> list[ConversationOut]:
    """API shapes of several conversations, with their tags."""
    tags = repository.tags_for(session, [c.id for c in rows])
    return [ConversationOut.model_validate({**_columns(c), "number": c.id, "tags": tags[c.id]}) for c in rows]


def messages(session: Session, rows: list[Message]) -> list[MessageOut]:
    """API shapes of messages, with their attachments."""
    files = repository.attachments_for(session, [m.id for m in rows])
    return [
        MessageOut.model_validate(
            {**_columns(m), "attachments": [AttachmentOut.model_validate(a) for a in files[m.id]]}
        )
        for m in rows
    ]


def events(rows: list[Event]) -> list[EventOut]:
    """API shapes of events."""
    return [EventOut.model_validate(e) for e in rows]

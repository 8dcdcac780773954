"""Turning ORM rows into API shapes, loading related rows in batches (never lazily)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Row
from sqlalchemy.orm import Session

from rapport.categories import service as categories
from rapport.config import get_settings
from rapport.conversations import repository
from rapport.conversations.schemas import AttachmentOut, ConversationOut, MessageOut
from rapport.events.schemas import EventOut
from rapport.models import Conversation, Event, Message


def _columns(row, fields: tuple | None = None) -> dict:
    if isinstance(row, Row):
        return dict(zip(fields or row._fields, row, strict=True))
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in _MESSAGE_SKIP}


def conversation_dicts(session: Session, rows: list) -> list[dict]:
    """Conversations (ORM objects or rows) as JSON-ready dicts in the ConversationOut shape, with tags.

    The hot read paths skip Pydantic: its validation of 50 rows cost more than the query.
    """
    # A Row builds its _fields tuple on every access: take it once for the page.
    fields = rows[0]._fields if rows and isinstance(rows[0], Row) else None
    if fields and fields[-1] == "tag_list":  # the read paths fetch the tags with the row
        fields = fields[:-1]
        return [{**dict(zip(fields, c, strict=False)), "number": c.id, "tags": _tag_list(c.tag_list)} for c in rows]
    tags = repository.tags_for(session, [c.id for c in rows])
    named = {} if fields and "category" in fields else categories.names(session, [c.category_id for c in rows])
    out = [{**_columns(c, fields), "number": c.id, "tags": tags[c.id]} for c in rows]
    if named or not (fields and "category" in fields):
        for item in out:
            item["category"] = named.get(item["category_id"])
    return out


def _tag_list(value: list | None) -> list[str]:
    # json_agg gives NULL for no rows, json_group_array gives []; neither is sorted.
    return sorted(value) if value else []


def message_dicts(session: Session, rows: list[Message]) -> list[dict]:
    """Messages as JSON-ready dicts in the MessageOut shape, with their attachments."""
    fields = rows[0]._fields if rows and isinstance(rows[0], Row) else None
    files = repository.attachments_for(session, _with_files(rows, fields))
    fields = _shown(fields)
    return [
        {
            **(dict(zip(fields, m, strict=False)) if fields else _columns(m)),
            "attachments": [{k: getattr(a, k) for k in _ATTACHMENT} for a in files.get(m.id, ())],
        }
        for m in rows
    ]


def _with_files(rows: list, fields: tuple | None) -> list[int]:
    """The ids of the messages whose attachments must be read (rows from `latest_messages` say which)."""
    if fields and fields[-1] == "has_files":
        return [m.id for m in rows if m.has_files]
    return [m.id for m in rows]


def _shown(fields: tuple | None) -> tuple | None:
    return fields[:-1] if fields and fields[-1] == "has_files" else fields


def event_dicts(rows: list[Event]) -> list[dict]:
    """Events as JSON-ready dicts in the EventOut shape."""
    return [{k: getattr(e, k) for k in _EVENT} for e in rows]


_ATTACHMENT = tuple(AttachmentOut.model_fields)
_EVENT = tuple(EventOut.model_fields)
_MESSAGE_SKIP = {"meta", "delivery_sending_since"}


def conversations(session: Session, rows: list[Conversation]) -> list[ConversationOut]:
    """API shapes of several conversations, with their tags."""
    tags = repository.tags_for(session, [c.id for c in rows])
    named = categories.names(session, [c.category_id for c in rows])
    return [
        ConversationOut.model_validate(
            {**_columns(c), "number": c.id, "tags": tags[c.id], "category": named.get(c.category_id)}
        )
        for c in rows
    ]


def messages(session: Session, rows: list[Message]) -> list[MessageOut]:
    """API shapes of messages, with their attachments."""
    fields = rows[0]._fields if rows and isinstance(rows[0], Row) else None
    files = repository.attachments_for(session, _with_files(rows, fields))
    fields = _shown(fields)
    return [
        MessageOut.model_validate(
            {
                **(dict(zip(fields, m, strict=False)) if fields else _columns(m)),
                "attachments": [AttachmentOut.model_validate(a) for a in files.get(m.id, ())],
            }
        )
        for m in rows
    ]


def events(rows: list[Event]) -> list[EventOut]:
    """API shapes of events."""
    return [EventOut.model_validate(e) for e in rows]


def repeat_contact(session: Session, conv) -> dict | None:
    """ "3rd contact in 7 days": the conversation's place among the customer's recent ones, from the second on."""
    days = get_settings().repeat_contact_days
    ordinal = repository.contacts_between(
        session, conv.customer_id, conv.created_at - timedelta(days=days), conv.created_at
    )
    if ordinal < 2:
        return None
    suffix = "th" if 10 <= ordinal % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(ordinal % 10, "th")
    return {"ordinal": ordinal, "days": days, "text": f"{ordinal}{suffix} contact in {days} days"}

"""Voice queries: a call's message (its CallSid is the external id), callbacks, a phone inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.models import Callback, Inbox, Message


def call_for_update(session: Session, inbox_id: int, call_sid: str) -> Message | None:
    """The message recording call `call_sid` in the inbox, locked: callbacks for one call apply in turn."""
    return session.scalar(
        select(Message).where(Message.inbox_id == inbox_id, Message.external_id == call_sid).with_for_update()
    )


def callback_for_call(session: Session, call_sid: str) -> Callback | None:
    """The callback a call asked for, if any."""
    return session.scalar(select(Callback).where(Callback.call_sid == call_sid))


def callbacks(session: Session, *, state: str, due_before: datetime | None, limit: int) -> list[Callback]:
    """Callbacks in `state`, earliest due first, through the (state, due_at) index."""
    query = select(Callback).where(Callback.state == state)
    if due_before is not None:
        query = query.where(Callback.due_at <= due_before)
    return list(session.scalars(query.order_by(Callback.due_at, Callback.id).limit(limit)))


def inbox(session: Session, inbox_id: int, *, lock: bool = False) -> Inbox | None:
    """The inbox (locked when it is about to change)."""
    query = select(Inbox).where(Inbox.id == inbox_id)
    return session.scalar(query.with_for_update() if lock else query)

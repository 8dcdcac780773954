"""An outbound message's delivery status: every change goes through here and is recorded as one event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.agents.permissions import SYSTEM
from rapport.events.outbox import record
from rapport.models import Message


def set_status(session: Session, message: Message, status: str, *, error: str | None = None) -> None:
    """Move `message` to delivery `status` (keeping `error` when given) and record message.delivery_changed."""
    old = message.delivery_status
    message.delivery_status = status
    if error:
        message.delivery_error = error[:500]
    record(
        session,
        "message.delivery_changed",
        SYSTEM,
        conversation_id=message.conversation_id,
        customer_id=message.customer_id,
        message_id=message.id,
        from_=old,
        to=status,
        error=error[:500] if error else None,
    )

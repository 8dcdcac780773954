"""An outbound message's delivery status: every change goes through here and is recorded as one event.

The attempts are kept on the message (`meta["delivery"]`): how many were made, when the next one is due and, while
a send is in flight, since when (`sending_since`: an attempt recorded before the provider was called whose outcome
is not booked yet; after a crash it marks a send in doubt).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rapport.agents.permissions import SYSTEM
from rapport.events.outbox import record
from rapport.kit.clock import now
from rapport.models import Message
from rapport.models.enums import DeliveryStatus

# Statuses that mean the message reached the provider or the customer: a leftover error no longer applies.
SUCCESS = {DeliveryStatus.sent.value, DeliveryStatus.delivered.value, DeliveryStatus.read.value}


def set_status(session: Session, message: Message, status: str, *, error: str | None = None) -> None:
    """Move `message` to delivery `status` (keeping `error` when given) and record message.delivery_changed.

    A success clears the error of an earlier failed attempt and ends the attempt bookkeeping.
    """
    old = message.delivery_status
    message.delivery_status = status
    if error:
        message.delivery_error = error[:500]
    elif status in SUCCESS:
        message.delivery_error = None
    if status != DeliveryStatus.queued.value:
        _update(message, sending_since=None, next_attempt_at=None)
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


def attempts(message: Message) -> dict:
    """The message's delivery bookkeeping: attempts, sending_since, next_attempt_at (ISO times or None)."""
    info = (message.meta or {}).get("delivery") or {}
    return {
        "attempts": int(info.get("attempts") or 0),
        "sending_since": info.get("sending_since"),
        "next_attempt_at": info.get("next_attempt_at"),
    }


def attempt_started(message: Message) -> None:
    """Record, before the provider is called, that an attempt begins (committed on its own, ahead of the send)."""
    _update(message, attempts=attempts(message)["attempts"] + 1, sending_since=now().isoformat(), next_attempt_at=None)


def attempt_settled(message: Message) -> None:
    """The provider answered and the outcome is booked: the attempt is no longer in flight."""
    _update(message, sending_since=None, next_attempt_at=None)


def attempt_failed(message: Message, error: str, *, next_at: datetime | None) -> None:
    """An attempt failed and will be retried at `next_at`: keep the reason where people see it."""
    info = attempts(message)
    count = info["attempts"] if info["sending_since"] else info["attempts"] + 1
    message.delivery_error = error[:500]
    _update(message, attempts=count, sending_since=None, next_attempt_at=next_at.isoformat() if next_at else None)


def in_doubt(message: Message) -> bool:
    """True when an earlier attempt was recorded but its outcome never was (the process stopped mid-send)."""
    return attempts(message)["sending_since"] is not None


def _update(message: Message, **changes) -> None:
    info = {**((message.meta or {}).get("delivery") or {}), **changes}
    info = {k: v for k, v in info.items() if v is not None}
    meta = {k: v for k, v in (message.meta or {}).items() if k != "delivery"}
    if info:
        meta["delivery"] = info
    message.meta = meta  # a new dict, so the JSON column is seen as changed

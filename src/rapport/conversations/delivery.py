"""An outbound message's delivery status: every change goes through here and is recorded as one event.

The attempts are kept on the message: how many were made, when the next one is due and, while a send is in flight,
since when (`delivery_sending_since`: an attempt recorded before the provider was called whose outcome is not
booked yet; after a crash it marks a send in doubt).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM, Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, NotFound
from rapport.models import Message
from rapport.models.enums import DeliveryStatus, Direction
from rapport.worker import scheduler

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
        attempt_settled(message)
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
    """The message's delivery bookkeeping: attempts, sending_since, next_attempt_at."""
    return {
        "attempts": message.delivery_attempts or 0,
        "sending_since": message.delivery_sending_since,
        "next_attempt_at": message.delivery_next_at,
    }


def attempt_started(message: Message) -> None:
    """Record, before the provider is called, that an attempt begins (committed on its own, ahead of the send)."""
    message.delivery_attempts = (message.delivery_attempts or 0) + 1
    message.delivery_sending_since, message.delivery_next_at = now(), None


def attempt_settled(message: Message) -> None:
    """The provider answered and the outcome is booked: the attempt is no longer in flight."""
    message.delivery_sending_since = message.delivery_next_at = None


def attempt_failed(message: Message, error: str, *, next_at: datetime | None) -> None:
    """An attempt failed and will be retried at `next_at`: keep the reason where people see it."""
    if message.delivery_sending_since is None:  # it failed before reaching the provider (no sender, no address)
        message.delivery_attempts = (message.delivery_attempts or 0) + 1
    message.delivery_error = error[:500]
    message.delivery_sending_since, message.delivery_next_at = None, next_at


def in_doubt(message: Message) -> bool:
    """True when an earlier attempt was recorded but its outcome never was (the process stopped mid-send)."""
    return message.delivery_sending_since is not None


def job_key(message_id: int) -> str:
    """The dedupe key of a message's delivery job."""
    return f"deliver:{message_id}"


def retry(session: Session, actor: Actor, conversation_id: int, message_id: int) -> Message:
    """Try a failed (or backing-off) reply again now, at an agent's request; Conflict while a send is in flight."""
    authorize(actor, "conversations.write")
    message = session.get(Message, message_id, with_for_update=True)
    if message is None or message.conversation_id != conversation_id or message.direction != Direction.outbound:
        raise NotFound(f"There is no reply {message_id} in conversation {conversation_id}.")
    failed = message.delivery_status == DeliveryStatus.failed
    backing_off = message.delivery_status == DeliveryStatus.queued and message.delivery_error
    if not (failed or backing_off):
        raise Conflict(f"Reply {message_id} is {message.delivery_status}: only a failed delivery can be retried.")
    job = scheduler.find(session, job_key(message_id), lock=True)
    if job is not None and scheduler.running(job):
        raise Conflict(f"Reply {message_id} is being sent right now; wait for the outcome.")
    # A dead job (or one waiting for its backoff) gives way to a fresh one that runs at once with a full set of tries.
    scheduler.cancel(session, job_key(message_id))
    scheduler.schedule(session, "messages.deliver", job_key(message_id), now(), {"message_id": message_id})
    if failed:
        set_status(session, message, DeliveryStatus.queued.value)
    message.delivery_next_at = now()
    return message

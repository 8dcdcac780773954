"""Jobs for conversations: closing solved ones after the quiet period, waking snoozed ones, delivering outbound
messages.

Delivery runs outside any transaction (the handler is given the Database): a short write prepares the message and
records the attempt, the channel's network call runs with no transaction open (so a slow mail server holds no
writer's turn), and a second short write books the outcome. A process that dies between the provider's acceptance
and that second write leaves the attempt recorded with no outcome ("in doubt"); the retried job sends again, which
is the at-least-once promise documented in docs/channels.md (email resends with the same Message-ID).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from rapport.conversations import delivery, snooze
from rapport.conversations.status import move
from rapport.db.session import Database
from rapport.kernel import channels
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, Message
from rapport.models.enums import DeliveryStatus, Status
from rapport.worker import scheduler
from rapport.worker.runner import handler, on_failure

# Channels whose customers read replies inside Rapport (or pull them over the API): committed is delivered.
IN_APP = {"chat", "portal", "api"}


class Undeliverable(Exception):  # noqa: N818  (a verdict, not a fault)
    """Raised by a sender when retrying cannot help (no address, a refused header): the message is marked failed."""


@dataclass
class Outgoing:
    """A send a channel prepared in the transaction, made after it commits.

    `transmit()` does the network I/O with no session open and returns what the provider answered (raise
    Undeliverable for a permanent refusal, anything else to retry); `record(session, message, result)` books it
    in the next short transaction (the provider's id, its status).
    """

    transmit: Callable[[], Any]
    record: Callable[[Session, Message, Any], None]


@handler("conversations.auto_close")
def auto_close(session: Session, payload: dict) -> None:
    """Close a conversation that stayed solved for the configured days (RAPPORT_AUTO_CLOSE_AFTER_DAYS)."""
    conv = session.get(Conversation, payload["conversation_id"])
    if conv is not None and conv.status == Status.solved:
        move(session, SYSTEM, conv, Status.closed, reason="auto_close")


@handler(snooze.WAKE_JOB)
def wake(session: Session, payload: dict) -> None:
    """A snoozed conversation's time has come: back to the working views, its people told (snooze.wake)."""
    snooze.wake(session, payload["conversation_id"], datetime.fromisoformat(payload["until"]))


@handler("messages.deliver", outside_transaction=True)
def deliver(db: Database, payload: dict) -> None:
    """Hand an outbound message to its channel's sender, with no transaction open while the network is used."""
    message_id = payload["message_id"]
    with db.write() as session:
        outgoing = _prepare(session, message_id)
    if outgoing is None:
        return
    try:
        result = outgoing.transmit()
    except Undeliverable as exc:
        with db.write() as session:
            message = session.get(Message, message_id)
            if message is not None and message.delivery_status == DeliveryStatus.queued:
                delivery.set_status(session, message, DeliveryStatus.failed.value, error=str(exc))
        return
    with db.write() as session:
        message = session.get(Message, message_id)
        if message is None:
            return
        outgoing.record(session, message, result)
        if message.delivery_status == DeliveryStatus.queued:
            delivery.set_status(session, message, DeliveryStatus.sent.value)
        else:
            delivery.attempt_settled(message)


def _prepare(session: Session, message_id: int) -> Outgoing | None:
    """Settle what needs no network; else record the attempt (committed before the send) and return the send."""
    message = session.get(Message, message_id)
    if message is None or message.delivery_status != DeliveryStatus.queued:
        return None  # already handled: deliveries are at least once, so this must be a no-op
    # The channel adapter's sender either settles the message in the transaction (no network I/O allowed there)
    # and returns None, or returns an Outgoing whose network call the job makes after the transaction committed.
    found = channels.adapter(message.channel)
    sender = found.sender if found else None
    if sender is None and message.channel not in IN_APP:
        raise LookupError(
            f"no sender is connected for the '{message.channel}' channel; the message stays "
            "queued and is retried with backoff"
        )
    if sender is None:
        delivery.set_status(session, message, DeliveryStatus.delivered.value)
        return None
    try:
        outgoing = sender(session, message)
    except Undeliverable as exc:
        delivery.set_status(session, message, DeliveryStatus.failed.value, error=str(exc))
        return None
    if outgoing is not None:
        delivery.attempt_started(message)
        return outgoing
    if message.delivery_status == DeliveryStatus.queued:
        # The sender needed no network (or found the message sent before): it went out.
        delivery.set_status(session, message, DeliveryStatus.sent.value)
    return None


@on_failure("messages.deliver")
def delivery_failed(session: Session, payload: dict, error: str, dead: bool) -> None:
    """Record a failed delivery attempt on the message (reason, next try); once the job is dead it is failed."""
    message = session.get(Message, payload["message_id"])
    if message is None or message.delivery_status != DeliveryStatus.queued:
        return
    if dead:
        delivery.set_status(session, message, DeliveryStatus.failed.value, error=error)
        return
    next_at = scheduler.due_at(session, delivery.job_key(message.id))
    delivery.attempt_failed(message, error, next_at=next_at)

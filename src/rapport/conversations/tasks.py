"""Jobs for conversations: closing solved ones after the quiet period, delivering outbound messages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.agents.permissions import SYSTEM
from rapport.conversations import delivery
from rapport.conversations.status import move
from rapport.models import Conversation, Message
from rapport.models.enums import DeliveryStatus, Status
from rapport.worker.runner import handler, on_failure

# Channels whose customers read replies inside Rapport (or pull them over the API): committed is delivered.
IN_APP = {"chat", "portal", "api"}
SENDERS: dict[str, object] = {}


class Undeliverable(Exception):  # noqa: N818  (a verdict, not a fault)
    """Raised by a sender when retrying cannot help (no address, a refused header): the message is marked failed."""


@handler("conversations.auto_close")
def auto_close(session: Session, payload: dict) -> None:
    """Close a conversation that stayed solved for the configured days (RAPPORT_AUTO_CLOSE_AFTER_DAYS)."""
    conv = session.get(Conversation, payload["conversation_id"])
    if conv is not None and conv.status == Status.solved:
        move(session, SYSTEM, conv, Status.closed, reason="auto_close")


@handler("messages.deliver")
def deliver(session: Session, payload: dict) -> None:
    """Hand an outbound message to its channel's sender; in-app channels are delivered on commit."""
    message = session.get(Message, payload["message_id"])
    if message is None or message.delivery_status != DeliveryStatus.queued:
        return  # already handled: deliveries are at least once, so this must be a no-op
    sender = SENDERS.get(message.channel)
    if sender is None and message.channel not in IN_APP:
        raise LookupError(
            f"no sender is connected for the '{message.channel}' channel; the message stays "
            "queued and is retried with backoff"
        )
    error = None
    if sender is not None:
        try:
            sender(session, message)
        except Undeliverable as exc:
            error = str(exc)
        if error is None and message.delivery_status != DeliveryStatus.queued:
            return  # the sender settled the outcome and recorded it (sent with its provider id, or failed for good)
    if error is not None:
        delivery.set_status(session, message, DeliveryStatus.failed.value, error=error)
    else:
        delivery.set_status(
            session, message, (DeliveryStatus.delivered if sender is None else DeliveryStatus.sent).value
        )


@on_failure("messages.deliver")
def delivery_failed(session: Session, payload: dict, error: str, dead: bool) -> None:
    """Record a failed delivery attempt on the message; once the job is dead the message is failed."""
    message = session.get(Message, payload["message_id"])
    if message is None or message.delivery_status != DeliveryStatus.queued:
        return
    if dead:
        delivery.set_status(session, message, DeliveryStatus.failed.value, error=error)
    else:
        message.delivery_error = error[:500]

"""The human queue: a customer who asks for a person is flagged until an agent answers them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations import repository
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.models import Conversation


def request_human(session: Session, actor: Actor, conversation_id: int, *, channel: str, via: str) -> Conversation:
    """Flag the conversation for a person (`via`: e.g. "chat_button", "ivr_0", "ivr_speech"); idempotent."""
    conv = repository.get_for_update(session, conversation_id)
    if conv.human_requested_at is None:
        conv.human_requested_at = conv.updated_at = now()
        record(
            session,
            "conversation.human_requested",
            actor,
            conversation_id=conv.id,
            customer_id=conv.customer_id,
            channel=channel,
            via=via,
        )
    return conv


def answered(session: Session, actor: Actor, conv: Conversation) -> None:
    """An agent replied: the request for a person is met (the wait is in the event, for metrics)."""
    if conv.human_requested_at is None or actor.kind != "agent":
        return
    requested, conv.human_requested_at = conv.human_requested_at, None
    record(
        session,
        "conversation.human_answered",
        actor,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        from_=requested.isoformat(),
        to=now().isoformat(),
    )

"""The human queue: a customer who asks for a person is flagged until an agent answers them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations import repository
from rapport.conversations.lifecycle import HumanRequested
from rapport.conversations.lifecycle.orm import apply
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.models import Conversation


def request_human(session: Session, actor: Actor, conversation_id: int, *, channel: str, via: str) -> Conversation:
    """Flag the conversation for a person (`via`: e.g. "chat_button", "ivr_0", "ivr_speech"); idempotent."""
    conv = repository.get_for_update(session, conversation_id)
    apply(session, actor, conv, HumanRequested(now(), channel=channel, via=via))
    return conv

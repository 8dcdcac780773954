"""Merging one conversation into another: messages, tags and the history move; the source closes."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rapport.conversations import repository
from rapport.conversations.lifecycle import MergedAway, TookIn
from rapport.conversations.lifecycle import orm as lifecycle
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict
from rapport.models import Conversation, ConversationTag, Message
from rapport.models.enums import Status


def merge(session: Session, actor: Actor, source_id: int, target_id: int) -> Conversation:
    """Fold conversation `source_id` into `target_id` and return the target."""
    authorize(actor, "conversations.merge")
    if source_id == target_id:
        raise Conflict("A conversation cannot be merged into itself.")
    # Lock in id order so two opposite merges cannot deadlock.
    first, second = sorted((source_id, target_id))
    locked = {c.id: c for c in (repository.get_for_update(session, first), repository.get_for_update(session, second))}
    source, target = locked[source_id], locked[target_id]
    for conv in (source, target):
        if conv.merged_into_id:
            raise Conflict(f"Conversation {conv.id} was already merged into {conv.merged_into_id}.")
    if target.status == Status.closed:
        raise Conflict(f"Conversation {target.id} is closed and cannot take in another conversation.")
    if source.customer_id != target.customer_id:
        # The target's customer would read the source's messages (portal, chat history, quoted replies): that
        # they are one person is an identity decision, taken and recorded by merging the customers first.
        raise Conflict(
            f"Conversation {source.id} belongs to customer {source.customer_id} and conversation {target.id} to "
            f"customer {target.customer_id}: merge the customers first (if they are one person), then the "
            "conversations.",
            source_customer_id=source.customer_id,
            target_customer_id=target.customer_id,
        )
    moved = session.execute(
        update(Message).where(Message.conversation_id == source.id).values(conversation_id=target.id)
    ).rowcount
    have = set(session.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == target.id)))
    for tag in session.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == source.id)):
        if tag not in have:
            session.add(ConversationTag(conversation_id=target.id, tag=tag))
    stamp = now()
    target.message_count += moved
    source.message_count = 0
    lifecycle.apply(session, actor, target, TookIn(stamp, source.last_message_at, source.last_inbound_at))
    lifecycle.apply(session, actor, source, MergedAway(target.id, stamp))
    for conv in (source, target):
        record(
            session,
            "conversation.merged",
            actor,
            conversation_id=conv.id,
            customer_id=conv.customer_id,
            source_id=source.id,
            target_id=target.id,
        )
    return target

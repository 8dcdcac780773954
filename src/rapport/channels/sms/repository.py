"""SMS queries: the outbound message a status callback is about, and the number a reply goes to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.models import Conversation, Identity, Message
from rapport.models.enums import Direction


def outbound_for_update(session: Session, inbox_id: int, message_id: int) -> Message | None:
    """The outbound message `message_id` of the inbox, locked until the transaction ends."""
    return session.scalar(
        select(Message)
        .where(Message.id == message_id, Message.inbox_id == inbox_id, Message.direction == Direction.outbound.value)
        .with_for_update()
    )


def customer_number(session: Session, message: Message) -> str | None:
    """Where a reply goes: the number the customer last wrote or called from here, else their phone identity."""
    meta = session.scalar(
        select(Message.meta)
        .where(
            Message.conversation_id == message.conversation_id,
            Message.direction == Direction.inbound.value,
            Message.channel.in_(("sms", "phone")),
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    if meta and meta.get("from"):
        return meta["from"]
    customer_id = session.scalar(select(Conversation.customer_id).where(Conversation.id == message.conversation_id))
    return session.scalar(
        select(Identity.address)
        .where(Identity.customer_id == customer_id, Identity.kind == "phone")
        .order_by(Identity.id.desc())
        .limit(1)
    )

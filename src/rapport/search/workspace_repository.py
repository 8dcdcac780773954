"""The search page's queries: what a result line shows beyond the hit itself, for a page of hits at once."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from rapport.models import Agent, Conversation, Customer, Inbox, Message


def conversations(session: Session, ids: list[int]) -> dict[int, Row]:
    """Conversations by id with their channel, inbox, assignee and customer's name."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            Conversation.id,
            Conversation.channel,
            Inbox.name.label("inbox_name"),
            Agent.name.label("assignee_name"),
            Customer.name.label("customer_name"),
        )
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .join(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(Agent, Agent.id == Conversation.assignee_id)
        .where(Conversation.id.in_(ids))
    )
    return {r.id: r for r in rows}


def messages(session: Session, ids: list[int]) -> dict[int, Row]:
    """Messages by id with their channel and direction."""
    if not ids:
        return {}
    rows = session.execute(select(Message.id, Message.channel, Message.direction).where(Message.id.in_(ids)))
    return {r.id: r for r in rows}

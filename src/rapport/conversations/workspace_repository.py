"""The agent workspace's queries: inbox lists and counts, a customer's other conversations, repeat contacts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from rapport.models import Agent, Conversation, ConversationTag, Customer, Event, Message, SavedView


@dataclass
class InboxFilter:
    """What an inbox view shows; None leaves a filter off. `team_ids=[]` matches nothing (no teams)."""

    status: list[str] | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    team_ids: list[int] | None = None
    inbox_id: int | None = None
    channel: str | None = None
    tag: str | None = None
    category: str | None = None
    priority: str | None = None
    waiting: bool = False  # only conversations whose customer wrote last-ish: has an inbound, not on pending/hold


def _where(query, flt: InboxFilter):
    query = query.where(Conversation.merged_into_id.is_(None))
    if flt.status:
        query = query.where(Conversation.status.in_(flt.status))
    if flt.assignee_id is not None:
        query = query.where(Conversation.assignee_id == flt.assignee_id)
    if flt.unassigned:
        query = query.where(Conversation.assignee_id.is_(None))
    if flt.team_ids is not None:
        query = query.where(Conversation.team_id.in_(flt.team_ids or [-1]))
    for attr in ("inbox_id", "channel", "category", "priority"):
        value = getattr(flt, attr)
        if value is not None:
            query = query.where(getattr(Conversation, attr) == value)
    if flt.tag:
        query = query.where(
            Conversation.id.in_(select(ConversationTag.conversation_id).where(ConversationTag.tag == flt.tag))
        )
    if flt.waiting:
        query = query.where(Conversation.last_inbound_at.is_not(None))
    return query


def inbox_page(session: Session, flt: InboxFilter, *, limit: int, offset: int = 0) -> list[Row]:
    """One page of a view with the customer's and assignee's names; waiting views oldest inbound first."""
    query = (
        select(
            Conversation.id,
            Conversation.subject,
            Conversation.status,
            Conversation.priority,
            Conversation.channel,
            Conversation.inbox_id,
            Conversation.assignee_id,
            Conversation.team_id,
            Conversation.last_inbound_at,
            Conversation.updated_at,
            Conversation.message_count,
            Customer.name.label("customer_name"),
            Agent.name.label("assignee_name"),
        )
        .join(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(Agent, Agent.id == Conversation.assignee_id)
    )
    query = _where(query, flt)
    if flt.waiting:
        query = query.order_by(Conversation.last_inbound_at.asc(), Conversation.id.asc())
    else:
        query = query.order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    return list(session.execute(query.limit(limit).offset(offset)))


def inbox_count(session: Session, flt: InboxFilter) -> int:
    """How many conversations a view holds."""
    return session.scalar(_where(select(func.count()).select_from(Conversation), flt))


def saved_views(session: Session, agent_id: int) -> list[SavedView]:
    """An agent's saved views, by name."""
    return list(session.scalars(select(SavedView).where(SavedView.agent_id == agent_id).order_by(SavedView.name)))


def saved_view(session: Session, agent_id: int, view_id: int) -> SavedView | None:
    """One of the agent's saved views."""
    return session.scalar(select(SavedView).where(SavedView.id == view_id, SavedView.agent_id == agent_id))


def customer_conversations(session: Session, customer_id: int, *, limit: int) -> list[Row]:
    """The customer's conversations, newest first (merged ones left out)."""
    return list(
        session.execute(
            select(
                Conversation.id,
                Conversation.subject,
                Conversation.status,
                Conversation.channel,
                Conversation.created_at,
            )
            .where(Conversation.customer_id == customer_id, Conversation.merged_into_id.is_(None))
            .order_by(Conversation.created_at.desc(), Conversation.id.desc())
            .limit(limit)
        )
    )


def all_messages(session: Session, conversation_id: int, *, limit: int) -> list[Message]:
    """The conversation's messages, oldest first (the newest `limit`)."""
    rows = list(
        session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id.desc()).limit(limit)
        )
    )
    rows.reverse()
    return rows


def events_of(session: Session, conversation_id: int, names_excluded: set[str], *, limit: int) -> list[Event]:
    """The conversation's events other than the excluded names, oldest first (the newest `limit`)."""
    rows = list(
        session.scalars(
            select(Event)
            .where(Event.conversation_id == conversation_id, Event.name.not_in(names_excluded))
            .order_by(Event.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return rows


def agent_names(session: Session) -> dict[int, str]:
    """Every agent's name by id (events name who did what)."""
    return {r.id: r.name for r in session.execute(select(Agent.id, Agent.name))}

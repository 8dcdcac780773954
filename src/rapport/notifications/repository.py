"""Every query of notifications: the batch lookups the consumer needs, and the agent's own rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from rapport.db.bulk import dialect_insert
from rapport.models import Agent, Conversation, Customer, Message, Notification, agent_teams

# The partial index holds only unread rows; queries state its predicate (`read_at IS NULL`) to use it.
UNREAD = Notification.read_at.is_(None)
TABLE = Notification.__table__


def conversations(session: Session, ids: Iterable[int]) -> dict[int, Row]:
    """The conversations a batch of events names: assignee, subject and customer name, in one query."""
    ids = set(ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            Conversation.id,
            Conversation.assignee_id,
            Conversation.team_id,
            Conversation.subject,
            Customer.name.label("customer_name"),
        )
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.id.in_(ids))
    )
    return {r.id: r for r in rows}


def team_members(session: Session, team_ids: Iterable[int]) -> dict[int, list[int]]:
    """The active members of each team a batch names (who hears of an unassigned conversation waking)."""
    team_ids = set(team_ids)
    if not team_ids:
        return {}
    out: dict[int, list[int]] = {t: [] for t in team_ids}
    rows = session.execute(
        select(agent_teams.c.team_id, agent_teams.c.agent_id)
        .join(Agent, Agent.id == agent_teams.c.agent_id)
        .where(agent_teams.c.team_id.in_(team_ids), Agent.active.is_(True))
        .order_by(agent_teams.c.agent_id)
    )
    for r in rows:
        out[r.team_id].append(r.agent_id)
    return out


def agent_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The names of the agents who acted in a batch."""
    ids = set(ids)
    if not ids:
        return {}
    return {r.id: r.name for r in session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(ids)))}


def message_texts(session: Session, ids: Iterable[int], *, chars: int) -> dict[int, str]:
    """The start of the plain text of the messages a batch names (notes that mention, customers' replies)."""
    ids = set(ids)
    if not ids:
        return {}
    # Only the first `chars` characters leave the database: a summary needs no more of a long email.
    query = select(Message.id, func.substr(Message.body_text, 1, chars).label("start")).where(Message.id.in_(ids))
    return {r.id: r.start for r in session.execute(query)}


def unread_replies(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Row]:
    """The unread 'customer replied' row of each (agent, conversation), which a new reply joins instead."""
    pairs = set(pairs)
    if not pairs:
        return {}
    # Plain rows, not ORM objects: a busy batch touches hundreds. Two IN lists (not a row-value IN) so both
    # backends search the unread index by both columns.
    rows = session.execute(
        select(
            Notification.id,
            Notification.agent_id,
            Notification.conversation_id,
            Notification.event_id,
            Notification.count.label("times"),  # not `count`: a Row is a tuple, and tuple.count is a method
        ).where(
            UNREAD,
            Notification.kind == "customer_replied",
            Notification.agent_id.in_({a for a, _ in pairs}),
            Notification.conversation_id.in_({c for _, c in pairs}),
        )
    )
    return {key: r for r in rows if (key := (r.agent_id, r.conversation_id)) in pairs}


def insert(session: Session, rows: list[dict]) -> None:
    """Add notifications in one statement; an (agent, event) pair already stored is skipped (at-least-once)."""
    if not rows:
        return
    stmt = dialect_insert(session, TABLE).on_conflict_do_nothing(index_elements=["agent_id", "event_id"])
    session.execute(stmt, rows)


def update_replies(session: Session, rows: list[dict]) -> None:
    """Store what later replies changed on unread rows (id, event_id, count, summary, updated_at), in one statement."""
    if not rows:
        return
    c = TABLE.c
    stmt = (
        update(TABLE)
        .where(c.id == bindparam("row_id"))
        .values(
            event_id=bindparam("new_event_id"),
            count=bindparam("new_count"),
            summary=bindparam("new_summary"),
            updated_at=bindparam("new_updated_at"),
        )
    )
    keys = ("event_id", "count", "summary", "updated_at")
    session.execute(stmt, [{"row_id": r["id"], **{f"new_{k}": r[k] for k in keys}} for r in rows])


def unread_count(session: Session, agent_id: int, *, cap: int) -> int:
    """How many unread notifications the agent has, counting no further than `cap` (an index range, never more)."""
    capped = select(Notification.id).where(Notification.agent_id == agent_id, UNREAD).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def latest(session: Session, agent_id: int, *, limit: int) -> list[Notification]:
    """The agent's newest notifications (by the latest event each stands for)."""
    query = (
        select(Notification)
        .where(Notification.agent_id == agent_id)
        .order_by(Notification.event_id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def own(session: Session, agent_id: int, notification_id: int) -> Notification | None:
    """One of the agent's own notifications; None when it does not exist or belongs to someone else."""
    return session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.agent_id == agent_id)
    )


def mark_read(session: Session, agent_id: int, at: datetime, *, conversation_id: int | None = None) -> int:
    """Mark the agent's unread notifications (about one conversation, or all) read; returns how many."""
    query = update(Notification).where(Notification.agent_id == agent_id, UNREAD)
    if conversation_id is not None:
        query = query.where(Notification.conversation_id == conversation_id)
    return session.execute(query.values(read_at=at).execution_options(synchronize_session=False)).rowcount

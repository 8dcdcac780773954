"""The board's queries: one aggregate over active conversations, the oldest waiting ones, the human queue.

Every statement repeats `ACTIVE_SQL` (or `WAITING_SQL`) literally, so the planner may use the partial indexes
that hold only active conversations; the board's cost grows with the open work, not with the millions of solved
and closed conversations. SQLite is told the index (`INDEXED BY`, so these two are text): without statistics
(Rapport does not ANALYZE SQLite) its planner takes the status index and a sort, and if the predicate ever stopped
matching the index the statement would fail loudly instead of scanning slowly.
"""

from __future__ import annotations

from sqlalchemy import Integer, Row, String, column, func, select, text
from sqlalchemy.orm import Session

from rapport.conversations.workspace_repository import listed
from rapport.db.types import UTCDateTime
from rapport.models import Agent, Conversation, Inbox, Team
from rapport.models.conversations import ACTIVE_SQL, WAITING_SQL

# "Waiting" is the inbox's "Waiting longest" view (conversations.inbox): new or open, and the customer has written.
# Merged conversations are closed (conversations.merge), so no active one is merged.
WAITS = f"{WAITING_SQL} AND last_inbound_at IS NOT NULL"


def _conversations(session: Session, index: str) -> str:
    """The conversations table, read through `index` on SQLite (whose planner would otherwise pick another)."""
    return f"conversations INDEXED BY {index}" if session.get_bind().dialect.name == "sqlite" else "conversations"


def load(session: Session) -> list[Row]:
    """Active conversations counted by (inbox, channel, assignee): how many, how many waiting, the oldest wait.

    One pass over the covering partial index `ix_conversations_active_board`, in its order (no sort); the service
    folds the few hundred groups into queue rows and agent loads.
    """
    # Every piece of this text is a constant of ours: nothing from a request reaches it.
    statement = text(
        f"SELECT inbox_id, channel, assignee_id, count(*) AS active, "  # noqa: S608
        f"sum(CASE WHEN {WAITS} THEN 1 ELSE 0 END) AS waiting, "
        f"min(CASE WHEN {WAITS} THEN last_inbound_at END) AS oldest_waiting "
        f"FROM {_conversations(session, 'ix_conversations_active_board')} WHERE {ACTIVE_SQL} "
        "GROUP BY inbox_id, channel, assignee_id"
    ).columns(
        column("inbox_id", Integer),
        column("channel", String),
        column("assignee_id", Integer),
        column("active", Integer),
        column("waiting", Integer),
        column("oldest_waiting", UTCDateTime),
    )
    return list(session.execute(statement))


def oldest_waiting(session: Session, *, limit: int) -> list[Row]:
    """The conversations waiting longest (oldest inbound first) that are not in the human queue (listed apart).

    The ids are read in order from `ix_conversations_waiting`, so it stops after `limit` however many wait.
    """
    ids = (
        text(
            f"SELECT id FROM {_conversations(session, 'ix_conversations_waiting')} "  # noqa: S608 (constants only)
            f"WHERE {WAITS} AND human_requested_at IS NULL ORDER BY last_inbound_at, id LIMIT :limit"
        )
        .bindparams(limit=limit)
        .columns(column("id", Integer))
    )
    query = listed().where(Conversation.id.in_(ids)).order_by(Conversation.last_inbound_at, Conversation.id)
    return list(session.execute(query))


def human_queue(session: Session, *, limit: int) -> list[Row]:
    """Active conversations whose customer asked for a person, oldest request first."""
    query = (
        listed()
        .where(Conversation.human_requested_at.is_not(None), text(ACTIVE_SQL))
        .order_by(Conversation.human_requested_at.asc(), Conversation.id.asc())
        .limit(limit)
    )
    return list(session.execute(query))


def human_queue_size(session: Session) -> int:
    """How many active conversations wait for a person (the list may show fewer)."""
    query = (
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.human_requested_at.is_not(None), text(ACTIVE_SQL))
    )
    return session.scalar(query) or 0


def agents(session: Session) -> list[Row]:
    """Active agents with their availability, by name."""
    query = select(Agent.id, Agent.name, Agent.role, Agent.availability).where(Agent.active.is_(True))
    return list(session.execute(query.order_by(Agent.name, Agent.id)))


def agent_name(session: Session, agent_id: int) -> str:
    """One agent's name."""
    return session.scalar(select(Agent.name).where(Agent.id == agent_id)) or f"agent {agent_id}"


def team_name(session: Session, team_id: int) -> str:
    """One team's name."""
    return session.scalar(select(Team.name).where(Team.id == team_id)) or f"team {team_id}"


def teams(session: Session) -> list[Row]:
    """Every team, by name."""
    return list(session.execute(select(Team.id, Team.name).order_by(Team.name, Team.id)))


def inboxes(session: Session) -> list[Row]:
    """Every inbox: id, name, channel and whether it is active."""
    return list(session.execute(select(Inbox.id, Inbox.name, Inbox.channel, Inbox.active).order_by(Inbox.id)))

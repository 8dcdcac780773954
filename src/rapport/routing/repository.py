"""Every query of routing: the setting that applies, the pool of agents with their load, the customer's previous
agent, and the queue of unassigned conversations in routing order."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import Row, Select, Text, case, cast, func, or_, select, text
from sqlalchemy.orm import Session

from rapport.models import (
    Agent,
    AgentRouting,
    Conversation,
    ConversationRouting,
    Inbox,
    RoutingSetting,
    RoutingSkill,
    Team,
    agent_teams,
)
from rapport.models.conversations import ACTIVE_SQL, PRIORITY_RANK_SQL
from rapport.models.enums import Availability, Status

# A conversation counts toward its agent's load while it waits on them: new or open (pending waits on the
# customer, on hold on a third party).
LOAD_STATUSES = (Status.new.value, Status.open.value)
PRIORITY_RANK = case(
    {"urgent": 3, "high": 2, "normal": 1},
    value=Conversation.priority,
    else_=0,
)
assert "'urgent' THEN 3" in PRIORITY_RANK_SQL  # the queue ranks priorities as the inbox's sort does


def lock_conversation(session: Session, conversation_id: int) -> Conversation | None:
    """The conversation, locked until the transaction ends (PostgreSQL; SQLite's write transaction is the lock)."""
    # populate_existing: a conversation already in the session is read again as the lock finds it; what this
    # transaction changed is flushed first, so nothing of it is lost.
    session.flush()
    query = select(Conversation).where(Conversation.id == conversation_id).execution_options(populate_existing=True)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def setting_for(session: Session, inbox_id: int, team_id: int | None) -> tuple[RoutingSetting | None, str]:
    """The setting that routes a conversation of `inbox_id` and `team_id` (the inbox's, else the team's, else the
    inbox's team's) and the queue's name."""
    inbox = session.get(Inbox, inbox_id)
    by_inbox = session.scalar(select(RoutingSetting).where(RoutingSetting.inbox_id == inbox_id))
    if by_inbox is not None:
        return by_inbox, inbox.name if inbox else f"inbox {inbox_id}"
    for candidate in (team_id, inbox.team_id if inbox else None):
        if candidate is None:
            continue
        found = session.scalar(select(RoutingSetting).where(RoutingSetting.team_id == candidate))
        if found is not None:
            team = session.get(Team, candidate)
            return found, team.name if team else f"team {candidate}"
    return None, ""


def any_setting(session: Session) -> bool:
    """Whether any team or inbox is routed (else routing leaves every conversation alone)."""
    return session.scalar(select(RoutingSetting.id).limit(1)) is not None


def pool_team(session: Session, setting: RoutingSetting, inbox_id: int, team_id: int | None) -> int | None:
    """The team whose members the setting routes to (None: every active agent)."""
    if setting.team_id is not None:
        return setting.team_id
    if team_id is not None:
        return team_id
    inbox = session.get(Inbox, inbox_id)
    return inbox.team_id if inbox else None


def agents(session: Session, team_id: int | None, *, online_only: bool = False) -> list[Row]:
    """The active agents of `team_id` (every active agent when None; only those online with `online_only`) with their
    routing columns (None when the agent has no routing row). Plain rows: a decision reads a few hundred of them."""
    R = AgentRouting
    query = (
        select(
            Agent.id,
            Agent.name,
            Agent.availability,
            Agent.active,
            Agent.skills,
            R.capacity,
            R.channel_weights,
            R.channel_caps,
            R.calendar_id,
        )  # fmt: skip
        .outerjoin(R, R.agent_id == Agent.id)
        .where(Agent.active.is_(True))
        .order_by(Agent.id)
    )
    if online_only:
        query = query.where(Agent.availability == Availability.online.value)
    if team_id is not None:
        query = query.join(agent_teams, agent_teams.c.agent_id == Agent.id).where(agent_teams.c.team_id == team_id)
    # Core through the connection, not the ORM session: no ORM entities here, and it halves the per-call overhead.
    return list(session.connection().execute(query))


class Member(NamedTuple):
    """An online agent of a pool as the decision reads them (skills and tables parsed once per distinct value)."""

    id: int
    name: str
    skills: frozenset[str]
    capacity: int | None
    weights: Mapping[str, float]
    caps: Mapping[str, int]
    calendar_id: int | None


def roster(session: Session, team_id: int | None) -> list[Member]:
    """The online active agents of `team_id` (everyone's when None) for a decision.

    The JSON columns are read as text and parsed through a bounded cache: a few hundred agents hold a handful of
    distinct skill sets and weight tables, so a decision parses almost nothing.
    """
    R = AgentRouting
    query = (
        select(
            Agent.id,
            Agent.name,
            cast(Agent.skills, Text),
            R.capacity,
            cast(R.channel_weights, Text),
            cast(R.channel_caps, Text),
            R.calendar_id,
        )  # fmt: skip
        .outerjoin(R, R.agent_id == Agent.id)
        .where(Agent.active.is_(True), Agent.availability == Availability.online.value)
        .order_by(Agent.id)
    )
    if team_id is not None:
        query = query.join(agent_teams, agent_teams.c.agent_id == Agent.id).where(agent_teams.c.team_id == team_id)
    return [
        Member(i, name, _skills(skills), capacity, _table(weights), _table(caps), calendar_id)
        for i, name, skills, capacity, weights, caps, calendar_id in session.connection().execute(query)
    ]


_EMPTY: Mapping = MappingProxyType({})


@lru_cache(maxsize=4096)
def _skills(text: str | None) -> frozenset[str]:
    return frozenset(json.loads(text)) if text else frozenset()


@lru_cache(maxsize=4096)
def _table(text: str | None) -> Mapping:
    # Read-only: the parsed value is shared by every decision that meets the same text.
    return MappingProxyType(json.loads(text)) if text and text != "null" else _EMPTY


def loads(session: Session, agent_ids: Collection[int]) -> dict[int, dict[str, int]]:
    """Each agent's conversations waiting on them, by channel."""
    if not agent_ids:
        return {}
    C = Conversation
    # The active-conversations predicate repeated literally, so both databases read the partial index by assignee
    # (a few index entries per agent) rather than every new or open conversation.
    query = (
        select(C.assignee_id, C.channel, func.count())
        .where(text(ACTIVE_SQL), C.assignee_id.in_(list(agent_ids)), C.status.in_(LOAD_STATUSES))
        .group_by(C.assignee_id, C.channel)
    )
    return _by_agent(session.connection().execute(query))


def pool_loads(session: Session, team_id: int | None) -> dict[int, dict[str, int]]:
    """The loads of the online agents of `team_id` (everyone's when None), by agent and channel: joined to the agents,
    not an IN list of a few hundred ids (building and binding those cost more than the query)."""
    C = Conversation
    query = (
        select(C.assignee_id, C.channel, func.count())
        .join(Agent, Agent.id == C.assignee_id)
        .where(text(ACTIVE_SQL), C.status.in_(LOAD_STATUSES), Agent.availability == Availability.online.value)
        .group_by(C.assignee_id, C.channel)
    )
    if team_id is not None:
        query = query.join(agent_teams, agent_teams.c.agent_id == C.assignee_id).where(agent_teams.c.team_id == team_id)
    return _by_agent(session.connection().execute(query))


def _by_agent(rows) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for agent_id, channel, count in rows:
        out.setdefault(agent_id, {})[channel] = count
    return out


def previous_agent(session: Session, customer_id: int, conversation_id: int, since: datetime) -> int | None:
    """The agent of the customer's latest other conversation created since `since`, if it had one."""
    C = Conversation
    return session.scalar(
        select(C.assignee_id)
        .where(C.customer_id == customer_id, C.id != conversation_id, C.created_at >= since)
        .where(C.assignee_id.is_not(None))
        .order_by(C.created_at.desc(), C.id.desc())
        .limit(1)
    )


def needs(session: Session, conversation_id: int) -> ConversationRouting | None:
    """The conversation's routing needs, if any were set."""
    return session.get(ConversationRouting, conversation_id)


def queue(*, inbox_ids: Collection[int] | None = None, team_ids: Collection[int] | None = None) -> Select:
    """The unassigned active conversations waiting on an agent, in routing order: asked for a person first, then the
    nearest service-target breach, then priority, then age. Limited to `inbox_ids` or `team_ids` when given."""
    C = Conversation
    query = select(C.id).where(
        C.assignee_id.is_(None),
        C.status.in_(LOAD_STATUSES),
        C.merged_into_id.is_(None),
        C.snoozed_until.is_(None),
    )
    scopes = []
    if inbox_ids is not None:
        scopes.append(C.inbox_id.in_(list(inbox_ids)))
    if team_ids is not None:
        scopes.append(C.team_id.in_(list(team_ids)))
    if scopes:
        query = query.where(or_(*scopes))
    return query.order_by(
        C.human_requested_at.is_(None),
        C.sla_due_at.is_(None),
        C.sla_due_at,
        PRIORITY_RANK.desc(),
        C.created_at,
        C.id,
    )


def routed_scopes(session: Session) -> tuple[list[int], list[int]]:
    """The inboxes and teams that have a routing setting (automatic or manual)."""
    rows = session.execute(select(RoutingSetting.inbox_id, RoutingSetting.team_id)).all()
    return [r.inbox_id for r in rows if r.inbox_id], [r.team_id for r in rows if r.team_id]


def team_inboxes(session: Session, team_ids: Collection[int]) -> list[int]:
    """The inboxes whose conversations belong to one of `team_ids` by default."""
    if not team_ids:
        return []
    return list(session.scalars(select(Inbox.id).where(Inbox.team_id.in_(list(team_ids)))))


def agent_team_ids(session: Session, agent_id: int) -> list[int]:
    """The teams an agent belongs to."""
    return list(session.scalars(select(agent_teams.c.team_id).where(agent_teams.c.agent_id == agent_id)))


def unstarted(session: Session, agent_id: int, limit: int) -> list[int]:
    """The agent's active conversations they have not answered yet (no first reply), oldest first."""
    C = Conversation
    return list(
        session.scalars(
            select(C.id)
            .where(C.assignee_id == agent_id, C.status.in_(LOAD_STATUSES), C.first_reply_at.is_(None))
            .order_by(C.created_at, C.id)
            .limit(limit)
        )
    )


def skill_names(session: Session) -> set[str]:
    """Every skill's name."""
    return set(session.scalars(select(RoutingSkill.name)))


def needs_of(session: Session, conversation_ids: Collection[int]) -> dict[int, ConversationRouting]:
    """The routing needs of several conversations, by id (those without any are absent)."""
    if not conversation_ids:
        return {}
    rows = session.scalars(
        select(ConversationRouting).where(ConversationRouting.conversation_id.in_(list(conversation_ids)))
    )
    return {n.conversation_id: n for n in rows}


def claim(session: Session, conversation_id: int) -> Conversation | None:
    """The conversation locked for this transaction if it still waits unassigned; None when another transaction
    holds it (PostgreSQL: SKIP LOCKED) or it was taken meanwhile."""
    C = Conversation
    query = select(C).where(C.id == conversation_id, C.assignee_id.is_(None), C.status.in_(LOAD_STATUSES))
    session.flush()
    query = query.execution_options(populate_existing=True)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)

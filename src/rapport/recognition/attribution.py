"""Who took part in a conversation (a public reply, or holding it), who answered last, and who leads its team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rapport.models import Agent, Attribution, Conversation, Message, SurveyRequest, agent_teams
from rapport.models.enums import AuthorKind, Direction, Role


@dataclass
class Involved:
    """One agent who took part and how."""

    agent_id: int
    replied: bool = False
    assignee: bool = False
    last_responder: bool = False


def involved(session: Session, conv: Conversation) -> list[Involved]:
    """The agents who sent a public reply (oldest first) and the assignee; the last responder marked."""
    replies = session.execute(
        select(Message.agent_id, func.max(Message.id))
        .where(
            Message.conversation_id == conv.id,
            Message.direction == Direction.outbound,
            Message.author_kind == AuthorKind.agent,
            Message.agent_id.is_not(None),
        )
        .group_by(Message.agent_id)
        .order_by(func.min(Message.id))
    ).all()
    people = {agent_id: Involved(agent_id, replied=True) for agent_id, _ in replies}
    if replies:
        last = max(replies, key=lambda r: r[1])[0]
        people[last].last_responder = True
    if conv.assignee_id is not None:
        people.setdefault(conv.assignee_id, Involved(conv.assignee_id)).assignee = True
    return list(people.values())


def store(
    session: Session, req: SurveyRequest, conv: Conversation, people: list[Involved], classification: str, at: datetime
) -> None:
    """Keep the request's attribution as it is now: update who is still involved, add and drop the rest."""
    rows = {r.agent_id: r for r in session.scalars(select(Attribution).where(Attribution.request_id == req.id))}
    keep = {p.agent_id for p in people}
    gone = set(rows) - keep
    if gone:
        session.execute(delete(Attribution).where(Attribution.request_id == req.id, Attribution.agent_id.in_(gone)))
    for p in people:
        row = rows.get(p.agent_id)
        if row is None:
            row = Attribution(request_id=req.id, agent_id=p.agent_id, conversation_id=conv.id)
            session.add(row)
        row.team_id, row.replied, row.assignee = conv.team_id, p.replied, p.assignee
        row.last_responder, row.classification, row.updated_at = p.last_responder, classification, at


def lead_of(session: Session, team_id: int | None) -> int | None:
    """The team's lead (its first active supervisor or admin member); else the first active supervisor, else admin."""
    leads = (Role.supervisor, Role.admin)
    if team_id is not None:
        found = session.scalar(
            select(Agent.id)
            .join(agent_teams, agent_teams.c.agent_id == Agent.id)
            .where(agent_teams.c.team_id == team_id, Agent.active.is_(True), Agent.role.in_(leads))
            .order_by(Agent.id)
            .limit(1)
        )
        if found is not None:
            return found
    for role in leads:
        found = session.scalar(
            select(Agent.id).where(Agent.active.is_(True), Agent.role == role).order_by(Agent.id).limit(1)
        )
        if found is not None:
            return found
    return None

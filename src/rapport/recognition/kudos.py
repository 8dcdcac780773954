"""Kudos: a positive answer credited to each agent who took part; read for an agent's page, a team's feed, the wall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM, Actor, authorize
from rapport.kit.problems import Forbidden
from rapport.models import Agent, Conversation, Kudos, SurveyRequest, Team
from rapport.recognition import events
from rapport.recognition.attribution import Involved
from rapport.recognition.classify import POSITIVE, Verdict

PAGE = 50


def sync(
    session: Session, req: SurveyRequest, conv: Conversation, people: list[Involved], verdict: Verdict, at: datetime
) -> int:
    """Make the request's kudos match its answer: one per involved agent while positive, none otherwise (a
    re-answer updates the comment, never adds a second); `kudos.given` for each agent newly credited. How many new."""
    rows = {k.agent_id: k for k in session.scalars(select(Kudos).where(Kudos.request_id == req.id))}
    wanted = {p.agent_id for p in people} if verdict.classification == POSITIVE else set()
    gone = set(rows) - wanted
    if gone:
        session.execute(delete(Kudos).where(Kudos.request_id == req.id, Kudos.agent_id.in_(gone)))
    new = 0
    for agent_id in sorted(wanted):
        row = rows.get(agent_id)
        if row is not None:
            row.summary, row.comment, row.team_id, row.updated_at = verdict.summary, verdict.comment, conv.team_id, at
            continue
        row = Kudos(
            request_id=req.id, agent_id=agent_id, team_id=conv.team_id, conversation_id=conv.id,
            customer_id=req.customer_id, summary=verdict.summary, comment=verdict.comment, created_at=at, updated_at=at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        record(session, events.KUDOS_GIVEN.name, SYSTEM, conversation_id=conv.id, customer_id=req.customer_id,
               kudos_id=row.id, request_id=req.id, agent_id=agent_id, summary=verdict.summary,
               commented=bool(verdict.comment))  # fmt: skip
        new += 1
    return new


@dataclass
class Line:
    """One kudos as the pages show it."""

    kudos: Kudos
    agent_name: str
    team_name: str | None


def listed(
    session: Session,
    actor: Actor,
    *,
    agent_id: int | None = None,
    team_id: int | None = None,
    since: datetime | None = None,
    before: int | None = None,
    limit: int = PAGE,
) -> list[Line]:
    """Kudos newest first, for one agent, one team or everyone, since an instant; `before` pages on by id."""
    authorize(actor, "conversations.read")
    if not actor.can("supervisor.console") and not (
        (agent_id is not None and agent_id == actor.id) or (team_id is not None and team_id in actor.team_ids)
    ):
        raise Forbidden(
            "Agents see their own kudos and their teams' feeds; the whole wall needs the role 'supervisor'."
        )
    query = (
        select(Kudos, Agent.name, Team.name)
        .join(Agent, Agent.id == Kudos.agent_id)
        .outerjoin(Team, Team.id == Kudos.team_id)
    )
    if agent_id is not None:
        query = query.where(Kudos.agent_id == agent_id)
    if team_id is not None:
        query = query.where(Kudos.team_id == team_id)
    if since is not None:
        query = query.where(Kudos.created_at >= since)
    if before is not None:
        query = query.where(Kudos.id < before)
    rows = session.execute(query.order_by(Kudos.id.desc()).limit(max(1, min(limit, 200)))).all()
    return [Line(k, agent_name, team_name) for k, agent_name, team_name in rows]

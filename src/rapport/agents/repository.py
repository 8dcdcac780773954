"""Agent, team and token queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.kit.problems import NotFound
from rapport.models import Agent, ApiToken, LoginAttempt, Team, agent_teams


def get(session: Session, agent_id: int) -> Agent:
    """The agent; NotFound when there is none."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"There is no agent {agent_id}.")
    return agent


def by_email(session: Session, email: str) -> Agent | None:
    """The agent with this sign-in email."""
    return session.scalar(select(Agent).where(Agent.email == email.strip().lower()))


def all_agents(session: Session) -> list[Agent]:
    """Every agent, by name."""
    return list(session.scalars(select(Agent).order_by(Agent.name)))


def team_ids(session: Session, agent_ids: list[int]) -> dict[int, list[int]]:
    """Team memberships of several agents."""
    out: dict[int, list[int]] = {a: [] for a in agent_ids}
    if agent_ids:
        for aid, tid in session.execute(
            select(agent_teams.c.agent_id, agent_teams.c.team_id).where(agent_teams.c.agent_id.in_(agent_ids))
        ):
            out[aid].append(tid)
    return out


def get_team(session: Session, team_id: int) -> Team:
    """The team; NotFound when there is none."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"There is no team {team_id}.")
    return team


def all_teams(session: Session) -> list[Team]:
    """Every team, by name."""
    return list(session.scalars(select(Team).order_by(Team.name)))


def member_ids(session: Session, team_id: int) -> list[int]:
    """The ids of a team's members."""
    return list(session.scalars(select(agent_teams.c.agent_id).where(agent_teams.c.team_id == team_id)))


def tokens(session: Session, agent_id: int | None) -> list[ApiToken]:
    """API tokens of one agent, or of everyone."""
    query = select(ApiToken).order_by(ApiToken.id)
    if agent_id is not None:
        query = query.where(ApiToken.agent_id == agent_id)
    return list(session.scalars(query))


def token(session: Session, token_id: int) -> ApiToken | None:
    """One API token."""
    return session.get(ApiToken, token_id)


def failed_sign_ins(
    session: Session, since: datetime, *, email: str | None = None, ip: str | None = None
) -> tuple[int, datetime | None]:
    """Failed password sign-ins for this account or from this client since `since`, and the oldest one's time."""
    where = [LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since]
    where.append(LoginAttempt.email == email if email is not None else LoginAttempt.ip == ip)
    count, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).select_from(LoginAttempt).where(*where)
    ).one()
    return count, oldest

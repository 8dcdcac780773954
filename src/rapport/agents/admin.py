"""What the admin pages of agents, teams and API tokens read (admins only); the writes are in service.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from rapport.agents import repository
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.problems import NotFound
from rapport.models import Agent, ApiToken, Team
from rapport.models.enums import Role

ROLES = tuple(r.value for r in Role)
# What each token scope lets a program do, in words (permissions.SCOPES is the rule).
SCOPE_WORDS = {
    "read": "read conversations, customers and the directory",
    "write": "reply to, change, assign and merge conversations and customers; change its agent's name and status",
    "inbound": "post inbound messages (an integration feeding Rapport)",
    "admin": "manage agents, teams, inboxes, fields and every token",
}


@dataclass(frozen=True)
class Directory:
    """Every agent and team, each agent's team ids and each team's members."""

    agents: list[Agent]
    teams: list[Team]
    team_ids: dict[int, list[int]]
    members: dict[int, list[Agent]] = field(default_factory=dict)

    def team_names(self, agent_id: int) -> list[str]:
        """The names of an agent's teams, in name order."""
        ids = set(self.team_ids.get(agent_id, []))
        return [t.name for t in self.teams if t.id in ids]


@dataclass(frozen=True)
class TokenRow:
    """An API token with the name of the agent it acts as, and when that agent's password changed after the token
    was made (None otherwise): a password change leaves tokens working, so the page points them out."""

    token: ApiToken
    agent_name: str
    password_changed_at: datetime | None = None


def directory(session: Session, actor: Actor) -> Directory:
    """Every agent (active first, by name) and team, with memberships."""
    authorize(actor, "admin")
    agents = sorted(repository.all_agents(session), key=lambda a: (not a.active, a.name.lower()))
    team_ids = repository.team_ids(session, [a.id for a in agents])
    teams = repository.all_teams(session)
    members = {t.id: [a for a in agents if t.id in team_ids[a.id]] for t in teams}
    return Directory(agents, teams, team_ids, members)


def agent(session: Session, actor: Actor, agent_id: int) -> tuple[Agent, list[int]]:
    """One agent and their team ids."""
    authorize(actor, "admin")
    found = repository.get(session, agent_id)
    return found, repository.team_ids(session, [agent_id])[agent_id]


def team(session: Session, actor: Actor, team_id: int) -> tuple[Team, list[int]]:
    """One team and its members' ids."""
    authorize(actor, "admin")
    return repository.get_team(session, team_id), repository.member_ids(session, team_id)


def tokens(session: Session, actor: Actor) -> list[TokenRow]:
    """Every API token, live ones first, newest first, with its agent's name."""
    authorize(actor, "admin")
    agents = {a.id: a for a in repository.all_agents(session)}
    rows = sorted(repository.tokens(session, None), key=lambda t: (t.revoked_at is not None, -t.id))
    return [_row(t, agents.get(t.agent_id)) for t in rows]


def _row(token: ApiToken, agent: Agent | None) -> TokenRow:
    changed = agent.password_changed_at if agent else None
    later = changed if changed and changed > token.created_at and token.revoked_at is None else None
    return TokenRow(token, agent.name if agent else f"agent {token.agent_id}", later)


def token(session: Session, actor: Actor, token_id: int) -> TokenRow:
    """One API token with its agent's name."""
    authorize(actor, "admin")
    row = repository.token(session, token_id)
    if row is None:
        raise NotFound(f"There is no API token {token_id}.")
    return _row(row, repository.get(session, row.agent_id))


def live_tokens(session: Session, actor: Actor, agent_id: int) -> list[ApiToken]:
    """The API tokens that act as this agent and still work (a password change leaves them: the admin decides)."""
    authorize(actor, "admin")
    return [t for t in repository.tokens(session, agent_id) if t.revoked_at is None]

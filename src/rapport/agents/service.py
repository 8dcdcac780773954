"""Managing agents, teams and API tokens (admins), and agents' own availability and tokens."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from rapport.agents import repository, signin
from rapport.events.outbox import record
from rapport.kernel.permissions import ALL_SCOPES, Actor, authorize
from rapport.kit.clock import now
from rapport.kit.markup import check_signature
from rapport.kit.problems import Conflict, Forbidden, Invalid, NotFound
from rapport.kit.secrets import hash_password, new_token, token_hash
from rapport.models import Agent, AgentSession, ApiToken, Team, agent_teams
from rapport.models.enums import Availability, Role

AGENT_FIELDS = ("name", "role", "skills", "timezone", "active", "availability", "signature")
OWN_FIELDS = {"availability", "timezone", "name", "signature"}  # what an agent may change about themself


def create_agent(
    session: Session,
    actor: Actor,
    *,
    name: str,
    email: str,
    role: Role = Role.agent,
    password: str | None = None,
    team_ids: list[int] | None = None,
    skills: list[str] | None = None,
    timezone: str = "UTC",
) -> Agent:
    """A new agent; emails are unique."""
    authorize(actor, "admin")
    email = email.strip().lower()
    if repository.by_email(session, email) is not None:
        raise Conflict(f"An agent with email '{email}' already exists.", errors=[{"field": "email"}])
    if password is not None and len(password) < 10:
        raise Invalid("A password needs at least 10 characters.", errors=[{"field": "password"}])
    agent = Agent(
        name=name,
        email=email,
        role=Role(role).value,
        skills=skills or [],
        timezone=timezone,
        password_hash=hash_password(password) if password else None,
        availability=Availability.offline.value,
        active=True,
        created_at=now(),
    )
    session.add(agent)
    session.flush()
    _set_teams(session, agent.id, team_ids or [])
    record(
        session,
        "agent.created",
        actor,
        object="agent",
        object_id=agent.id,
        fields={"email": email, "role": agent.role},
    )
    return agent


def update_agent(
    session: Session,
    actor: Actor,
    agent_id: int,
    *,
    team_ids: list[int] | None = None,
    password: str | None = None,
    current_password: str | None = None,
    keep_session_id: int | None = None,
    client: str = "unknown",
    **changes: Any,
) -> Agent:
    """Change an agent: admins change anything; an agent their own name, availability, timezone and email
    signature (bounded by RAPPORT_MAX_SIGNATURE_CHARS; a token needs
    the write scope for that); a password only as check_password_change allows, which ends the agent's other
    sessions (all but `keep_session_id`). A wrong current password raises signin.WrongPassword: commit anyway."""
    agent = repository.get(session, agent_id)
    if password is not None:  # first: its refusal (never by a token) is the one that explains
        check_password_change(session, actor, agent, password, current_password=current_password, client=client)
    own = actor.id == agent_id and set(changes) <= OWN_FIELDS and team_ids is None
    if not own:
        authorize(actor, "admin")
    elif not actor.can("admin"):
        authorize(actor, "profile.write")
    if "signature" in changes:
        changes["signature"] = check_signature(changes["signature"])
    changed = {k: v for k, v in changes.items() if k in AGENT_FIELDS and getattr(agent, k) != v}
    if changed.get("role") and actor.id == agent_id:
        raise Forbidden("Admins cannot change their own role; ask another admin.")
    if changed.get("active") is False and actor.id == agent_id:
        raise Forbidden("Admins cannot deactivate themselves; ask another admin.")
    for key, value in changed.items():
        setattr(agent, key, value.value if hasattr(value, "value") else value)
    if password is not None:
        changed["password"] = "changed"
        changed["sessions_ended"] = _set_password(session, agent, password, keep_session_id=keep_session_id)
    if team_ids is not None:
        _set_teams(session, agent.id, team_ids)
        changed["team_ids"] = team_ids
    if changed:
        record(
            session,
            "agent.updated",
            actor,
            object="agent",
            object_id=agent.id,
            # The signature's words stay on the agent: the event says only that it changed.
            fields={
                k: "changed" if k == "signature" else (v.value if hasattr(v, "value") else v)
                for k, v in changed.items()
            },
        )
    return agent


def check_password_change(
    session: Session, actor: Actor, agent: Agent, password: str, *, current_password: str | None, client: str
) -> None:
    """Refuse a password change unless it comes from a signed-in session: one's own with the current password
    (a wrong one counts as a failed sign-in from `client`), or an admin's for another agent. An API token never
    changes a password, whatever its scopes: a leaked token must not become a full session."""
    if len(password) < 10:
        raise Invalid("A password needs at least 10 characters.", errors=[{"field": "password"}])
    if actor.kind == "system":
        return
    if actor.scopes is not None:
        raise Forbidden(
            "A password can be changed only when signed in (a browser session), never with an API token.",
            permission="session",
        )
    if actor.id != agent.id:
        authorize(actor, "admin")
    else:
        signin.check_current_password(session, agent, current_password or "", ip=client)


def set_password_by_link(session: Session, agent: Agent, password: str) -> None:
    """Set the password chosen through an admin's sign-in link (the link proved the mailbox): every session ends."""
    if len(password) < 10:
        raise Invalid("A password needs at least 10 characters.", errors=[{"field": "password"}])
    ended = _set_password(session, agent, password, keep_session_id=None)
    record(
        session,
        "agent.updated",
        Actor(kind="agent", id=agent.id, role=Role(agent.role), name=agent.name),
        object="agent",
        object_id=agent.id,
        fields={"password": "changed", "sessions_ended": ended},
    )


def _set_password(session: Session, agent: Agent, password: str, *, keep_session_id: int | None) -> int:
    """Store the new hash and end every other session of the agent; their API tokens stay (listed to admins)."""
    agent.password_hash = hash_password(password)
    agent.password_changed_at = now()
    query = update(AgentSession).where(AgentSession.agent_id == agent.id, AgentSession.revoked_at.is_(None))
    if keep_session_id is not None:
        query = query.where(AgentSession.id != keep_session_id)
    return session.execute(query.values(revoked_at=now())).rowcount


def _set_teams(session: Session, agent_id: int, team_ids: list[int]) -> None:
    for tid in team_ids:
        if session.get(Team, tid) is None:
            raise NotFound(f"There is no team {tid}.")
    session.execute(delete(agent_teams).where(agent_teams.c.agent_id == agent_id))
    if team_ids:
        session.execute(insert(agent_teams), [{"agent_id": agent_id, "team_id": t} for t in sorted(set(team_ids))])


def create_team(session: Session, actor: Actor, *, name: str, description: str = "") -> Team:
    """A new team; names are unique."""
    authorize(actor, "admin")
    if session.scalar(select(Team.id).where(Team.name == name)) is not None:
        raise Conflict(f"A team named '{name}' already exists.", errors=[{"field": "name"}])
    team = Team(name=name, description=description, created_at=now())
    session.add(team)
    session.flush()
    record(session, "team.created", actor, object="team", object_id=team.id, fields={"name": name})
    return team


def update_team(session: Session, actor: Actor, team_id: int, **changes: Any) -> Team:
    """Rename or describe a team."""
    authorize(actor, "admin")
    team = repository.get_team(session, team_id)
    new_name = changes.get("name")
    if new_name and new_name != team.name and session.scalar(select(Team.id).where(Team.name == new_name)):
        raise Conflict(f"A team named '{changes['name']}' already exists.", errors=[{"field": "name"}])
    changed = {k: v for k, v in changes.items() if k in ("name", "description") and getattr(team, k) != v}
    for key, value in changed.items():
        setattr(team, key, value)
    if changed:
        record(session, "team.updated", actor, object="team", object_id=team.id, fields=changed)
    return team


def set_team_members(session: Session, actor: Actor, team_id: int, agent_ids: list[int]) -> Team:
    """Make exactly these agents the team's members (admins)."""
    authorize(actor, "admin")
    team = repository.get_team(session, team_id)
    wanted = set(agent_ids)
    for agent_id in sorted(wanted):
        repository.get(session, agent_id)
    current = set(repository.member_ids(session, team_id))
    if wanted == current:
        return team
    session.execute(
        delete(agent_teams).where(agent_teams.c.team_id == team_id, agent_teams.c.agent_id.in_(current - wanted))
    )
    if wanted - current:
        session.execute(insert(agent_teams), [{"agent_id": a, "team_id": team_id} for a in sorted(wanted - current)])
    fields = {"members": sorted(wanted)}
    record(session, "team.updated", actor, object="team", object_id=team.id, fields=fields)
    return team


def create_token(
    session: Session, actor: Actor, *, name: str, scopes: list[str], agent_id: int | None = None
) -> tuple[ApiToken, str]:
    """A new API token for `agent_id` (default: the actor); the plaintext is returned once, never stored."""
    owner = agent_id or actor.id
    authorize(actor, "tokens.own" if owner == actor.id else "admin")
    if owner is None:
        raise Invalid("A token needs an agent to act as.", errors=[{"field": "agent_id"}])
    repository.get(session, owner)
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown or not scopes:
        raise Invalid(
            f"Unknown or missing scopes {unknown}; choose from {', '.join(ALL_SCOPES)}.",
            errors=[{"field": "scopes"}],
        )
    plain = new_token("rpt")
    token = ApiToken(
        agent_id=owner,
        name=name,
        token_hash=token_hash(plain),
        prefix=plain[:8],
        scopes=sorted(set(scopes)),
        created_at=now(),
    )
    session.add(token)
    session.flush()
    record(
        session,
        "token.created",
        actor,
        object="token",
        object_id=token.id,
        fields={"agent_id": owner, "scopes": token.scopes},
    )
    return token, plain


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token at once; revoking twice is harmless."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"There is no API token {token_id}.")
    authorize(actor, "tokens.own" if token.agent_id == actor.id else "admin")
    if token.revoked_at is None:
        token.revoked_at = now()
        record(session, "token.revoked", actor, object="token", object_id=token.id, fields={})
    return token


def set_presence(session: Session, actor: Actor, *, availability: str, timezone: str) -> Agent:
    """An agent sets their own availability (online, away, offline) and timezone (an IANA name)."""
    if availability not in ("online", "away", "offline"):
        raise Invalid("Choose online, away or offline.", errors=[{"field": "availability"}])
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError):
        raise Invalid(
            f"'{timezone}' is not a timezone name; use one like Europe/Berlin.", errors=[{"field": "timezone"}]
        ) from None
    return update_agent(session, actor, actor.id, availability=availability, timezone=timezone)


def set_signature(session: Session, actor: Actor, signature: str) -> Agent:
    """An agent sets their own email signature (the composer's markup; empty removes it)."""
    return update_agent(session, actor, actor.id, signature=signature)

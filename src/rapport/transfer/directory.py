"""Teams, agents, inboxes and custom fields: few rows, so they go through the services (checks and events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.agents import service as agents
from rapport.conversations import fields
from rapport.inboxes import service as inboxes
from rapport.kernel.channels import SECRET_MASK
from rapport.kernel.permissions import SYSTEM
from rapport.kit.problems import Problem
from rapport.models import Agent, Category, FieldDefinition, Inbox, Team
from rapport.transfer.report import Outcome


@dataclass
class Directory:
    """Names and emails that records use, mapped to ids: the importer resolves references in memory."""

    teams: dict[str, int] = field(default_factory=dict)
    agents: dict[str, int] = field(default_factory=dict)
    inboxes: dict[str, tuple[int, str, int | None]] = field(default_factory=dict)
    by_channel: dict[str, tuple[int, str, int | None]] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)
    categories: dict[str, int] = field(default_factory=dict)  # by lower-cased name

    @classmethod
    def load(cls, session: Session) -> Directory:
        """The directory as it is in the database now."""
        d = cls()
        d.teams = {name: tid for name, tid in session.execute(select(Team.name, Team.id))}
        d.agents = {email: aid for email, aid in session.execute(select(Agent.email, Agent.id))}
        for inbox_id, name, channel, team_id in session.execute(
            select(Inbox.id, Inbox.name, Inbox.channel, Inbox.team_id).order_by(Inbox.id)
        ):
            d.inboxes[name] = (inbox_id, channel, team_id)
            d.by_channel.setdefault(channel, (inbox_id, channel, team_id))
        d.fields = set(session.scalars(select(FieldDefinition.key)))
        d.categories = {name.lower(): cid for name, cid in session.execute(select(Category.name, Category.id))}
        return d


def write(session: Session, d: Directory, items: list[tuple[int, str, dict[str, Any]]]) -> Outcome:
    """Create the teams, agents, inboxes and fields not already there (matched by name, email or key)."""
    out = Outcome()
    for line, kind, data in items:
        if _exists(d, kind, data):
            out.counts[f"{kind}.existing"] += 1
            continue
        savepoint = session.begin_nested()
        try:
            _create(session, d, kind, data)
        except Problem as exc:
            savepoint.rollback()
            out.errors.append((line, f"{kind}: {exc.detail}"))
            continue
        savepoint.commit()
        out.counts[f"{kind}.created"] += 1
    return out


def _exists(d: Directory, kind: str, data: dict[str, Any]) -> bool:
    if kind == "team":
        return data["name"] in d.teams
    if kind == "agent":
        return data["email"] in d.agents
    if kind == "inbox":
        return data["name"] in d.inboxes
    return data["key"] in d.fields


def _team_id(d: Directory, name: str | None) -> int | None:
    if name is None:
        return None
    if name not in d.teams:
        raise Problem(f"there is no team named '{name}'; add a team line before it")
    return d.teams[name]


def _create(session: Session, d: Directory, kind: str, data: dict[str, Any]) -> None:
    if kind == "team":
        d.teams[data["name"]] = agents.create_team(session, SYSTEM, **data).id
    elif kind == "agent":
        team_ids = [_team_id(d, name) for name in data["teams"]]
        agent = agents.create_agent(
            session,
            SYSTEM,
            name=data["name"],
            email=data["email"],
            role=data["role"],
            team_ids=team_ids,
            skills=data["skills"],
            timezone=data["timezone"],
        )
        agent.active = data["active"]
        d.agents[agent.email] = agent.id
    elif kind == "inbox":
        # An export without --include-secrets masks the channel's secrets: such an inbox keeps everything else but
        # arrives deactivated and unchecked, until an admin enters its secrets again (which checks them).
        masked = _has_mask(data["settings"])
        inbox = inboxes.create(
            session,
            SYSTEM,
            name=data["name"],
            channel=data["channel"],
            address=data["address"],
            team_id=_team_id(d, data["team"]),
            settings={} if masked else data["settings"],
        )
        inbox.active = data["active"] and not masked
        if masked:
            inbox.settings = _unmasked(data["settings"])
        d.inboxes[inbox.name] = (inbox.id, inbox.channel, inbox.team_id)
        d.by_channel.setdefault(inbox.channel, d.inboxes[inbox.name])
    else:
        fields.define(session, SYSTEM, **data)
        d.fields.add(data["key"])


def _has_mask(value) -> bool:
    """Whether settings hold a secret written as the mask (an export without its secrets)."""
    if isinstance(value, dict):
        return any(_has_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_mask(v) for v in value)
    return value == SECRET_MASK


def _unmasked(value):
    """The settings without their masked secrets."""
    if isinstance(value, dict):
        return {k: _unmasked(v) for k, v in value.items() if v != SECRET_MASK}
    if isinstance(value, list):
        return [_unmasked(v) for v in value if v != SECRET_MASK]
    return value

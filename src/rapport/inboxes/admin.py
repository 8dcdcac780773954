"""What the admin pages of inboxes read (admins only): each inbox with its team and how far it is connected."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from rapport import channels
from rapport.agents import repository as agents
from rapport.agents.permissions import Actor, authorize
from rapport.channels import Connection
from rapport.inboxes import repository
from rapport.models import Inbox, Team
from rapport.models.enums import Channel


@dataclass(frozen=True)
class InboxRow:
    """An inbox, its team's name and its connection."""

    inbox: Inbox
    team: str | None
    connection: Connection


def inboxes(session: Session, actor: Actor) -> list[InboxRow]:
    """Every inbox by name, with its team and how far its channel is connected."""
    authorize(actor, "admin")
    teams = {t.id: t.name for t in agents.all_teams(session)}
    return [_row(i, teams) for i in repository.all_(session)]


def inbox(session: Session, actor: Actor, inbox_id: int) -> InboxRow:
    """One inbox with its team and connection."""
    authorize(actor, "admin")
    found = repository.get(session, inbox_id)
    return _row(found, {t.id: t.name for t in agents.all_teams(session)})


def teams(session: Session, actor: Actor) -> list[Team]:
    """The teams an inbox may belong to."""
    authorize(actor, "admin")
    return agents.all_teams(session)


def channel_choices() -> list[str]:
    """The channels an inbox can be of."""
    return [c.value for c in Channel]


def _row(found: Inbox, teams: dict[int, str]) -> InboxRow:
    state = channels.connection(found.channel, found.settings)
    if not found.active:
        state = Connection("off", "Inactive: nothing is received or sent.")
    return InboxRow(found, teams.get(found.team_id) if found.team_id else None, state)

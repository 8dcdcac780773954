"""What the admin pages of inboxes read (admins only): each inbox with its team and how far it is connected."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from rapport.agents import repository as agents
from rapport.config import get_settings
from rapport.inboxes import repository
from rapport.kernel import channels
from rapport.kernel.channels import Connection
from rapport.kernel.permissions import Actor, authorize
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


def how_to_connect(found: Inbox) -> list[tuple[str, str]]:
    """What to enter at the provider (webhook URLs) or on a site (the chat tag), under RAPPORT_BASE_URL."""
    base = get_settings().base_url.rstrip("/")
    if found.channel == "sms":
        return [("Twilio number: A message comes in (HTTP POST)", f"{base}/channels/twilio/sms/{found.id}/inbound")]
    if found.channel == "phone":
        hooks = f"{base}/channels/twilio/voice/{found.id}"
        return [
            ("Twilio number: A call comes in (HTTP POST)", f"{hooks}/incoming"),
            ("Twilio number: Call status changes", f"{hooks}/status"),
            ("Recording status callback (if you record calls)", f"{hooks}/recording"),
        ]
    if found.channel == "whatsapp":
        return [
            (
                "Meta webhook: Callback URL (with the verify token above; subscribe to messages)",
                f"{base}/channels/whatsapp/webhook",
            )
        ]
    key = (found.settings or {}).get("public_key")
    if found.channel == "chat" and key:
        return [
            (
                "Put this tag on every page of your site",
                f'<script src="{base}/chat/widget.js" data-inbox="{key}" defer></script>',
            ),
            ("Try the widget", f"{base}/chat/demo?key={key}"),
        ]
    return []

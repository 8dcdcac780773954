"""Creating and changing inboxes (admins only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.events.outbox import record
from rapport.inboxes import repository
from rapport.kernel import channels
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.markup import check_signature
from rapport.kit.problems import Conflict, NotFound
from rapport.models import Inbox, Team

EDITABLE = ("name", "address", "team_id", "settings", "active", "signature")


def create(
    session: Session,
    actor: Actor,
    *,
    name: str,
    channel: str,
    address: str | None = None,
    team_id: int | None = None,
    settings: dict | None = None,
    signature: str | None = None,
) -> Inbox:
    """A new inbox; names are unique; `signature` ends its email replies (RAPPORT_MAX_SIGNATURE_CHARS)."""
    authorize(actor, "admin")
    _check(session, name=name, team_id=team_id)
    settings = channels.check_settings(channel, settings)
    signature = check_signature(signature)
    inbox = Inbox(
        name=name,
        channel=channel,
        address=address,
        team_id=team_id,
        settings=settings or {},
        signature=signature,
        active=True,
        created_at=now(),
    )
    session.add(inbox)
    session.flush()
    record(
        session,
        "inbox.created",
        actor,
        object="inbox",
        object_id=inbox.id,
        fields={"name": name, "channel": channel},
    )
    return inbox


def update(session: Session, actor: Actor, inbox_id: int, **changes: Any) -> Inbox:
    """Change an inbox's name, address, team, settings, email signature or active flag."""
    authorize(actor, "admin")
    inbox = repository.get(session, inbox_id)
    if "signature" in changes:
        changes["signature"] = check_signature(changes["signature"])
    if changes.get("settings") is not None:
        changes["settings"] = channels.check_settings(inbox.channel, changes["settings"], inbox.settings)
    changed = {k: v for k, v in changes.items() if k in EDITABLE and getattr(inbox, k) != v}
    _check(session, name=changed.get("name"), team_id=changed.get("team_id"), exclude=inbox.id)
    for key, value in changed.items():
        setattr(inbox, key, value)
    if changed:
        record(
            session,
            "inbox.updated",
            actor,
            object="inbox",
            object_id=inbox.id,
            fields={k: "changed" if k == "signature" else v for k, v in changed.items() if k != "settings"},
        )
    return inbox


def _check(session: Session, *, name: str | None, team_id: int | None, exclude: int | None = None) -> None:
    if name is not None:
        clash = session.scalar(select(Inbox.id).where(Inbox.name == name))
        if clash is not None and clash != exclude:
            raise Conflict(f"An inbox named '{name}' already exists.", errors=[{"field": "name"}])
    if team_id is not None and session.get(Team, team_id) is None:
        raise NotFound(f"There is no team {team_id}.", errors=[{"field": "team_id"}])

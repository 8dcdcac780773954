"""Record events in the caller's transaction; they are published only after it commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from rapport.agents.permissions import Actor
from rapport.events.registry import EVENTS
from rapport.kit.clock import now
from rapport.models import Event


def record(
    session: Session,
    name: str,
    actor: Actor,
    *,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    message_id: int | None = None,
    **payload: Any,
) -> Event:
    """Append event `name` with a validated payload; it commits (or not) with the change it describes."""
    data = EVENTS[name].model_validate(payload).model_dump(mode="json", by_alias=True)
    event = Event(
        name=name,
        occurred_at=now(),
        actor_kind=actor.kind,
        actor_id=actor.id,
        conversation_id=conversation_id,
        customer_id=customer_id,
        message_id=message_id,
        payload=data,
    )
    session.add(event)
    session.info.setdefault("events", []).append(event)
    return event

"""Record events in the caller's transaction; they are published only after it commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from rapport.db.bulk import insert_ids
from rapport.events.registry import EVENTS
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.models import Event

_INSERT = insert(Event.__table__).returning(Event.__table__.c.id)


@dataclass(frozen=True)
class Recorded:
    """An event as written: what after-commit subscribers receive."""

    id: int
    name: str
    occurred_at: datetime
    actor_kind: str
    actor_id: int | None
    conversation_id: int | None
    customer_id: int | None
    message_id: int | None
    payload: dict


def record(
    session: Session,
    name: str,
    actor: Actor,
    *,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    message_id: int | None = None,
    **payload: Any,
) -> Recorded:
    """Append event `name` with a validated payload; it commits (or not) with the change it describes."""
    data = EVENTS[name].model_validate(payload).model_dump(mode="json", by_alias=True)
    row = {
        "name": name,
        "occurred_at": now(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "conversation_id": conversation_id,
        "customer_id": customer_id,
        "message_id": message_id,
        "payload": data,
    }
    # A Core insert, not an ORM object: events are the most written rows and need no unit of work.
    event = Recorded(id=session.connection().execute(_INSERT, row).scalar_one(), **row)
    session.info.setdefault("events", []).append(event)
    return event


def record_many(session: Session, events: list[tuple[str, Actor, dict, dict]]) -> list[Recorded]:
    """Append several events in one statement; each is (name, actor, subject ids, payload)."""
    if not events:
        return []
    stamp = now()
    rows = [
        {
            "name": name,
            "occurred_at": stamp,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "conversation_id": ids.get("conversation_id"),
            "customer_id": ids.get("customer_id"),
            "message_id": ids.get("message_id"),
            "payload": EVENTS[name].model_validate(payload).model_dump(mode="json", by_alias=True),
        }
        for name, actor, ids, payload in events
    ]
    ids = insert_ids(session.connection(), Event.__table__, rows)
    recorded = [Recorded(id=i, **row) for i, row in zip(ids, rows, strict=True)]
    session.info.setdefault("events", []).extend(recorded)
    return recorded

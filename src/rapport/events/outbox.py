"""Record events in the caller's transaction; they are published only after it commits.

Each event carries the inbox and team its conversation had when it happened (`inbox_id`, `team_id`): taken from the
conversation in the session when it is loaded (so a change made in this transaction counts), otherwise read by the
insert itself from the conversation's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from rapport.db.bulk import insert_ids
from rapport.events import bus  # noqa: F401 (imported for its after-commit hook: what is recorded gets published)
from rapport.events.registry import lookup
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.models import Conversation, Event

_TABLE = Event.__table__
_INSERT = insert(_TABLE).returning(_TABLE.c.id, _TABLE.c.inbox_id, _TABLE.c.team_id)


def _from_conversation(column):
    return select(column).where(Conversation.id == bindparam("placed_in")).scalar_subquery()


# The insert that reads the conversation's inbox and team itself: no extra round trip when it is not loaded.
_INSERT_PLACED = _INSERT.values(
    inbox_id=_from_conversation(Conversation.inbox_id), team_id=_from_conversation(Conversation.team_id)
)


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
    inbox_id: int | None = None
    team_id: int | None = None


def _loaded(session: Session, conversation_id: int) -> Conversation | None:
    return session.identity_map.get(identity_key(Conversation, conversation_id))


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
    row = {
        "name": name,
        "occurred_at": now(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "conversation_id": conversation_id,
        "customer_id": customer_id,
        "message_id": message_id,
        "payload": lookup(name).validate(payload),
    }
    conv = _loaded(session, conversation_id) if conversation_id else None
    # A Core insert, not an ORM object: events are the most written rows and need no unit of work.
    if conversation_id and conv is None:
        stored = session.connection().execute(_INSERT_PLACED, {**row, "placed_in": conversation_id}).one()
    else:
        place = {"inbox_id": conv.inbox_id, "team_id": conv.team_id} if conv else {"inbox_id": None, "team_id": None}
        stored = session.connection().execute(_INSERT, {**row, **place}).one()
    event = Recorded(id=stored.id, **row, inbox_id=stored.inbox_id, team_id=stored.team_id)
    session.info.setdefault("events", []).append(event)
    return event


def record_many(session: Session, events: list[tuple[str, Actor, dict, dict]]) -> list[Recorded]:
    """Append several events in one statement; each is (name, actor, subject ids, payload).

    The subject ids may include `inbox_id` and `team_id`; otherwise they are the conversation's (one query for all).
    They may include `occurred_at`, when the event happened at an instant computed rather than now (a response
    target breached at its deadline, recorded by the job that noticed).
    """
    if not events:
        return []
    stamp = now()
    rows = [
        {
            "name": name,
            "occurred_at": ids.get("occurred_at") or stamp,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "conversation_id": ids.get("conversation_id"),
            "customer_id": ids.get("customer_id"),
            "message_id": ids.get("message_id"),
            "payload": lookup(name).validate(payload),
            "inbox_id": ids.get("inbox_id"),
            "team_id": ids.get("team_id"),
        }
        for name, actor, ids, payload in events
    ]
    _place(session, [r for r, (_, _, ids, _) in zip(rows, events, strict=True) if "inbox_id" not in ids])
    ids = insert_ids(session.connection(), _TABLE, rows)
    recorded = [Recorded(id=i, **row) for i, row in zip(ids, rows, strict=True)]
    session.info.setdefault("events", []).extend(recorded)
    return recorded


def _place(session: Session, rows: list[dict]) -> None:
    """Fill each row's inbox and team from its conversation: loaded ones from the session, the rest in one query."""
    missing: set[int] = set()
    for row in rows:
        conv = _loaded(session, row["conversation_id"]) if row["conversation_id"] else None
        if conv is not None:
            row["inbox_id"], row["team_id"] = conv.inbox_id, conv.team_id
        elif row["conversation_id"]:
            missing.add(row["conversation_id"])
    if not missing:
        return
    query = select(Conversation.id, Conversation.inbox_id, Conversation.team_id).where(Conversation.id.in_(missing))
    places = {r.id: (r.inbox_id, r.team_id) for r in session.connection().execute(query)}
    for row in rows:
        if row["conversation_id"] in places:
            row["inbox_id"], row["team_id"] = places[row["conversation_id"]]

"""Decide a condition for one conversation in memory, from a plain snapshot (no session needed: rules, targets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from rapport.conditions import patterns
from rapport.conditions.fields import COMPLEMENT
from rapport.conditions.model import All, AnyOf, Leaf, Node, Not


@dataclass(frozen=True)
class Snapshot:
    """What a condition can see of one conversation and its customer (columns by their names, tags as a set)."""

    status: str
    priority: str
    channel: str
    inbox_id: int
    customer_id: int
    created_at: datetime
    updated_at: datetime
    team_id: int | None = None
    assignee_id: int | None = None
    category_id: int | None = None
    tags: frozenset[str] = frozenset()
    custom_fields: dict = field(default_factory=dict)
    last_message_at: datetime | None = None
    last_inbound_at: datetime | None = None
    first_reply_at: datetime | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    human_requested_at: datetime | None = None
    segment: str | None = None
    vip: bool = False
    attributes: dict = field(default_factory=dict)
    # What only a rule sees: the message its event is about, the event's payload, the calendars open now.
    message_text: str | None = None
    message_channel: str | None = None
    event: dict = field(default_factory=dict)
    open_calendars: frozenset[int] = frozenset()


_NOT_COLUMNS = ("tags", "segment", "vip", "attributes", "message_text", "message_channel", "event", "open_calendars")
# The snapshot's fields that are the conversation's own columns (what a reader selects to make one).
CONVERSATION_COLUMNS = tuple(f for f in Snapshot.__dataclass_fields__ if f not in _NOT_COLUMNS)


def snapshot(conversation: Any, customer: Any, tags: Any = (), **extra: Any) -> Snapshot:
    """A snapshot of an ORM conversation (or a row with its columns) and its customer (`extra`: what a rule sees)."""
    return Snapshot(
        **{n: getattr(conversation, n) for n in CONVERSATION_COLUMNS},
        tags=frozenset(tags),
        segment=customer.segment,
        vip=bool(customer.vip),
        attributes=customer.attributes or {},
        **extra,
    )


def matches(node: Node, snap: Snapshot) -> bool:
    """Whether the conversation in `snap` meets the condition."""
    if isinstance(node, All):
        return all(matches(child, snap) for child in node.all)
    if isinstance(node, AnyOf):
        return any(matches(child, snap) for child in node.any)
    if isinstance(node, Not):
        return not matches(node.not_, snap)
    return _leaf(node, snap)


def _leaf(node: Leaf, snap: Snapshot) -> bool:
    if node.op in COMPLEMENT:
        return not _positive(node, COMPLEMENT[node.op], snap)
    return _positive(node, node.op, snap)


@lru_cache(maxsize=64)  # one message is tested by many rules: fold it once
def _folded(text: str) -> str:
    return text.casefold()


def _positive(node: Leaf, op: str, snap: Snapshot) -> bool:
    spec, value = node.spec, node.value
    if spec.kind == "pattern":
        text = getattr(snap, spec.column) or ""
        return value.casefold() in _folded(text) if op == "contains" else patterns.search(value, text)
    if spec.kind == "calendar":
        return value in snap.open_calendars
    if spec.kind == "tag":
        return value in snap.tags if op == "has" else bool(snap.tags.intersection(value))
    if spec.kind == "json":
        found = (getattr(snap, spec.column) or {}).get(spec.json_key)
        # Only text is compared (a number 5 is not "5"); JSON null counts as not set.
        return found is not None if op == "is_set" else isinstance(found, str) and found == value
    current = getattr(snap, spec.column)
    if op == "is_set":
        return current is not None
    if current is None:
        return False
    if op == "eq":
        return current == value
    if op == "in":
        return current in value
    if op == "since":
        return current >= value
    return current < value  # before


def matched(node: Node, snap: Snapshot) -> list[dict]:
    """The tests that held for `snap` (as JSON-ready leaves), for saying why a rule fired."""
    found: list[dict] = []
    _collect(node, snap, found)
    return found


def _collect(node: Node, snap: Snapshot, found: list[dict]) -> None:
    if isinstance(node, All | AnyOf):
        for child in node.all if isinstance(node, All) else node.any:
            _collect(child, snap, found)
    elif isinstance(node, Not):
        if matches(node, snap):
            found.append({"not": _brief(node.not_)})
    elif _leaf(node, snap):
        found.append(_brief(node))


def _brief(node: Node) -> dict:
    if isinstance(node, Leaf):
        value = list(node.value) if isinstance(node.value, tuple) else node.value
        return {"field": node.field, "op": node.op, **({"value": value} if value is not None else {})}
    return {"group": True}


def calendars(node: Node) -> set[int]:
    """The calendars whose business hours the condition asks about (a rule works out which are open now)."""
    if isinstance(node, All | AnyOf):
        return set().union(*(calendars(c) for c in (node.all if isinstance(node, All) else node.any)))
    if isinstance(node, Not):
        return calendars(node.not_)
    return {node.value} if node.spec.kind == "calendar" else set()

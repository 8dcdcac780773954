"""Decide a condition for one conversation in memory, from a plain snapshot (no session needed: rules, targets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


def snapshot(conversation: Any, customer: Any, tags: Any = ()) -> Snapshot:
    """A snapshot of an ORM conversation (or a row with its columns) and its customer."""
    names = [f for f in Snapshot.__dataclass_fields__ if f not in ("tags", "segment", "vip", "attributes")]
    return Snapshot(
        **{n: getattr(conversation, n) for n in names},
        tags=frozenset(tags),
        segment=customer.segment,
        vip=bool(customer.vip),
        attributes=customer.attributes or {},
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


def _positive(node: Leaf, op: str, snap: Snapshot) -> bool:
    spec, value = node.spec, node.value
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

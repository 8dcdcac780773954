"""The fields a condition can test, what each allows (operators, value type) and where its value lives."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapport.models.enums import Channel, Priority, Status

# Operators by kind of field. Each negative operator is the complement of a positive one (`ne` of `eq` …),
# null included: a conversation with no team is "not in team 3".
KIND_OPS = {
    "choice": ("eq", "ne", "in", "not_in"),
    "id": ("eq", "ne", "in", "not_in"),
    "text": ("eq", "ne", "in", "not_in"),
    "bool": ("eq",),
    "tag": ("has", "has_not", "has_any", "has_none"),
    "time": ("since", "before"),
    "json": ("eq", "ne"),
    # Rule-only kinds (evaluated in memory, never compiled to SQL): a message's text, business hours now.
    "pattern": ("contains", "not_contains", "matches", "not_matches"),
    "calendar": ("open", "closed"),
}
NULLABLE_OPS = ("is_set", "is_not_set")
# A negative operator and the positive one it complements.
COMPLEMENT = {
    "ne": "eq",
    "not_in": "in",
    "is_not_set": "is_set",
    "has_not": "has",
    "has_none": "has_any",
    "not_contains": "contains",
    "not_matches": "matches",
    "closed": "open",
}
LIST_OPS = frozenset({"in", "not_in", "has_any", "has_none"})
NO_VALUE_OPS = frozenset(NULLABLE_OPS)


@dataclass(frozen=True)
class Field:
    """A testable field: its kind, the column holding it, and whether it lives on the customer."""

    name: str
    kind: str
    column: str
    nullable: bool = False
    on_customer: bool = False
    choices: tuple[str, ...] = ()
    # Answered by an index of the inbox views (counts read these without checking rows).
    indexed: bool = False
    json_key: str | None = None
    # "conversation": everywhere (SQL and memory); "rule": only in rules, which see an event and its message.
    scope: str = "conversation"

    @property
    def ops(self) -> tuple[str, ...]:
        """The operators this field allows."""
        extra = NULLABLE_OPS if self.nullable or self.kind == "json" else ()
        return KIND_OPS[self.kind] + extra


def _choices(enum) -> tuple[str, ...]:
    return tuple(m.value for m in enum)


_TIMES = (
    ("created_at", False),
    ("updated_at", False),
    ("last_message_at", True),
    ("last_inbound_at", True),
    ("first_reply_at", True),
    ("solved_at", True),
    ("closed_at", True),
    ("human_requested_at", True),
)

FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("status", "choice", "status", choices=_choices(Status), indexed=True),
        Field("priority", "choice", "priority", choices=_choices(Priority)),
        Field("channel", "choice", "channel", choices=_choices(Channel)),
        Field("inbox", "id", "inbox_id", indexed=True),
        Field("team", "id", "team_id", nullable=True, indexed=True),
        Field("assignee", "id", "assignee_id", nullable=True, indexed=True),
        Field("category", "id", "category_id", nullable=True),
        Field("customer", "id", "customer_id"),
        Field("tag", "tag", "tag"),
        Field("segment", "text", "segment", nullable=True, on_customer=True),
        Field("vip", "bool", "vip", on_customer=True),
        *(Field(name, "time", name, nullable=nullable, indexed=name == "last_inbound_at") for name, nullable in _TIMES),
        # What a rule sees besides the conversation: the message its event is about, and business hours now.
        Field("message.text", "pattern", "message_text", scope="rule"),
        Field("message.channel", "choice", "message_channel", nullable=True, choices=_choices(Channel), scope="rule"),
        Field("business_hours", "calendar", "open_calendars", scope="rule"),
    )
}

# Open-ended fields: a conversation's custom field (`field.<key>`) or a customer attribute (`attribute.<key>`).
KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
PREFIXES = {"field.": ("custom_fields", False), "attribute.": ("attributes", True), "event.": ("event", False)}


@lru_cache(maxsize=4096)  # fields are immutable; rules ask for the same open-ended ones on every event
def lookup(name: str) -> Field | None:
    """The field a condition names, or None when there is no such field."""
    if name in FIELDS:
        return FIELDS[name]
    for prefix, (column, on_customer) in PREFIXES.items():
        if name.startswith(prefix) and KEY.fullmatch(name[len(prefix) :]):
            scope = "rule" if prefix == "event." else "conversation"
            return Field(name, "json", column, on_customer=on_customer, json_key=name[len(prefix) :], scope=scope)
    return None


def names(scope: str = "conversation") -> list[str]:
    """Every field name a condition in `scope` accepts, the open-ended ones as patterns (for errors and docs)."""
    fixed = [n for n, f in FIELDS.items() if scope == "rule" or f.scope == "conversation"]
    return [*fixed, "field.<key>", "attribute.<key>", *(["event.<key>"] if scope == "rule" else [])]

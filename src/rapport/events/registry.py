"""The event types Rapport writes, each declared by the domain that owns it in its own `events.py`.

An `EventType` says everything the rest of the system needs to know about an event: its name (`noun.past_verb`),
its payload model, how the timeline words it, which live topics hear of it beyond the usual ones, whether the
customer's own page may see it, whether it notifies an agent, and whether outside integrations (webhooks) see it.
This module imports no domain: `lookup` finds the declaring modules (`rapport/**/events.py`) the first time a name
is asked for, so adding a domain's events edits no central list.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

import rapport
from rapport.events.wording import Context, Sentence

NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


class UnknownEvent(LookupError):
    """No domain declares an event of this name."""


class Payload(BaseModel):
    """Base of event payloads: strict about unknown keys so the log stays uniform."""

    model_config = ConfigDict(extra="forbid")


class Empty(Payload):
    """No payload."""


class Changed(Payload):
    """A single attribute moved from one value to another."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: object | None = Field(default=None, alias="from")
    to: object | None = None


class AdminChange(Payload):
    """An admin-level object was created or changed."""

    object: str
    object_id: int
    fields: dict = {}


def _no_topics(payload: dict) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True, eq=False)
class EventType:
    """One kind of event, as its domain declares it (see `declare`)."""

    name: str
    payload: type[Payload]
    describe: Sentence
    # Live topics that hear of it besides `all` and its conversation's, inbox's, assignee's and customer's.
    topics: Callable[[dict], Iterable[str]] = _no_topics
    # Only the topics above hear of it (one agent's badge, say): no other page needs it.
    private_push: bool = False
    # The customer's own page (chat widget, portal) may see it: a message to or from them, never a note.
    customer_sees: bool = False
    # Its live push carries the message it adds (with attachments), so pages need not fetch it.
    carries_message: bool = False
    # The in-app notification kind it raises for an agent (`assigned`, `mentioned` …), or None.
    notifies: str | None = None
    # Outside integrations (webhook endpoints, "*" included) may subscribe to it.
    public: bool = True
    # How the customer's profile timeline words it, when that differs from the conversation's timeline.
    on_profile: Sentence | None = None

    def validate(self, payload: dict) -> dict:
        """The payload checked against its model, as stored (JSON-ready, aliases applied)."""
        return self.payload.model_validate(payload).model_dump(mode="json", by_alias=True)

    def parse(self, payload: dict) -> Payload:
        """A stored payload as its model (what typed consumer handlers receive)."""
        return self.payload.model_validate(payload or {})


_TYPES: dict[str, EventType] = {}
_loaded = False
_lock = threading.RLock()  # re-entrant: a module imported by discovery may look a name up


def declare(name: str, payload: type[Payload], describe: Sentence, **options) -> EventType:
    """Declare an event type (from its domain's `events.py`); a malformed or already declared name is refused."""
    if not NAME.match(name):
        raise ValueError(f"event name {name!r} is not noun.past_verb (lower case, one dot)")
    if not (isinstance(payload, type) and issubclass(payload, Payload)):
        raise TypeError(f"event {name!r}: the payload must be a Payload model")
    if name in _TYPES:
        raise ValueError(f"event {name!r} is already declared")
    event = EventType(name, payload, describe, **options)
    _TYPES[name] = event
    return event


def discover() -> None:
    """Import every domain's `events.py` (once per process), declaring their event types."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        root = Path(rapport.__file__).parent
        for path in sorted(root.rglob("events.py")):
            module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
            if module != "rapport.models.events":
                importlib.import_module(module)
        _loaded = True


def lookup(name: str) -> EventType:
    """The declared type of event `name`; UnknownEvent when no domain declares it."""
    event = _TYPES.get(name)
    if event is None:
        discover()
        event = _TYPES.get(name)
        if event is None:
            raise UnknownEvent(f"no domain declares the event {name!r}")
    return event


def find(name: str) -> EventType | None:
    """The declared type of event `name`, or None (an old or foreign row in the log)."""
    try:
        return lookup(name)
    except UnknownEvent:
        return None


def all_types() -> list[EventType]:
    """Every declared event type, by name."""
    discover()
    return [_TYPES[n] for n in sorted(_TYPES)]


def names(*, public: bool | None = None) -> list[str]:
    """Every declared event name, sorted; `public=True` only those outside integrations may see."""
    return [t.name for t in all_types() if public is None or t.public == public]


def notification_kinds() -> dict[str, str]:
    """Event name -> the notification kind it raises."""
    return {t.name: t.notifies for t in all_types() if t.notifies}


__all__ = ["AdminChange", "Changed", "Context", "Empty", "EventType", "Payload", "declare", "lookup"]

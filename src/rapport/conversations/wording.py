"""Events in plain words for the timelines: each event type's declared sentence, looked up by name.

Every declared event type has a sentence (its domain's `events.py` says it; a test renders each); a name no domain
declares (an old row) still reads as words ("Rapport: call recorded"), never as a raw payload or placeholder.
"""

from __future__ import annotations

from rapport.events.registry import find
from rapport.events.wording import Context
from rapport.models import Event

__all__ = ["Context", "describe", "who_did"]


def who_did(event: Event, names: dict[int, str]) -> str:
    """The actor of an event as a person reads it."""
    if event.actor_kind == "agent":
        return names.get(event.actor_id, "An agent")
    return {"customer": "The customer", "system": "Rapport"}.get(event.actor_kind, event.actor_kind.capitalize())


def describe(event: Event, names: dict[int, str], teams: dict[int, str] | None = None) -> str:
    """An event in plain words for the timeline."""
    who = who_did(event, names)
    declared = find(event.name)
    if declared is None:
        return f"{who}: {event.name.replace('.', ' ').replace('_', ' ')}"
    return declared.describe(who, event.payload or {}, Context(names, teams))

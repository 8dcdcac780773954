"""Every declared event reads as a sentence on the timeline: no raw placeholder, payload or event name."""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime

import pytest

from rapport.conversations.wording import describe
from rapport.events import registry
from rapport.models import Event

NAMES = {7: "Alex Agent", 8: "Bo Agent"}
TEAMS = {3: "Support"}
SAMPLES = {str: "delivery", int: 7, bool: True, float: 1.5, list: ["delivery", "vip"], dict: {}, object: "open"}
RAW = ("−–", "–", "None", "{", "}", "[", "]", "_", "  ")


def _sample(annotation) -> object:
    """A plausible value for a payload field of this type."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return SAMPLES.get(typing.get_origin(annotation) or annotation, "x")


def payloads(name: str) -> list[dict]:
    """A full payload for `name`, and for changes the from-nothing and to-nothing variants."""
    model = registry.lookup(name).payload
    full = {(f.alias or key): _sample(f.annotation) for key, f in model.model_fields.items()}
    if name == "conversation.fields_changed":
        full["changes"] = {"order_number": [None, "A-1"], "refund_due": ["no", "yes"]}
    if name == "conversation.tags_changed":
        full = {"added": ["vip"], "removed": []}
    out = [full]
    if "from" in full:
        out += [full | {"from": None}, full | {"to": None}]
    return out


def event(name: str, payload: dict, actor_kind: str = "agent") -> Event:
    """An unsaved event row."""
    return Event(
        name=name,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor_kind=actor_kind,
        actor_id=7 if actor_kind == "agent" else None,
        payload=payload,
    )


def test_every_declared_event_has_its_own_sentence():
    """Each event type a domain declares says itself in words, never the fallback for an undeclared name."""
    for name in registry.names():
        payload = payloads(name)[0]
        fallback = f"Alex Agent: {name.replace('.', ' ').replace('_', ' ')}"
        assert describe(event(name, payload), NAMES, TEAMS) != fallback, name
    assert describe(event("call.forwarded", {}), NAMES) == "Alex Agent: call forwarded"  # an undeclared name


@pytest.mark.parametrize("name", registry.names())
def test_each_event_reads_as_words(name):
    """No placeholder dash, Python value, bracket or snake_case word reaches the page, whoever acted."""
    for payload in payloads(name):
        for kind in ("agent", "customer", "system"):
            text = describe(event(name, payload, kind), NAMES, TEAMS)
            assert text and text[0].isupper(), (name, text)
            assert not any(raw in text for raw in RAW), (name, payload, text)


def test_tag_changes_say_what_happened():
    """The defect seen on the demo: '+delivery, vip −–' now reads as a sentence."""
    text = describe(event("conversation.tags_changed", {"added": ["delivery", "vip"], "removed": []}), NAMES)
    assert text == "Alex Agent added tags delivery and vip"
    text = describe(event("conversation.tags_changed", {"added": ["a"], "removed": ["b"]}), NAMES)
    assert text == "Alex Agent added tag a and removed tag b"


def test_status_words():
    """Statuses read as words ('on hold'), and the first value set says so."""
    moved = describe(event("conversation.status_changed", {"from": "open", "to": "on_hold"}), NAMES)
    assert moved == "Alex Agent changed the status from open to on hold"
    assigned = describe(event("conversation.assigned", {"from": None, "to": 8}), NAMES)
    assert assigned == "Alex Agent assigned it to Bo Agent"

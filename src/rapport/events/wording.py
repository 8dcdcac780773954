"""Helpers for the sentences event types declare for the timeline: values, lists, changes, admin objects, calls."""

from __future__ import annotations

from collections.abc import Callable

STATUS_WORDS = {"on_hold": "on hold"}
ADMIN_OBJECTS = {
    "webhook": "webhook endpoint",
    "field": "custom field",
    "token": "API token",
    "sla_policy": "service policy",
    "calendar": "business-hours calendar",
}


class Context:
    """Names the sentences need: agents and teams by id."""

    def __init__(self, names: dict[int, str], teams: dict[int, str] | None = None):
        self.names, self.teams = names, teams or {}


# A timeline sentence: (who did it, in words; the stored payload; names) -> the sentence.
Sentence = Callable[[str, dict, Context], str]


def value(v: object) -> str:
    """A stored value as a person reads it ("none", "on hold", "follow up")."""
    if v is None or v == "":
        return "none"
    text = str(v)
    return STATUS_WORDS.get(text, text.replace("_", " "))


def listed(items: list) -> str:
    """Items joined as in a sentence: "a, b and c"."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def changed(noun: str) -> Sentence:
    """The sentence of a `Changed` payload: set, cleared or changed from one value to another."""

    def say(who: str, p: dict, _: Context) -> str:
        old, new = p.get("from"), p.get("to")
        if old in (None, ""):
            return f"{who} set the {noun} to {value(new)}"
        if new in (None, ""):
            return f"{who} cleared the {noun} (was {value(old)})"
        return f"{who} changed the {noun} from {value(old)} to {value(new)}"

    return say


def admin(verb: str) -> Sentence:
    """The sentence of an `AdminChange` payload: "<who> <verb> <object> #<id>"."""

    def say(who: str, p: dict, _: Context) -> str:
        noun = p.get("object") or "setting"
        return f"{who} {verb} {ADMIN_OBJECTS.get(noun, noun.replace('_', ' '))} #{p.get('object_id', '')}".rstrip(" #")

    return say


def fixed(text: str) -> Sentence:
    """A sentence that is always the same words."""
    return lambda who, p, c: text

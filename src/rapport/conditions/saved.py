"""The inbox's views as conditions: the built-in ones, and saved views (stored as a condition tree)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from rapport.conditions.model import All, Leaf, Node, dump, parse
from rapport.kit.problems import Invalid
from rapport.models.enums import ACTIVE_STATUSES

ACTIVE = [s.value for s in ACTIVE_STATUSES]
WAITING = ["new", "open"]
# The saved-view form's fields: form name -> (condition field, operator).
FORM = {
    "status": ("status", "eq"),
    "channel": ("channel", "eq"),
    "inbox_id": ("inbox", "eq"),
    "team_id": ("team", "eq"),
    "tag": ("tag", "has"),
    "category_id": ("category", "eq"),
    "priority": ("priority", "eq"),
    "segment": ("segment", "eq"),
}
_NUMBERS = {"inbox_id", "team_id", "category_id"}


def built_in(key: str, *, agent_id: int, team_ids: list[int]) -> tuple[Node, str]:
    """The condition and order of a built-in view (KeyError for another key)."""
    return _built_in(key, agent_id, tuple(team_ids))


@lru_cache(maxsize=1024)  # the trees are immutable; the inbox asks for the same ones on every page and count
def _built_in(key: str, agent_id: int, team_ids: tuple[int, ...]) -> tuple[Node, str]:
    active = Leaf(field="status", op="in", value=ACTIVE)
    if key == "waiting":
        waiting = [Leaf(field="status", op="in", value=WAITING), Leaf(field="last_inbound_at", op="is_set")]
        return All(all=waiting), "waiting"
    if key == "due":
        # Due soon: the order "due_soon" keeps only conversations with a deadline (the conversation's own
        # `sla_due_at`, which the service targets keep; not a field conditions test), nearest first.
        return All(all=[active]), "due_soon"
    if key == "snoozed":
        # Snoozed: the order "snoozed" keeps only snoozed conversations (every other view leaves them out), soonest
        # wake first.
        return All(all=[active]), "snoozed"
    more = {
        "mine": lambda: [Leaf(field="assignee", op="eq", value=agent_id)],
        "unassigned": lambda: [Leaf(field="assignee", op="is_not_set")],
        "teams": lambda: [Leaf(field="team", op="in", value=list(team_ids))],  # no team: matches nothing
        "all": lambda: [],
    }[key]()
    return All(all=[active, *more]), "updated"


def from_form(raw: dict[str, str]) -> dict:
    """The condition a saved-view form asks for, as stored; blank fields are left out, a wrong one is named."""
    tests = []
    for key, (field, op) in FORM.items():
        value: Any = (raw.get(key) or "").strip()
        if not value:
            continue
        if key in _NUMBERS:
            if not value.isdigit():
                raise Invalid(f"Choose a {key[:-3]} from the list.", errors=[{"field": key}])
            value = int(value)
        try:
            tests.append(Leaf(field=field, op=op, value=value))
        except ValidationError as exc:
            message = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
            raise Invalid(f"{message}.", errors=[{"field": key, "message": message}]) from None
    if not any(t.field == "status" for t in tests):
        tests.insert(0, Leaf(field="status", op="in", value=ACTIVE))  # "any active status"
    return dump(All(all=tests))


def condition_of(stored: dict) -> Node:
    """A saved view's stored condition, checked as any outside input is."""
    return _parsed(json.dumps(stored, sort_keys=True))


@lru_cache(maxsize=1024)
def _parsed(text: str) -> Node:
    return parse(json.loads(text), where="filters")

"""The rule vocabulary: the actions a rule may take and the events it may react to, both open to other packages.

An action is registered once with its parameters' Pydantic model, its handler and the words that say what it
would do; another package adds its own without editing the engine:

    from rapport.rules.vocabulary import register_action

    register_action("apply_macro", MacroParams, apply_macro, describe=lambda p: f"apply macro #{p.macro_id}")

A rule may react to any event some domain declares (`events.registry`), including those added later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from rapport.events import registry

# (session, params) -> None: a check when a rule is saved (e.g. the team it names exists); raise a Problem if not.
Check = Callable[[Session, Any], None]


@dataclass(frozen=True)
class Action:
    """One kind of action: its name, parameters model, handler, the words for it and its save-time check."""

    name: str
    params: type[BaseModel]
    handler: Callable[[Any, Any], str]  # (Run, params) -> what was done, in words
    describe: Callable[[Any], str]  # params -> what it would do, in words (replay, the rule list)
    label: str
    check: Check | None = None
    sends: bool = False  # it writes to the customer (rate-limited, never answering an automatic message)


ACTIONS: dict[str, Action] = {}
# Events a rule may not react to: its own records (a rule reacting to rules running is a loop by design).
RESERVED_EVENTS = frozenset({"rule.executed", "rule.failed", "rule.stopped"})


def register_action(
    name: str,
    params: type[BaseModel],
    handler: Callable[[Any, Any], str],
    *,
    describe: Callable[[Any], str],
    label: str | None = None,
    check: Check | None = None,
    sends: bool = False,
) -> Action:
    """Add an action to the vocabulary; a name already taken is refused."""
    if name in ACTIONS:
        raise ValueError(f"the rule action {name!r} is already registered")
    action = Action(name, params, handler, describe, label or name.replace("_", " "), check, sends)
    ACTIONS[name] = action
    return action


def action(name: str) -> Action | None:
    """The registered action `name`, or None."""
    _load()
    return ACTIONS.get(name)


def action_names() -> list[str]:
    """Every registered action, by name."""
    _load()
    return sorted(ACTIONS)


def event_names() -> list[str]:
    """Every event a rule may react to."""
    return [n for n in registry.names() if n not in RESERVED_EVENTS]


def known_event(name: str) -> bool:
    """Whether a rule may react to event `name`."""
    return registry.find(name) is not None and name not in RESERVED_EVENTS


def _load() -> None:
    # The built-in actions register themselves when their module is imported.
    from rapport.rules import actions, handover  # noqa: F401

"""What other domains do in the lifecycle's transaction when a conversation's lifecycle moves (response clocks).

A domain above conversations declares a module in its `Domain(lifecycle_hooks=...)`; importing it calls `register`.
The front-ends (`orm.apply`, `bulk.after_batch` for inbound batches, `bulk.after_import` for the importer) call `run`
with every step they wrote, in the order they happened, so a hook sees what changed without conversations importing
it. The modules are loaded on
the first run through the kernel registry, so the web, the worker, the CLI and tests all have them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from rapport.conversations.lifecycle.core import Change, Event, Lifecycle
from rapport.kernel import registry
from rapport.kernel.permissions import Actor


@dataclass(frozen=True, slots=True)
class Step:
    """One change written to one conversation: the state before and after it and the events it caused.

    `created_at` is set when the change opened the conversation (the first message of a new one). An import writes
    history as it was: its step has no change and no states (`imported`), and a hook reads the conversation as it
    now stands.
    """

    conversation_id: int
    change: Change | None
    before: Lifecycle | None
    after: Lifecycle | None
    events: tuple[Event, ...] = ()
    created_at: datetime | None = None

    @property
    def imported(self) -> bool:
        """The importer wrote this conversation's history (no change to react to, only where it now stands)."""
        return self.change is None


Hook = Callable[[Session, list[Step]], None]
HOOKS: dict[str, Hook] = {}
# A guard may refuse a change before anything is written (raise a Problem): fn(session, actor, before, after).
Guard = Callable[[Session, Actor, Lifecycle, Lifecycle], None]
GUARDS: dict[str, Guard] = {}
_loaded = False
_LOCK = threading.Lock()


def register(name: str) -> Callable[[Hook], Hook]:
    """Register `fn(session, steps)` under `name` (a second registration under the name replaces the first)."""

    def add(fn: Hook) -> Hook:
        HOOKS[name] = fn
        return fn

    return add


def guard(name: str) -> Callable[[Guard], Guard]:
    """Register `fn(session, actor, before, after)` under `name`; it raises to refuse a status change (a playbook's
    open required steps refuse solving)."""

    def add(fn: Guard) -> Guard:
        GUARDS[name] = fn
        return fn

    return add


def check(session: Session, actor: Actor, before: Lifecycle, after: Lifecycle) -> None:
    """Ask every guard about a change a person or the system asked for, before it is written."""
    _load()
    for fn in list(GUARDS.values()):
        fn(session, actor, before, after)


def _load() -> None:
    global _loaded
    if not _loaded:
        with _LOCK:
            if not _loaded:
                registry.load_lifecycle_hooks()
                _loaded = True


def run(session: Session, steps: list[Step]) -> None:
    """Hand the steps to every hook, in the caller's transaction."""
    if not steps:
        return
    _load()
    for hook in list(HOOKS.values()):
        hook(session, steps)

"""The lifecycle on a loaded `Conversation`: read its state, run the core, write the difference, record events."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.conversations.lifecycle import hooks
from rapport.conversations.lifecycle.core import Change, Event, Lifecycle, transition
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.models import Conversation
from rapport.models.enums import Status
from rapport.worker import scheduler

_WRITTEN = tuple(f.name for f in fields(Lifecycle) if f.name != "id")


def state_of(conv: Conversation) -> Lifecycle:
    """The lifecycle facts of a loaded conversation."""
    return Lifecycle(id=conv.id, **{name: getattr(conv, name) for name in _WRITTEN})


def apply(session: Session, actor: Actor, conv: Conversation, change: Change) -> list[Event]:
    """Run `change` on `conv`: set what changed, record its events, queue what follows (an auto-close), and tell
    the lifecycle hooks (response clocks) in the same transaction."""
    before = state_of(conv)
    after, events = transition(before, change)
    if after.status != before.status:
        hooks.check(session, actor, before, after)  # a guard may refuse it: nothing is written yet
    for name in _WRITTEN:
        value = getattr(after, name)
        if value != getattr(before, name):
            setattr(conv, name, value)
    for event in events:
        record(session, event.name, actor, conversation_id=conv.id, customer_id=conv.customer_id, **event.payload)
    if after.status == Status.solved and after.solved_at != before.solved_at:
        _schedule_auto_close(session, conv)
    hooks.run(session, [hooks.Step(conv.id, change, before, after, tuple(events))])
    return events


def _schedule_auto_close(session: Session, conv: Conversation) -> None:
    days = get_settings().auto_close_after_days
    if days:
        # Keyed by the solve time: a reopen and a later solve schedule a fresh close.
        scheduler.schedule(
            session,
            "conversations.auto_close",
            f"auto_close:{conv.id}:{conv.solved_at.timestamp():.0f}",
            now() + timedelta(days=days),
            {"conversation_id": conv.id},
        )

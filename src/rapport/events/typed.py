"""Typed consumers: one handler per declared event type, each given the event with its payload as the declared model.

    backfill = Consumer("metrics", history=True)

    @backfill.on(conversation_events.STATUS_CHANGED)
    def status(session, event: Delivered[Changed]) -> None: ...

The consumer is handed only the events it has handlers for; retries, dead letters and replays are those of every
consumer (`events.consumers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Row
from sqlalchemy.orm import Session

from rapport.events.consumers import consumer
from rapport.events.registry import EventType, Payload, lookup

P = TypeVar("P", bound=Payload)


@dataclass(frozen=True)
class Delivered(Generic[P]):
    """An event as a typed handler receives it: the row's fields and its payload as the declared model."""

    id: int
    name: str
    occurred_at: datetime
    actor_kind: str
    actor_id: int | None
    conversation_id: int | None
    customer_id: int | None
    message_id: int | None
    inbox_id: int | None
    team_id: int | None
    payload: P


Handler = Callable[[Session, Delivered[Any]], None]
Prepare = Callable[[Session, list[Row]], list[Row] | None]  # before a batch; may return the rows worth handing out
FIELDS = tuple(k for k in Delivered.__dataclass_fields__ if k != "payload")  # a row's fields a handler is given


class Consumer:
    """A consumer made of one handler per event type, each given the event with its typed payload, in log order."""

    def __init__(self, name: str, *, history: bool = False, prepare: Prepare | None = None):
        self.name = name
        self.handlers: dict[str, tuple[EventType, Handler]] = {}
        # Called with the whole batch before its events are handed out one by one: where a handler would read the
        # same table for each event, one statement for the batch (the statements stay flat as the batch grows). It
        # may return the rows worth handing out (those it knows the handlers would pass over are not even parsed).
        self.prepare = prepare
        consumer(name, wants=lambda session: frozenset(self.handlers), history=history)(self.handle)

    def on(self, event: EventType | str) -> Callable[[Handler], Handler]:
        """Register the handler of `event` (a declared type, or its name: an unknown name is refused here)."""
        declared = lookup(event) if isinstance(event, str) else event

        def register(fn: Handler) -> Handler:
            self.handlers[declared.name] = (declared, fn)
            return fn

        return register

    def handle(self, session: Session, rows: list[Row]) -> None:
        """Hand each event to its handler (the consumer's function as `run_consumers` calls it)."""
        if self.prepare is not None:
            kept = self.prepare(session, rows)
            rows = rows if kept is None else kept
        for row in rows:
            declared, fn = self.handlers[row.name]
            fields = {k: getattr(row, k) for k in FIELDS}
            fn(session, Delivered(**fields, payload=declared.parse(row.payload)))

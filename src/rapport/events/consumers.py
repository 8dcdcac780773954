"""Event consumers: durable reactions that follow the event log after commit, off the writer's path.

A consumer is a function given, in order and in one write transaction, the events recorded since its cursor; what it
writes (deliveries, notifications, jobs) commits together with the cursor's advance, so each event is handled once
and a crash loses nothing. The worker runs the consumers (`run_consumers`), soon after a commit and on every poll.
A `Consumer` is the same made of typed handlers, one per event type (`@metrics.on(STATUS_CHANGED)`).

Ids are handed out before commit, so on PostgreSQL a later id can commit first. A consumer therefore stops at a gap
in the ids until the event after it is `RAPPORT_EVENT_GAP_WAIT_SECONDS` old; by then the transaction that held the
missing id has committed (and is read next time) or rolled back (and the id never comes).

A consumer that fails keeps its place and is tried again next round, one event at a time, so the failing event is
known; after `RAPPORT_EVENT_MAX_ATTEMPTS` tries that event is set aside in `event_dead_letters` (admins see and retry
it) and the cursor moves on. A database outage is not the event's fault and counts no try.

Imported history (`actor_kind` "import") is passed over: consumers react to what happens, not to old data. A
consumer declared with `history=True` (metrics, insights) starts at the beginning of the log instead, is handed
imported history too, and may be replayed (`rapport events replay NAME --from-start`) to backfill.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.db.bulk import dialect_insert
from rapport.db.outage import is_unavailable
from rapport.db.session import Database
from rapport.events.registry import EventType, Payload, lookup
from rapport.kit.clock import now
from rapport.models import Event, EventCursor, EventDeadLetter

log = logging.getLogger(__name__)
IMPORTED = "import"
ERROR_CHARS = 2000
ConsumerFn = Callable[[Session, list[Row]], None]
# What a consumer needs right now: the event names, or None for every event. Asked in the consumer's transaction,
# so only those rows are read in full; a consumer wanting nothing just moves its cursor on.
Wants = Callable[[Session], Collection[str] | None]
CONSUMERS: dict[str, ConsumerFn] = {}
WANTS: dict[str, Wants] = {}
HISTORY: set[str] = set()  # consumers that start at the beginning, see imported history and may be replayed
COLUMNS = (
    Event.id,
    Event.name,
    Event.occurred_at,
    Event.actor_kind,
    Event.actor_id,
    Event.conversation_id,
    Event.customer_id,
    Event.message_id,
    Event.payload,
    Event.inbox_id,
    Event.team_id,
)
P = TypeVar("P", bound=Payload)


class ReplayRefused(Exception):
    """The consumer does not exist, or was not declared to take history (replaying it would act on old events)."""


def consumer(
    name: str, *, wants: Wants | Collection[str] | None = None, history: bool = False
) -> Callable[[ConsumerFn], ConsumerFn]:
    """Register `fn(session, events)` as the consumer `name`; it must write only through `session`.

    `wants`: the event names it is handed (a fixed collection, or a function of the session); None: every event.
    `history`: start at the beginning of the log, be handed imported history too, and allow replays.
    """

    def register(fn: ConsumerFn) -> ConsumerFn:
        CONSUMERS[name] = fn
        if wants is None or callable(wants):
            WANTS[name] = wants or _everything
        else:
            names = frozenset(wants)
            WANTS[name] = lambda session: names
        if history:
            HISTORY.add(name)
        else:
            HISTORY.discard(name)
        return fn

    return register


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


class Consumer:
    """A consumer made of one handler per event type, each given the event with its typed payload, in log order."""

    def __init__(self, name: str, *, history: bool = False):
        self.name = name
        self.handlers: dict[str, tuple[EventType, Handler]] = {}
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
        for row in rows:
            declared, fn = self.handlers[row.name]
            fields = {k: getattr(row, k) for k in Delivered.__dataclass_fields__ if k != "payload"}
            fn(session, Delivered(**fields, payload=declared.parse(row.payload)))


def _everything(session: Session) -> None:
    return None


def run_consumers(db: Database, *, batch: int | None = None) -> int:
    """Hand each consumer the events since its cursor; returns how many events were handled in all."""
    return catch_up(db, batch=batch)[0]


def catch_up(db: Database, *, batch: int | None = None) -> tuple[int, bool]:
    """One round over the consumers: the events handled, and whether one read a full batch (more are waiting)."""
    if not CONSUMERS:
        return 0, False
    size = batch or get_settings().event_consumer_batch
    with db.read() as session:
        latest = session.scalar(select(func.max(Event.id))) or 0
        cursors = dict(session.execute(select(EventCursor.name, EventCursor.last_id)).all())
    handled, more = 0, False
    for name, fn in list(CONSUMERS.items()):
        if cursors.get(name, -1) >= latest:
            continue  # nothing new: no write transaction at all
        done, read = _step(db, name, fn, size)
        handled += done
        more |= read >= size
    return handled, more


def _step(db: Database, name: str, fn: ConsumerFn, size: int) -> tuple[int, int]:
    """One try of one consumer; a failure is counted (and may set the event aside), never raised."""
    tried: list[int] = []
    try:
        return _advance(db, name, fn, size, tried)
    except Exception as exc:  # noqa: BLE001  (one consumer's failure must not stop the others; it retries next round)
        log.exception("event consumer %s failed", name)
        if not is_unavailable(exc):
            _failed(db, name, exc, tried)
        return 0, 0


def _advance(db: Database, name: str, fn: ConsumerFn, batch: int, tried: list[int]) -> tuple[int, int]:
    """Handle the next settled events for one consumer: (events handed to it, events its cursor passed)."""
    with db.write() as session:
        # Another process holding this cursor is already doing this round's work: skip it rather than queue
        # behind it and read the same log again (SQLite has one writer at a time anyway).
        cursor = session.execute(
            select(EventCursor).where(EventCursor.name == name).with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if cursor is None and session.get(EventCursor, name) is not None:
            return 0, 0
        history = name in HISTORY
        if cursor is None:
            # A new consumer starts at the present (it reacts to what happens from now on), or at the beginning when
            # it takes history. Every process's worker may try this at once on a new database: the first row stands.
            start = 0 if history else session.scalar(select(func.max(Event.id))) or 0
            row = {"name": name, "last_id": start, "updated_at": now(), "attempts": 0}
            session.execute(dialect_insert(session, EventCursor).values(**row).on_conflict_do_nothing())
            if not history:
                return 0, 0
            session.flush()
            cursor = session.get(EventCursor, name)
        # Ids and times first (no payloads): enough to find how far the log is settled.
        marks = session.execute(
            select(Event.id, Event.occurred_at).where(Event.id > cursor.last_id).order_by(Event.id).limit(batch)
        ).all()
        ready = _contiguous(marks, cursor.last_id)
        if not ready:
            return 0, 0
        wanted = WANTS.get(name, _everything)(session)
        fresh = []
        if wanted is None or wanted:
            query = select(*COLUMNS).where(Event.id > cursor.last_id, Event.id <= ready[-1].id)
            if not history:
                query = query.where(Event.actor_kind != IMPORTED)
            if wanted is not None:
                query = query.where(Event.name.in_(sorted(wanted)))
            fresh = session.execute(query.order_by(Event.id)).all()
        last = ready[-1].id
        if cursor.attempts and fresh:
            # After a failure, one event at a time: the one that fails again is the one to count (and set aside).
            fresh = fresh[:1]
            last = fresh[0].id
        tried.extend(e.id for e in fresh)
        if fresh:
            fn(session, fresh)
        cursor.last_id, cursor.updated_at = last, now()
        cursor.attempts, cursor.last_error = 0, None
        return len(fresh), len([m for m in ready if m.id <= last])


def _failed(db: Database, name: str, exc: Exception, tried: list[int]) -> None:
    """Count a failed try; at RAPPORT_EVENT_MAX_ATTEMPTS, set the one event tried aside and move the cursor past it."""
    error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    try:
        with db.write() as session:
            cursor = session.execute(
                select(EventCursor).where(EventCursor.name == name).with_for_update()
            ).scalar_one_or_none()
            if cursor is None:
                return
            cursor.attempts, cursor.last_error, cursor.updated_at = cursor.attempts + 1, error, now()
            # A batch of several events that failed does not say which one did: the next try hands one alone.
            if len(tried) != 1 or tried[0] <= cursor.last_id or cursor.attempts < get_settings().event_max_attempts:
                return
            row = {"consumer": name, "event_id": tried[0], "error": error, "attempts": cursor.attempts, "at": now()}
            session.execute(dialect_insert(session, EventDeadLetter).values(**row).on_conflict_do_nothing())
            log.error("event consumer %s set event %s aside after %s tries", name, tried[0], cursor.attempts)
            cursor.last_id, cursor.attempts, cursor.last_error = tried[0], 0, None
    except Exception:  # noqa: BLE001  (counting is best effort: the next round tries again either way)
        log.exception("could not count the failure of event consumer %s", name)


def replay(db: Database, name: str, *, after: int = 0) -> int:
    """Move a history consumer's cursor back to `after` (0: the beginning) and run it until it has caught up.

    Its dead letters after that point are cleared: they are handed over again. Returns the events handled.
    """
    fn = CONSUMERS.get(name)
    if fn is None:
        raise ReplayRefused(f"There is no event consumer {name!r}; known: {', '.join(sorted(CONSUMERS)) or 'none'}.")
    if name not in HISTORY:
        raise ReplayRefused(
            f"The consumer {name!r} reacts to what happens now (it was not declared with history=True); "
            "replaying it would act again on old events."
        )
    with db.write() as session:
        aside = delete(EventDeadLetter).where(EventDeadLetter.consumer == name, EventDeadLetter.event_id > after)
        session.execute(aside)
        row = {"name": name, "last_id": after, "updated_at": now(), "attempts": 0}
        cursor = session.get(EventCursor, name)
        if cursor is None:
            session.execute(dialect_insert(session, EventCursor).values(**row).on_conflict_do_nothing())
        else:
            cursor.last_id, cursor.updated_at, cursor.attempts, cursor.last_error = after, now(), 0, None
    size, handled = get_settings().event_consumer_batch, 0
    while True:
        done, read = _step(db, name, fn, size)
        handled += done
        if not read and not _failing(db, name):
            return handled


def _failing(db: Database, name: str) -> bool:
    with db.read() as session:
        return bool(session.scalar(select(EventCursor.attempts).where(EventCursor.name == name)))


def _contiguous(rows: list, last_id: int) -> list:
    """The rows up to the first gap in the ids that an unfinished transaction may still fill."""
    wait = timedelta(seconds=get_settings().event_gap_wait_seconds)
    settled = now() - wait
    expected = last_id + 1
    for i, row in enumerate(rows):
        if row.id != expected and _aware(row.occurred_at) > settled:
            return rows[:i]
        expected = row.id + 1
    return rows


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=UTC)

"""Event consumers: durable reactions that follow the event log after commit, off the writer's path.

A consumer is a function given, in order and in one write transaction, the events recorded since its cursor; what it
writes (deliveries, notifications, jobs) commits together with the cursor's advance, so each event is handled once
and a crash loses nothing. The worker runs the consumers (`run_consumers`), soon after a commit and on every poll.

Ids are handed out before commit, so on PostgreSQL a later id can commit first. A consumer therefore stops at a gap
in the ids until the event after it is `RAPPORT_EVENT_GAP_WAIT_SECONDS` old; by then the transaction that held the
missing id has committed (and is read next time) or rolled back (and the id never comes).
Imported history (`actor_kind` "import") is passed over: consumers react to what happens, not to old data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import UTC, timedelta

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.db.bulk import dialect_insert
from rapport.db.session import Database
from rapport.kit.clock import now
from rapport.models import Event, EventCursor

log = logging.getLogger(__name__)
IMPORTED = "import"
Consumer = Callable[[Session, list[Row]], None]
# What a consumer needs right now: the event names, or None for every event. Asked in the consumer's transaction,
# so only those rows are read in full; a consumer wanting nothing just moves its cursor on.
Wants = Callable[[Session], Collection[str] | None]
CONSUMERS: dict[str, Consumer] = {}
WANTS: dict[str, Wants] = {}
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
)


def consumer(name: str, *, wants: Wants | Collection[str] | None = None) -> Callable[[Consumer], Consumer]:
    """Register `fn(session, events)` as the consumer `name`; it must write only through `session`.

    `wants`: the event names it is handed (a fixed collection, or a function of the session); None: every event.
    """

    def register(fn: Consumer) -> Consumer:
        CONSUMERS[name] = fn
        if wants is None or callable(wants):
            WANTS[name] = wants or _everything
        else:
            names = frozenset(wants)
            WANTS[name] = lambda session: names
        return fn

    return register


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
        try:
            done, read = _advance(db, name, fn, size)
        except Exception:  # noqa: BLE001  (one consumer's failure must not stop the others; it retries next poll)
            log.exception("event consumer %s failed", name)
            continue
        handled += done
        more |= read >= size
    return handled, more


def _advance(db: Database, name: str, fn: Consumer, batch: int) -> tuple[int, int]:
    """Handle the next settled events for one consumer: (events handed to it, events its cursor passed)."""
    with db.write() as session:
        # Another process holding this cursor is already doing this round's work: skip it rather than queue
        # behind it and read the same log again (SQLite has one writer at a time anyway).
        cursor = session.execute(
            select(EventCursor).where(EventCursor.name == name).with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if cursor is None and session.get(EventCursor, name) is not None:
            return 0, 0
        if cursor is None:
            # A new consumer starts at the present: it reacts to what happens from now on. Every process's worker
            # may try this at once on a new database: the first one's row stands.
            start = session.scalar(select(func.max(Event.id))) or 0
            row = {"name": name, "last_id": start, "updated_at": now()}
            session.execute(dialect_insert(session, EventCursor).values(**row).on_conflict_do_nothing())
            return 0, 0
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
            query = select(*COLUMNS).where(
                Event.id > cursor.last_id, Event.id <= ready[-1].id, Event.actor_kind != IMPORTED
            )
            if wanted is not None:
                query = query.where(Event.name.in_(sorted(wanted)))
            fresh = session.execute(query.order_by(Event.id)).all()
        if fresh:
            fn(session, fresh)
        cursor.last_id, cursor.updated_at = ready[-1].id, now()
        return len(fresh), len(ready)


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

"""Event consumers: durable reactions that follow the event log after commit, off the writer's path.

A consumer is a function given, in order and in one write transaction, the events recorded since its cursor; what it
writes (deliveries, notifications, jobs) commits together with the cursor's advance, so each event is handled once
and a crash loses nothing. The worker runs the consumers (`run_consumers`), soon after a commit and on every poll.
The consumers that are behind share one round: one write transaction that reads the log once, hands each consumer
the events it wants (in a savepoint of its own) and moves every cursor in the same commit (a consumer that wants none of
the new events costs no transaction of its own: the busier the log, the more this matters, on SQLite most, where every
write transaction takes the single writer's turn from the intake).
`events.typed.Consumer` builds one from typed handlers, one per event type (`@metrics.on(STATUS_CHANGED)`).

Ids are handed out before commit, so on PostgreSQL a later id can commit first. A consumer therefore stops at a gap
in the ids until the event after it is `RAPPORT_EVENT_GAP_WAIT_SECONDS` old; by then the transaction that held the
missing id has committed (and is read next time) or rolled back (and the id never comes).

When a consumer fails on a batch, the batch is handed over again one event at a time (each in a savepoint), so the
events before the failing one are kept and the cursor stops just before it; each round after that tries that event
again, and after `RAPPORT_EVENT_MAX_ATTEMPTS` failed rounds it is set aside in `event_dead_letters` (admins see and
retry it) and the cursor moves on. A database outage is not the event's fault and counts no try.

Imported history (`actor_kind` "import") is passed over: consumers react to what happens, not to old data. A
consumer declared with `history=True` (metrics, insights) starts at the beginning of the log instead, is handed
imported history too, and may be replayed (`rapport events replay NAME --from-start`) to backfill.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import UTC, timedelta

from sqlalchemy import Connection, Row, delete, func, select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.db.bulk import dialect_insert
from rapport.db.outage import is_unavailable
from rapport.db.session import Database
from rapport.kit.clock import now
from rapport.models import Event, EventCursor, EventDeadLetter

log = logging.getLogger(__name__)
IMPORTED = "import"
ERROR_CHARS = 2000  # of an error kept on a cursor or a dead letter
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
        cursors = {
            r.name: r for r in session.execute(select(EventCursor.name, EventCursor.last_id, EventCursor.attempts))
        }
    behind = [n for n in CONSUMERS if n not in cursors or cursors[n].last_id < latest]  # the others: no write at all
    # A consumer that is new or retrying a failed event goes alone (its own transaction, one event at a time); the
    # rest share one transaction, one read of the log and one commit.
    alone = [n for n in behind if n not in cursors or cursors[n].attempts]
    handled, more, failed = 0, False, []
    together = [n for n in behind if n not in alone]
    if together:
        try:
            handled, more, failed = _round(db, together, size)
        except Exception as exc:  # noqa: BLE001  (a round's failure must not stop the worker)
            if is_unavailable(exc):
                log.warning("event consumers wait for the database: %s", exc)
                return 0, False
            # Something outside any one consumer failed (what a consumer wants, say): each goes alone, where a
            # failure is its own.
            log.warning("a shared round of event consumers failed (%s); each goes alone", exc)
            alone += together
    for name in alone:
        done, read = _step(db, name, CONSUMERS[name], size)
        handled += done
        more |= read >= size
    for name, tried, error in failed:
        done, read = _after_failure(db, name, CONSUMERS[name], size, tried, error)
        handled += done
        more |= read >= size
    return handled, more


def _round(db: Database, names: list[str], size: int) -> tuple[int, bool, list[tuple[str, list[int], Exception]]]:
    """The consumers `names` in one write transaction: the log read once, each consumer handed the settled events it
    wants in a savepoint of its own, every cursor moved in one statement at the commit. Those that failed are returned
    with the events they were handed and the error (their cursors stay), for the path of a failed batch of their own.
    """
    handled, moved, failed = 0, [], []
    with db.write() as session:
        # Cursors another process holds are skipped: it is doing this round's work for them already.
        query = select(EventCursor).where(EventCursor.name.in_(names)).with_for_update(skip_locked=True)
        locked = {c.name: c for c in session.execute(query).scalars()}
        if not locked:
            return 0, False, []
        start = min(c.last_id for c in locked.values())
        # Ids and times first (no payloads): enough to find how far the log is settled for each cursor.
        # Core rows through the connection: the ORM's row machinery costs more than the rest of a quiet round.
        connection = session.connection()
        marks = connection.execute(
            select(Event.id, Event.occurred_at).where(Event.id > start).order_by(Event.id).limit(size)
        ).all()
        plans = {}
        for name, cursor in locked.items():
            after = cursor.last_id
            ready = _contiguous([m for m in marks if m.id > after], after)
            if ready:
                plans[name] = (cursor, after, ready[-1].id, WANTS.get(name, _everything)(session))
        rows = _rows(connection, start, plans)
        for name in (n for n in names if n in plans):  # in registration order, as before
            cursor, after, last, wanted = plans[name]
            history = name in HISTORY
            fresh = [
                r for r in rows
                if after < r.id <= last
                and (wanted is None or r.name in wanted)
                and (history or r.actor_kind != IMPORTED)
            ]  # fmt: skip
            error = _handed(session, name, fresh) if fresh else None
            if error is not None:
                failed.append((name, [r.id for r in fresh], error))
                continue
            handled += len(fresh)
            moved.append((cursor, last))
        at = now()
        for cursor, last in moved:  # after every consumer: one UPDATE for all cursors at the flush
            cursor.last_id, cursor.updated_at = last, at
    return handled, len(marks) >= size, failed


def _handed(session: Session, name: str, fresh: list[Row]) -> Exception | None:
    """Hand one consumer its events in a savepoint; its failure (its writes undone, the events it recorded dropped)."""
    recorded = session.info.setdefault("events", [])
    mark = len(recorded)
    try:
        with session.begin_nested():
            CONSUMERS[name](session, fresh)
    except Exception as exc:  # noqa: BLE001  (the path of a failed batch finds and counts the failing event)
        if is_unavailable(exc):
            raise
        del recorded[mark:]
        log.info("event consumer %s failed in a shared round: %s", name, exc)
        return exc
    return None


def _rows(connection: Connection, start: int, plans: dict) -> list[Row]:
    """The events some consumer of the round wants, read once for all of them (only the names wanted, in full)."""
    if not plans:
        return []
    wants = [w for *_, w in plans.values()]
    if all(w is not None and not w for w in wants):
        return []  # nobody wants anything new: the cursors just move on
    last = max(last for _, _, last, _ in plans.values())
    query = select(*COLUMNS).where(Event.id > start, Event.id <= last)
    if not any(w is None for w in wants):
        query = query.where(Event.name.in_(sorted(set().union(*wants))))
    if not any(name in HISTORY for name in plans):
        query = query.where(Event.actor_kind != IMPORTED)
    return connection.execute(query.order_by(Event.id)).all()


def _step(db: Database, name: str, fn: ConsumerFn, size: int) -> tuple[int, int]:
    """One round of one consumer: its events as one batch; when that fails, one by one to find (and count) the failing
    event. A failure is logged and counted, never raised."""
    tried: list[int] = []
    try:
        return _advance(db, name, fn, size, isolate=False, tried=tried)
    except Exception as exc:  # noqa: BLE001  (one consumer's failure must not stop the others)
        if is_unavailable(exc):
            log.warning("event consumer %s waits for the database: %s", name, exc)
            return 0, 0
        return _after_failure(db, name, fn, size, tried, exc)


def _after_failure(
    db: Database, name: str, fn: ConsumerFn, size: int, tried: list[int], failed: Exception
) -> tuple[int, int]:
    """The consumer failed on the batch `tried`: count the try of a lone event, or hand the events one by one."""
    try:
        if len(tried) == 1:  # that one event failed: count it, without handing it over again this round
            _count(db, name, tried[0], failed)
            return 0, 0
        log.info("event consumer %s failed on a batch (%s); handing its events one by one", name, failed)
        return _advance(db, name, fn, size, isolate=True, tried=[])
    except Exception:  # noqa: BLE001  (its cursor stays; the next round tries again)
        log.exception("event consumer %s failed", name)
        return 0, 0


def _advance(
    db: Database, name: str, fn: ConsumerFn, batch: int, *, isolate: bool, tried: list[int]
) -> tuple[int, int]:
    """Handle the next settled events for one consumer: (events handed to it, events its cursor passed).

    `isolate` (or an event that failed last round): each event in a savepoint of its own, so the events before a
    failing one are kept and the cursor stops just before it.
    """
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
        if not (isolate or cursor.attempts):
            tried.extend(e.id for e in fresh)
            if fresh:
                fn(session, fresh)
            cursor.last_id, cursor.updated_at = ready[-1].id, now()
            return len(fresh), len(ready)
        return _one_by_one(session, name, fn, cursor, fresh, ready)


def _one_by_one(session: Session, name: str, fn: ConsumerFn, cursor: EventCursor, fresh: list, ready: list):
    """Hand each event alone; stop before the first that fails (counting its try), or set it aside at the limit."""
    handled, limit = 0, get_settings().event_max_attempts
    tries = cursor.attempts  # the failed tries of the first event, from earlier rounds
    for row in fresh:
        try:
            with session.begin_nested():
                fn(session, [row])
        except Exception as exc:  # noqa: BLE001  (the failure is counted and shown to admins)
            if is_unavailable(exc):
                raise
            tries += 1
            if tries < limit:
                cursor.last_id = max((m.id for m in ready if m.id < row.id), default=cursor.last_id)
                _note(cursor, name, row.id, tries, exc)
                return handled, len([m for m in ready if m.id < row.id])
            _set_aside(session, name, row.id, tries, exc)
        else:
            handled += 1
        tries = 0  # the next event has no failed try yet
    cursor.last_id, cursor.updated_at, cursor.attempts, cursor.last_error = ready[-1].id, now(), 0, None
    return handled, len(ready)


def _count(db: Database, name: str, event_id: int, exc: Exception) -> None:
    """Count a failed try of the one event a round handed over; at the limit, set it aside and move past it."""
    with db.write() as session:
        # A history consumer's first round made its cursor in the transaction that failed: make it again.
        start = {"name": name, "last_id": 0, "updated_at": now(), "attempts": 0}
        session.execute(dialect_insert(session, EventCursor).values(**start).on_conflict_do_nothing())
        cursor = session.execute(select(EventCursor).where(EventCursor.name == name).with_for_update()).scalar_one()
        tries = cursor.attempts + 1
        if tries < get_settings().event_max_attempts:
            _note(cursor, name, event_id, tries, exc)
            return
        _set_aside(session, name, event_id, tries, exc)
        cursor.last_id, cursor.updated_at, cursor.attempts, cursor.last_error = event_id, now(), 0, None


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]


def _note(cursor: EventCursor, name: str, event_id: int, tries: int, exc: Exception) -> None:
    """Keep the count of failed tries (and the error) on the cursor, which stays just before the event."""
    cursor.attempts, cursor.last_error, cursor.updated_at = tries, _error(exc), now()
    limit = get_settings().event_max_attempts
    log.warning("event consumer %s failed on event %s (try %s of %s): %s", name, event_id, tries, limit, exc)


def _set_aside(session: Session, name: str, event_id: int, tries: int, exc: Exception) -> None:
    """Write the dead letter of an event the consumer failed on `tries` times."""
    row = {"consumer": name, "event_id": event_id, "error": _error(exc), "attempts": tries, "at": now()}
    session.execute(dialect_insert(session, EventDeadLetter).values(**row).on_conflict_do_nothing())
    log.error("event consumer %s set event %s aside after %s tries: %s", name, event_id, tries, exc)


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
    size, handled, stuck = get_settings().event_consumer_batch, 0, 0
    # A failing event takes one round per try before it is set aside; rounds that pass nothing more than that
    # (a database outage) end the replay, and the worker carries on from where it stopped.
    while stuck <= get_settings().event_max_attempts:
        done, read = _step(db, name, fn, size)
        handled += done
        if read:
            stuck = 0
        elif not _failing(db, name):
            break
        else:
            stuck += 1
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

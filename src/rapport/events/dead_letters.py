"""Events a consumer set aside after RAPPORT_EVENT_MAX_ATTEMPTS failures: listed for admins, and retried one by one.

A retry hands the one event to its consumer again inside a savepoint of the caller's transaction: on success the
consumer's writes stay and the dead letter goes; on failure they are undone and the dead letter keeps the new error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from rapport.events import consumers
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, NotFound
from rapport.models import Event, EventCursor, EventDeadLetter

log = logging.getLogger(__name__)
PAGE = 100


@dataclass(frozen=True)
class Letter:
    """A dead letter with the event it holds back (None when the event row is gone)."""

    row: EventDeadLetter
    event: Row | None


def page(
    session: Session, actor: Actor, *, before: int | None = None, limit: int = PAGE
) -> tuple[list[Letter], int | None]:
    """The newest dead letters (before id `before`) and where the next page starts (None at the end)."""
    authorize(actor, "admin")
    query = select(EventDeadLetter).order_by(EventDeadLetter.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(EventDeadLetter.id < before)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    events = {
        e.id: e for e in session.execute(select(*consumers.COLUMNS).where(Event.id.in_([r.event_id for r in rows])))
    }
    return [Letter(r, events.get(r.event_id)) for r in rows], rows[-1].id if more else None


def failing(session: Session, actor: Actor) -> list[EventCursor]:
    """Consumers trying an event again right now (not yet set aside), with their last error."""
    authorize(actor, "admin")
    return list(session.scalars(select(EventCursor).where(EventCursor.attempts > 0).order_by(EventCursor.name)))


def retry(session: Session, actor: Actor, letter_id: int) -> bool:
    """Hand a dead letter's event to its consumer again: True when handled (the letter goes), False when it failed."""
    authorize(actor, "admin")
    letter = session.get(EventDeadLetter, letter_id)
    if letter is None:
        raise NotFound(f"There is no dead letter {letter_id}.")
    fn = consumers.CONSUMERS.get(letter.consumer)
    if fn is None:
        raise Conflict(f"The consumer {letter.consumer!r} no longer exists; its dead letter cannot be retried.")
    event = session.execute(select(*consumers.COLUMNS).where(Event.id == letter.event_id)).one_or_none()
    if event is None:
        raise Conflict(f"Event {letter.event_id} is no longer in the log; its dead letter cannot be retried.")
    try:
        with session.begin_nested():
            fn(session, [event])
    except Exception as exc:  # noqa: BLE001  (the consumer's failure is the answer shown to the admin)
        log.warning("retry of event %s for consumer %s failed: %s", letter.event_id, letter.consumer, exc)
        letter.attempts += 1
        letter.error = f"{type(exc).__name__}: {exc}"[: consumers.ERROR_CHARS]
        letter.at = now()
        return False
    session.delete(letter)
    return True

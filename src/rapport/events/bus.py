"""In-process publish/subscribe of committed events (realtime push and other after-commit reactions)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from rapport.db import session as db_session

if TYPE_CHECKING:
    from rapport.events.outbox import Recorded

log = logging.getLogger(__name__)
_subscribers: list[Callable[[list[Recorded]], None]] = []


def subscribe(fn: Callable[[list[Recorded]], None]) -> None:
    """Call `fn` with each batch of events after their transaction commits."""
    _subscribers.append(fn)


def unsubscribe(fn: Callable[[list[Recorded]], None]) -> None:
    """Stop calling `fn`."""
    if fn in _subscribers:
        _subscribers.remove(fn)


def publish(events: list[Recorded]) -> None:
    """Hand committed events to every subscriber; a failing subscriber never affects the others."""
    for fn in list(_subscribers):
        try:
            fn(events)
        except Exception:  # noqa: BLE001  (after commit nothing may undo the write)
            log.exception("event subscriber %r failed", fn)


db_session.after_commit(publish)  # every commit that recorded events hands them here

"""Telling a database that cannot be reached from a fault in the code, and reporting it without a flood.

During an outage every request and every worker poll fails the same way; a traceback each (thousands a minute)
buries the one line that matters. `report` logs one line per kind of failure per RAPPORT_DB_ERROR_LOG_SECONDS,
with how many were folded into it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import exc as sa_exc

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.problems import Problem

log = logging.getLogger("rapport.db")


class DatabaseUnavailable(Problem):
    """The database cannot be reached right now; the client may retry after Retry-After seconds."""

    status, title, slug = 503, "Service unavailable", "database-unavailable"


def is_unavailable(error: BaseException) -> bool:
    """True for a failure to reach the database (refused, dropped, timed out, unopenable), not for a bad query."""
    if isinstance(error, sa_exc.TimeoutError):  # the connection pool had none to give in time
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError))


def kind(error: BaseException) -> str:
    """A short name for the failure: the driver's exception class and the first words of its message."""
    cause = getattr(error, "orig", None) or error
    words = " ".join(str(cause).split())[:120]
    return f"{type(cause).__module__}.{type(cause).__name__}: {words}"


class FailureLog:
    """Logs a failure kind at most once per interval, counting the repeats it folded in."""

    def __init__(self, logger: logging.Logger = log):
        self.logger = logger
        self._lock = threading.Lock()
        self._last: dict[str, tuple[datetime, int]] = {}

    def report(self, error: BaseException, *, where: str) -> bool:
        """Note one failure seen by `where`; True when it was logged (else only counted)."""
        name = kind(error)
        interval = timedelta(seconds=get_settings().db_error_log_seconds)
        stamp = now()
        with self._lock:
            last, folded = self._last.get(name, (None, 0))
            if last is not None and stamp - last < interval:
                self._last[name] = (last, folded + 1)
                return False
            self._last[name] = (stamp, 0)
        more = f" ({folded} more like it since the last report)" if folded else ""
        self.logger.error("database unavailable (%s): %s%s", where, name, more)
        return True


REPORTS = FailureLog()

"""The `rapport worker` process: what `rapport serve` runs beside the web, without the web.

Event consumers, periodic jobs and jobs on N threads (worker.runner.Worker), email inboxes fetched (each mailbox
under a lease, so several worker processes share them), SQLite's background checkpoint, and with RAPPORT_REDIS_URL
the live pushes of what it commits (pages served by web processes follow a reply's delivery status).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading

from rapport.channels.email.runtime import EmailRuntime
from rapport.config import Settings
from rapport.db.engine import Checkpointer, make_engine
from rapport.db.session import Database
from rapport.worker.runner import Worker


class LivePushes(threading.Thread):
    """A hub on its own event loop that only publishes this process's commits to Redis (it serves no stream)."""

    def __init__(self, db: Database, settings: Settings):
        super().__init__(name="rapport-live", daemon=True)
        from rapport.realtime.hub import Hub

        self.hub = Hub(db, redis_url=settings.redis_url, channel=settings.redis_channel)
        self.loop = asyncio.new_event_loop()
        self._stopped = asyncio.Event()

    def run(self) -> None:  # noqa: D102
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        await self.hub.start()
        await self._stopped.wait()
        await self.hub.stop()

    def stop(self) -> None:
        """Stop publishing."""
        self.loop.call_soon_threadsafe(self._stopped.set)
        self.join(timeout=10)


def run(settings: Settings, *, threads: int, stop: threading.Event | None = None) -> None:
    """Run the worker process until SIGTERM or SIGINT (or `stop` is set); running jobs finish first."""
    stop = stop or threading.Event()
    sys.setswitchinterval(settings.switch_interval(serving=False))
    db = Database(make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size))
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    worker = Worker(db, threads=threads)
    parts: list = [worker, EmailRuntime(db)]
    if db.is_sqlite:
        parts.append(Checkpointer(db.engine, interval=settings.sqlite_checkpoint_seconds))
    if settings.redis_url:
        parts.append(LivePushes(db, settings))
    for part in parts:
        part.start()
    stop.wait()
    for part in reversed(parts):
        part.stop()
    worker.join(timeout=60)
    db.engine.dispose()

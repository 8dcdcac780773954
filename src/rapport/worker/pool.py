"""A worker process's threads: claim as many due jobs as there are free threads, within each kind's cap.

One heartbeat renews every job the process holds. A kind never runs on more than its cap of threads at once
(RAPPORT_JOB_KIND_CONCURRENCY, per kind RAPPORT_JOB_KIND_LIMITS), so with more threads than any cap, a slow kind
(webhook receivers that take their time) always leaves threads for the jobs behind it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rapport.config import get_settings
from rapport.db.session import Database
from rapport.worker import queue
from rapport.worker.runner import Heartbeat, run_one


def kind_cap(kind: str) -> int:
    """How many jobs of `kind` one worker process runs at once (RAPPORT_JOB_KIND_LIMITS, else
    RAPPORT_JOB_KIND_CONCURRENCY)."""
    settings = get_settings()
    return settings.job_kind_limits.get(kind, settings.job_kind_concurrency)


class Pool:
    """`threads` job threads of one owner; `fill()` claims work for the free ones, `on_free` is told when one frees."""

    def __init__(self, db: Database, *, threads: int, owner: str, on_free: Callable[[], None] = lambda: None):
        self.db, self.threads, self.owner, self.on_free = db, threads, owner, on_free
        self._lock = threading.Lock()
        self._running: dict[int, str] = {}  # job id -> kind
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="rapport-job")
        self._heartbeat = Heartbeat(db, owner, [], interval=queue.lease_seconds() / 3)
        self._heartbeat.start()

    def free(self) -> int:
        """Threads with no job."""
        with self._lock:
            return self.threads - len(self._running)

    def running(self) -> dict[str, int]:
        """How many jobs of each kind run now."""
        with self._lock:
            return dict(Counter(self._running.values()))

    def fill(self) -> int:
        """Claim up to one due job per free thread (each kind within its cap) and start them; returns how many."""
        free = self.free()
        if free <= 0:
            return 0
        with self.db.read() as session:
            # Look before taking the write lock: most polls find nothing to do.
            if not queue.any_due(session):
                return 0
        with self.db.write() as session:
            claimed = queue.claim(session, limit=free, owner=self.owner, running=self.running(), caps=kind_cap)
            jobs = [(j.id, j.kind, dict(j.payload), j) for j in claimed]
        if not jobs:
            return 0
        with self._lock:
            self._running.update({job_id: kind for job_id, kind, _, _ in jobs})
        self._heartbeat.add([j[0] for j in jobs])
        for job in jobs:
            self._executor.submit(self._run, *job)
        return len(jobs)

    def _run(self, job_id: int, kind: str, payload: dict, job) -> None:
        try:
            run_one(self.db, job_id, kind, payload, job, self.owner)
        finally:
            self._heartbeat.done(job_id)
            with self._lock:
                self._running.pop(job_id, None)
            self.on_free()

    def close(self) -> None:
        """Let the running jobs finish, then stop the heartbeat."""
        self._executor.shutdown(wait=True)
        self._heartbeat.__exit__(None, None, None)

"""The worker loop: claim due jobs, run each in its own transaction, retry failures with backoff.

`Worker` is the loop of a worker process (or of the worker thread inside `rapport serve`): consumers, periodic
jobs, and a pool of job threads (worker.pool). `run_due` runs what is due now in the calling thread (tests, tools).

A claim is a short lease (RAPPORT_JOB_LEASE_SECONDS) that a heartbeat renews every third of it while the batch
runs: a job whose process died is claimed again within one lease, and a live one that runs long is never taken.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.db.outage import REPORTS, is_unavailable
from rapport.db.session import Database
from rapport.events import bus, consumers
from rapport.kernel import channels, registry
from rapport.worker import periodic, queue

log = logging.getLogger(__name__)
Handler = Callable[[Session, dict], None]
HANDLERS: dict[str, Handler] = {}
# Kinds whose handler waits on the outside world (an HTTP call to a receiver): it is given the Database, not a session,
# and opens its own short transactions, so no write transaction (on SQLite, the writer's turn) is held while it waits.
OUTSIDE_TRANSACTION: set[str] = set()
# kind -> fn(session, payload, error, dead): records a failure where people see it (e.g. on the message),
# in the same transaction that schedules the retry, since the failed handler's own writes were rolled back.
FailureHook = Callable[[Session, dict, str, bool], None]
FAILURE_HOOKS: dict[str, FailureHook] = {}
# Who claims: one name per process, so a heartbeat renews only its own claims.
OWNER = f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def handler(kind: str, *, outside_transaction: bool = False) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind`; it must be idempotent.

    `outside_transaction=True`: it is called as `fn(db, payload)` and opens its own transactions; the job is finished
    after it returns.
    """

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if outside_transaction:
            OUTSIDE_TRANSACTION.add(kind)
        else:
            OUTSIDE_TRANSACTION.discard(kind)
        return fn

    return register


def on_failure(kind: str) -> Callable[[FailureHook], FailureHook]:
    """Register the function told when a job of `kind` fails (with whether it is now dead)."""

    def register(fn: FailureHook) -> FailureHook:
        FAILURE_HOOKS[kind] = fn
        return fn

    return register


def load_handlers() -> None:
    """Import every module that registers job handlers or event consumers (each domain names its own)."""
    registry.load_workers()
    channels.load()


class Heartbeat(threading.Thread):
    """Renews the lease of the owner's claimed jobs every `interval` seconds until stopped."""

    def __init__(self, db: Database, owner: str, job_ids: list[int], *, interval: float):
        super().__init__(name="rapport-job-heartbeat", daemon=True)
        self.db, self.owner, self.interval = db, owner, interval
        self.job_ids = list(job_ids)
        self._lock = threading.Lock()  # a pool's threads add and drop jobs while the beat reads them
        self._stop_event = threading.Event()

    def beat(self) -> int:
        """Renew now; returns how many of the jobs are still this owner's."""
        with self._lock:
            ids = list(self.job_ids)
        if not ids:
            return 0
        with self.db.write() as session:
            return queue.renew(session, ids, self.owner)

    def add(self, job_ids: list[int]) -> None:
        """Jobs just claimed: renew them too."""
        with self._lock:
            self.job_ids.extend(job_ids)

    def done(self, job_id: int) -> None:
        """The job finished (or failed): stop renewing it."""
        with self._lock:
            if job_id in self.job_ids:
                self.job_ids.remove(job_id)

    def run(self) -> None:  # noqa: D102
        while not self._stop_event.wait(self.interval):
            try:
                self.beat()
            except Exception as exc:  # noqa: BLE001  (a missed beat only shortens the lease; the next one may land)
                log.warning("job heartbeat failed: %s", exc)

    def __enter__(self) -> Heartbeat:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop_event.set()
        self.join()


def run_due(db: Database, *, batch: int = 50, owner: str | None = None) -> int:
    """Run the jobs due now; returns how many were attempted."""
    owner = owner or OWNER
    with db.read() as session:
        # Look before taking the write lock: most polls find nothing to do.
        if not queue.any_due(session):
            return 0
    with db.write() as session:
        jobs = [(j.id, j.kind, dict(j.payload), j) for j in queue.claim(session, limit=batch, owner=owner)]
    if not jobs:
        return 0
    with Heartbeat(db, owner, [j[0] for j in jobs], interval=queue.lease_seconds() / 3) as heartbeat:
        for job_id, kind, payload, job in jobs:
            run_one(db, job_id, kind, payload, job, owner)
            heartbeat.done(job_id)
    return len(jobs)


class LostClaim(Exception):  # noqa: N818  (a verdict, not a fault)
    """The job's lease ran out and another worker took it: this run's writes are rolled back."""


def run_one(db: Database, job_id: int, kind: str, payload: dict, job, owner: str | None = None) -> None:
    """Run one claimed job in its own transaction (or none); a failure schedules the retry.

    With `owner`, the job is finished or failed only while that owner still holds it: a worker that stalled past
    its lease (so another took the job over) neither removes the other's claim nor commits the handler's writes.
    """
    try:
        fn = HANDLERS.get(kind) or periodic.handler_for(kind)
        if fn is None:
            raise LookupError(f"no handler registered for job kind '{kind}'")
        if kind in OUTSIDE_TRANSACTION:
            fn(db, payload)
            with db.write() as session:
                if not queue.finish(session, job_id, owner):
                    raise LostClaim(job_id)
        else:
            with db.write() as session:
                fn(session, payload)
                if not queue.finish(session, job_id, owner):
                    raise LostClaim(job_id)
    except LostClaim:
        log.warning("job %s (%s) was taken over by another worker; its outcome is theirs", job_id, kind)
    except Exception as exc:  # noqa: BLE001  (any failure is retried, then parked as dead)
        log.warning("job %s (%s) failed: %s", job_id, kind, exc)
        error = f"{type(exc).__name__}: {exc}"
        with db.write() as session:
            dead = queue.fail(session, job, error, owner)
            hook = FAILURE_HOOKS.get(kind)
            if hook is not None and dead is not None:
                hook(session, payload, error, dead)


class Worker(threading.Thread):
    """Runs the event consumers, fires periodic jobs and hands due jobs to `threads` job threads until stopped.

    It polls every `interval` seconds. A commit wakes it early (when consumers are registered), at most once per
    `min_gap` seconds: under a stream of commits the consumers then take the events in batches instead of one poll
    per commit. A job thread coming free wakes it too. It goes round again at once only while there is certainly
    more to do: it started jobs and has threads left (others may be due) or a consumer read a full batch.
    """

    def __init__(self, db: Database, *, interval: float = 1.0, min_gap: float = 0.2, threads: int | None = None):
        super().__init__(name="rapport-worker", daemon=True)
        self.db, self.interval, self.min_gap = db, interval, min_gap
        self.threads = threads or get_settings().worker_threads
        self._stop_event, self._wake = threading.Event(), threading.Event()

    def run(self) -> None:  # noqa: D102
        from rapport.worker.pool import Pool  # the pool runs jobs through this module

        load_handlers()
        pool = Pool(self.db, threads=self.threads, owner=OWNER, on_free=self._wake.set)
        ticker = periodic.Ticker(self.db)
        if consumers.CONSUMERS:
            bus.subscribe(self._on_commit)
        try:
            self._loop(pool, ticker)
        finally:
            bus.unsubscribe(self._on_commit)
            pool.close()

    def _loop(self, pool, ticker: periodic.Ticker) -> None:
        while not self._stop_event.is_set():
            try:
                # Consumers first: the jobs they queue (webhook deliveries …) run in the same round.
                more = consumers.catch_up(self.db)[1]
                ticker.tick()
                busy = (pool.fill() > 0 and pool.free() > 0) or more
            except Exception as exc:  # noqa: BLE001  (a database hiccup must not kill the loop)
                if is_unavailable(exc):
                    REPORTS.report(exc, where="worker")  # one line per interval through an outage, not one per poll
                else:
                    log.exception("worker poll failed")
                busy = False
            if not busy:
                self._stop_event.wait(self.min_gap)  # commits that arrive meanwhile are taken together
                self._wake.wait(max(0.0, self.interval - self.min_gap))
                self._wake.clear()

    def _on_commit(self, events: list) -> None:
        # Runs on the committing thread: only a flag, never work.
        self._wake.set()

    def wake(self) -> None:
        """Poll now (after a commit that queued work)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming, let the running jobs finish, and exit."""
        self._stop_event.set()
        self._wake.set()

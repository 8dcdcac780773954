"""Group commit for inbound messages: requests arriving together share one transaction.

A busy inbox sends many small writes at once. Each request hands its message to this process's intake
thread and waits; the thread takes everything queued, writes it with receive_batch in one transaction,
commits, and answers every waiting request. Nothing is acknowledged before its commit.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from sqlalchemy.exc import DBAPIError

from rapport.agents.permissions import Actor
from rapport.conversations.inbound import Inbound, Received, receive_batch
from rapport.db.session import Database
from rapport.kit.problems import Problem

log = logging.getLogger(__name__)


class Intake:
    """One writer thread per process that receives inbound messages in batches of up to `max_batch`."""

    def __init__(self, db: Database, *, max_batch: int = 64, timeout: float = 30.0):
        self.db, self.max_batch, self.timeout = db, max_batch, timeout
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, actor: Actor, msg: Inbound) -> Received | Problem:
        """Queue a message and wait until its batch has committed (or failed)."""
        self._ensure_thread()
        future: Future = Future()
        self._queue.put((actor, msg, future))
        return future.result(timeout=self.timeout)

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="rapport-intake", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._process(batch)

    def _process(self, batch: list, attempt: int = 0) -> None:
        try:
            with self.db.write() as session:
                outcomes = receive_batch(session, [(actor, msg) for actor, msg, _ in batch])
        except DBAPIError as exc:
            # Another process won a race (same new customer or external id) or the database was busy:
            # split the batch so one item's trouble cannot fail the others, and retry.
            if len(batch) > 1:
                for item in batch:
                    self._process([item])
            elif attempt < 2:
                self._process(batch, attempt + 1)
            else:
                batch[0][2].set_exception(exc)
            return
        except Exception as exc:  # noqa: BLE001  (whatever it is, every waiting request must hear of it)
            log.exception("inbound batch failed")
            if len(batch) > 1:
                for item in batch:
                    self._process([item])
            else:
                batch[0][2].set_exception(exc)
            return
        for (_, _, future), outcome in zip(batch, outcomes, strict=True):
            future.set_result(outcome)

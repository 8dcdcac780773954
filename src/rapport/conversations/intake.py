"""Group commit for inbound messages: requests arriving together share one transaction.

A busy inbox sends many small writes at once. Each request hands its message (with the caller's bearer
token) to this process's intake thread and waits without holding a thread of its own; the intake thread takes
everything queued, authenticates the batch, writes it with receive_batch in one transaction, commits, and
answers every waiting request. Nothing is acknowledged before its commit.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from rapport.agents import auth
from rapport.conversations.inbound import Inbound, Received, receive_batch
from rapport.conversations.inbound_plan import prepare
from rapport.db.session import Database
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.problems import Problem

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """One queued message: who sent it (a bearer token), the message, and the optional Idempotency-Key.

    A channel webhook that authenticated the request itself (a provider's signature) passes `actor` instead
    of a token.
    """

    token: str | None
    msg: Inbound
    idempotency_key: str | None = None
    digest: str = ""
    actor: Actor | None = None


class Intake:
    """One writer thread per process that receives inbound messages in batches of up to `max_batch`."""

    def __init__(self, db: Database, *, max_batch: int = 64):
        self.db, self.max_batch = db, max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def receive(self, delivery: Delivery) -> Received | Problem:
        """Queue a message and wait (asynchronously) until its batch has committed or failed."""
        loop = asyncio.get_running_loop()
        if delivery.msg.html and not delivery.msg.html_sanitized:
            # HTML is sanitised on a pool thread (nh3 lets go of the GIL), before the writer's turn.
            problem = await loop.run_in_executor(None, self._prepare, delivery)
            if problem is not None:
                return problem
        future = loop.create_future()
        self._put(delivery, loop, future)
        return await future

    def submit(self, delivery: Delivery) -> Future:
        """Queue a message from a thread; the future resolves to its outcome after commit."""
        future: Future = Future()
        problem = self._prepare(delivery) if delivery.msg.html and not delivery.msg.html_sanitized else None
        if problem is not None:
            future.set_result(problem)
            return future
        self._put(delivery, None, future)
        return future

    def _prepare(self, delivery: Delivery) -> Problem | None:
        """Authenticate, then sanitise the message's HTML (bounded): outside any transaction and the writer's turn."""
        try:
            actor = delivery.actor
            if actor is None:
                with self.db.read() as session:
                    found = auth.from_tokens(session, [delivery.token])[delivery.token]
                if isinstance(found, Problem):
                    return found
                actor = found[0]
            authorize(actor, "messages.inbound")  # nobody makes the server sanitise before being let in
            prepare(delivery.msg)
        except Problem as problem:
            return problem
        return None

    def _put(self, delivery: Delivery, loop, future) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="rapport-intake", daemon=True)
                    self._thread.start()
        self._queue.put((delivery, loop, future))

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            settled: list = []
            # Take the writer turn first, then gather: messages that came in while another process held the
            # database join this batch (a batch's fixed cost is several times one message's).
            with self.db.writer_turn():
                while len(batch) < self.max_batch:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                self._process(batch, settled)
            _answer(settled)

    def _process(self, batch: list, settled: list, attempt: int = 0) -> None:
        try:
            with self.db.write(turn_held=True) as session:
                outcomes = self._receive(session, [d for d, _, _ in batch])
        except DBAPIError as exc:
            # Another process won a race (same new customer or external id) or the database was busy:
            # split the batch so one item's trouble cannot fail the others, and retry.
            if len(batch) > 1:
                for item in batch:
                    self._process([item], settled)
            elif attempt < 2:
                self._process(batch, settled, attempt + 1)
            else:
                settled.append((batch[0], exc, True))
            return
        except Exception as exc:  # noqa: BLE001  (whatever it is, every waiting request must hear of it)
            log.exception("inbound batch failed")
            if len(batch) > 1:
                for item in batch:
                    self._process([item], settled)
            else:
                settled.append((batch[0], exc, True))
            return
        settled.extend((item, outcome, False) for item, outcome in zip(batch, outcomes, strict=True))

    @staticmethod
    def _receive(session, deliveries: list[Delivery]) -> list[Received | Problem]:
        tokens = list({d.token for d in deliveries if d.actor is None})
        actors = auth.from_tokens(session, tokens) if tokens else {}
        outcomes: list[Received | Problem | None] = []
        items = []
        for d in deliveries:
            found = (d.actor, None) if d.actor is not None else actors[d.token]
            if isinstance(found, Problem):
                outcomes.append(found)
                continue
            actor, token = found
            if d.idempotency_key:
                d.msg.idempotency = (f"token:{token.id}", d.idempotency_key, d.digest)
            outcomes.append(None)
            items.append((actor, d.msg))
        received = iter(receive_batch(session, items))
        return [o if o is not None else next(received) for o in outcomes]


def _answer(settled: list) -> None:
    """Hand each outcome to its waiting request: one wake-up per event loop for the whole batch."""
    by_loop: dict = {}
    for (_, loop, future), value, failed in settled:
        if loop is None:
            future.set_exception(value) if failed else future.set_result(value)
        else:
            by_loop.setdefault(loop, []).append((future, value, failed))
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, items)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            log.warning("an event loop closed before %d inbound answers could be delivered", len(items))


def _settle(items: list) -> None:
    for future, value, failed in items:
        if not future.done():  # a request that went away cancelled its future
            future.set_exception(value) if failed else future.set_result(value)

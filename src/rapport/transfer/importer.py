"""Bulk import: records streamed in batches, each batch one transaction, idempotent on every re-run.

A bad record is skipped and reported with its line number; everything else is imported. A batch the
database refuses (a race with another writer, say) is split in halves until the refused record is found.
"""

from __future__ import annotations

import gc
import os
import queue
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from rapport.config import get_settings
from rapport.db import deferred
from rapport.db.session import Database
from rapport.transfer import conversations, customers, directory, records
from rapport.transfer.readers import Record, Source
from rapport.transfer.records import ConversationSpec, RecordError
from rapport.transfer.report import ImportFailed, ImportReport, Outcome
from rapport.transfer.store import Store

BATCH_MESSAGES = 10_000
BATCH_CUSTOMERS = 5_000
# PostgreSQL does most of the work of an import (search vectors, indexes, foreign keys): one writer per core, plus one.
PG_WRITERS = min(4, (os.cpu_count() or 1) + 1)
RETRIES = 3
# Their secondary indexes are dropped while they are empty and built once the rows are in (db/deferred.py).
DEFERRED_TABLES = ("customers", "identities", "conversations", "conversation_tags", "messages", "events")
ANALYZE_AFTER = 10_000  # rows; a large import refreshes the planner's statistics at the end
# The importer writes through the raw driver, so both SQLAlchemy's wrappers and the drivers' own errors occur.
REFUSED = (
    IntegrityError,
    DataError,
    sqlite3.IntegrityError,
    sqlite3.DataError,
    psycopg.IntegrityError,
    psycopg.DataError,
)
CONTENDED = (OperationalError, psycopg.OperationalError)


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _sqlstate(exc: Exception) -> str | None:
    return getattr(getattr(exc, "orig", exc), "sqlstate", None)


def import_file(
    db: Database,
    path: Path,
    *,
    format: str | None = None,  # noqa: A002  (the CLI option's name)
    on_batch: Callable[[ImportReport, Source], None] | None = None,
    **options: Any,
) -> ImportReport:
    """Import a JSONL or CSV file (format from the extension unless given); see import_records for options."""
    source = Source(Path(path), format)
    callback = (lambda report: on_batch(report, source)) if on_batch else None
    return import_records(db, source, on_batch=callback, **options)


def import_records(
    db: Database,
    items: Iterable[Record] | Iterable[dict],
    *,
    batch_messages: int = BATCH_MESSAGES,
    max_errors: int = 1000,
    writers: int | None = None,
    on_batch: Callable[[ImportReport], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import records, given as (line, dict) pairs or bare dicts (numbered from 1), and report what happened.

    Batches of about `batch_messages` messages are written in one transaction each, by `writers` threads
    (always one on SQLite). More than `max_errors` refused lines stop the import. `on_phase` hears when the
    import moves on from loading rows to building the indexes it set aside.
    """
    run = _Run(
        db, batch_messages=batch_messages, max_errors=max_errors, writers=writers, on_batch=on_batch, on_phase=on_phase
    )
    started = time.perf_counter()
    try:
        with _gc_paused(), _switch_interval(get_settings().switch_interval(serving=False)):
            run.feed(items)
    except ImportFailed as exc:
        run.report.aborted = str(exc)
    finally:
        run.report.seconds = time.perf_counter() - started
        run.report.errors.sort(key=lambda error: error[0])
    return run.report


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while importing: the import makes millions of short-lived, acyclic objects
    (freed by reference counting), and collections triggered by them took almost half of its Python time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _switch_interval(seconds: float):
    """The GIL handed over sooner while importing: the writer threads come back from the database once per
    statement and, at Python's 5 ms default, waited for the planning thread to let go (RAPPORT_GIL_SWITCH_MS)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


class _Run:
    def __init__(
        self, db: Database, *, batch_messages: int, max_errors: int, writers: int | None, on_batch, on_phase=None
    ):
        self.db = db
        self.batch_messages = max(1, batch_messages)
        self.max_errors = max_errors
        self.on_batch = on_batch
        self.on_phase = on_phase
        self.report = ImportReport(keep_errors=max(max_errors, 1) + 1)
        self.max_chars = get_settings().max_message_chars
        with db.read() as session:
            self.directory = directory.Directory.load(session)
        self.small: list[tuple[int, str, dict]] = []
        self.customers: list[records.CustomerSpec] = []
        self.convs: dict[str, ConversationSpec] = {}
        self.conv_messages = 0
        self.lock = threading.Lock()
        # SQLite has one writer at a time; one writer thread still overlaps planning with the database's work.
        # writers=0 writes in the calling thread.
        default = 1 if db.is_sqlite else PG_WRITERS
        self.writers = default if writers is None else max(0, min(writers, 1 if db.is_sqlite else writers))
        self.pipeline = _Pipeline(self.writers)
        self.planner: Store | None = None
        self.batch = 0
        self.inflight: list[tuple[int, dict, set]] = []
        self.done: set[int] = set()

    def feed(self, items) -> None:
        aside = deferred.set_aside(self.db.engine, DEFERRED_TABLES) if get_settings().import_defer_indexes else []
        try:
            with Store.planner(self.db.engine) as planner:
                self.planner = planner
                self._feed(items)
        finally:
            # Batches already handed over are finished, not abandoned: what was imported stays consistent.
            self.pipeline.close()
            if aside:
                if self.on_phase is not None:
                    self.on_phase(f"Building {len(aside)} indexes")
                self.report.indexes_built = deferred.restore(self.db.engine)
        created = self.report.counts["message.created"] + self.report.counts["customer.created"]
        if created or self.report.counts["conversation.created"]:
            with self.db.write() as session:
                Store.of(session).finish_bulk(analyze=created >= ANALYZE_AFTER)

    def _feed(self, items) -> None:
        for number, item in enumerate(items, 1):
            line, obj = item if isinstance(item, tuple) else (number, item)
            if isinstance(obj, RecordError):
                self._error(line, str(obj))
                continue
            try:
                self._take(line, obj)
            except RecordError as exc:
                self._error(line, str(exc))
        self._flush_small()
        self._flush_customers()
        self._flush_conversations()
        self.pipeline.drain()

    def _take(self, line: int, obj: dict) -> None:
        kind = obj.get("type")
        if kind == "conversation" or kind == "message":
            self._flush_small()
            self._flush_customers()
            if kind == "conversation":
                spec, errors = records.conversation(obj, line, self.max_chars)
                for at, message in errors:
                    self._error(at, message)
            else:
                spec = records.message_line(obj, line, self.max_chars)
            self._add_conversation(spec)
            if self.conv_messages >= self.batch_messages:
                self._flush_conversations()
        elif kind == "customer":
            self._flush_small()
            self._flush_conversations()
            self.customers.append(records.customer(obj, line))
            if len(self.customers) >= BATCH_CUSTOMERS:
                self._flush_customers()
        else:
            data = records.directory(kind, obj)
            self._flush_customers()
            self._flush_conversations()
            self.small.append((line, kind, data))

    def _add_conversation(self, spec: ConversationSpec) -> None:
        # The same ref twice in one batch (split CSV rows, message lines) becomes one conversation.
        seen = self.convs.get(spec.ref)
        if seen is None:
            self.convs[spec.ref] = spec
        elif seen.append_only and not spec.append_only:
            spec.messages = seen.messages + spec.messages
            self.convs[spec.ref] = spec
        else:
            seen.messages.extend(spec.messages)
        self.conv_messages += len(spec.messages) + 1

    def _error(self, line: int, message: str) -> None:
        with self.lock:
            self.report.error(line, message)
            over = self.report.error_count > self.max_errors
        if over:
            raise ImportFailed(
                f"Stopped after {self.report.error_count} refused lines (the limit is {self.max_errors}, "
                "--max-errors). Batches before this point were imported; fix the file and run again."
            )

    def _apply(self, outcome: Outcome) -> None:
        with self.lock:
            self.report.counts.update(outcome.counts)
        for line, message in outcome.errors:
            self._error(line, message)

    def _flush_small(self) -> None:
        items, self.small = self.small, []
        if not items:
            return
        self.pipeline.drain()  # the directory changes only while no batch is reading it
        try:
            with self.db.write() as session:
                outcome = directory.write(session, self.directory, items)
        except Exception:
            with self.db.read() as session:
                self.directory = directory.Directory.load(session)
            raise
        self._apply(outcome)
        self._progress()

    def _flush_customers(self) -> None:
        specs, self.customers = self.customers, []
        if specs:
            self.pipeline.submit("customers", self._write, self._customers, specs)

    def _flush_conversations(self) -> None:
        specs, self.convs, self.conv_messages = list(self.convs.values()), {}, 0
        if not specs:
            return
        self.pipeline.use("conversations")
        pending = self._pending(specs)
        planned = conversations.plan(self.planner, self.directory, specs, pending)
        self.batch += 1
        self.inflight.append((self.batch, planned.created, planned.refs))
        self.pipeline.submit("conversations", self._write_planned, self.batch, planned)

    def _pending(self, specs: list[ConversationSpec]) -> dict[tuple[str, str], int]:
        """Identities created by batches still being written; waits for them when this batch must see them."""
        self.inflight = [entry for entry in self.inflight if entry[0] not in self.done]
        created: dict[tuple[str, str], int] = {}
        refs: set[str] = set()
        for _, keys, names in self.inflight:
            created.update(keys)
            refs |= names
        # A conversation (or message line) whose conversation is still being written must read it once written;
        # and with several writers a batch may commit before the one creating its customer.
        wait = any(s.ref in refs for s in specs) or (
            self.writers > 1 and any(k in created for s in specs for k in s.identities)
        )
        if wait:
            self.pipeline.drain()
            self.inflight = []
            return {}
        return created

    def _write_planned(self, batch: int, planned: conversations.Plan) -> None:
        """Apply a plan made ahead of time; if it went stale, or the database refuses it, write it the safe way."""
        try:
            try:
                with self.db.write() as session:
                    outcome = conversations.apply(session, planned)
            except conversations.Stale:
                self._skip_taken_ids(planned)
                outcome = None
            except (*REFUSED, *CONTENDED):
                outcome = None  # the safe path finds the refused record, or retries a deadlock
            if outcome is None:
                self._write(self._conversations, planned.specs)
            else:
                self._apply(outcome)
                self._progress()
        finally:
            self.done.add(batch)

    def _skip_taken_ids(self, planned: conversations.Plan) -> None:
        with self.db.read() as session:
            store = Store.of(session)
            for table in planned.first_ids:
                self.planner.skip_past(table, store.max_id(table))

    def _customers(self, specs: list[records.CustomerSpec]) -> Outcome:
        with self.db.write() as session:
            return customers.write(session, specs)

    def _conversations(self, specs: list[ConversationSpec]) -> Outcome:
        with self.db.write() as session:
            return conversations.write(session, self.directory, specs)

    def _write(self, fn: Callable[[list], Outcome], specs: list) -> None:
        """Write a batch; if the database refuses it, halve it until the refused record is found."""
        for attempt in range(RETRIES):
            try:
                outcome = fn(specs)
                break
            except REFUSED as exc:
                if len(specs) == 1:
                    self._error(specs[0].line, f"the database refused this record: {_reason(exc)}")
                    return
                middle = len(specs) // 2
                self._write(fn, specs[:middle])
                self._write(fn, specs[middle:])
                return
            except CONTENDED as exc:
                # Parallel writers on PostgreSQL can deadlock on a shared row; the loser simply goes again.
                if _sqlstate(exc) not in ("40P01", "40001") or attempt == RETRIES - 1:
                    raise
        self._apply(outcome)
        self._progress()

    def _progress(self) -> None:
        if self.on_batch is not None:
            with self.lock:
                self.on_batch(self.report)


class _Pipeline:
    """Batches handed to writer threads: parsing the next batch overlaps writing this one."""

    def __init__(self, writers: int):
        self.queue: queue.Queue = queue.Queue(maxsize=max(writers, 1))
        self.failure: BaseException | None = None
        self.kind = ""
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(writers)]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        while True:
            job = self.queue.get()
            try:
                if job is None:
                    return
                if self.failure is None:
                    fn, args = job
                    fn(*args)
            except BaseException as exc:  # noqa: BLE001  (handed to the reading thread, which raises it)
                self.failure = self.failure or exc
            finally:
                self.queue.task_done()

    def use(self, kind: str) -> None:
        """Wait for the batches before when they are of another kind: conversations need their customers."""
        if kind != self.kind:
            self.drain()
            self.kind = kind

    def submit(self, kind: str, fn, *args) -> None:
        """Queue a batch; blocks while every writer is busy, and raises what a writer raised."""
        self.use(kind)
        self._check()
        if not self.threads:
            fn(*args)
            return
        self.queue.put((fn, args))

    def drain(self) -> None:
        """Wait until every queued batch is written."""
        self.queue.join()
        self._check()

    def close(self) -> None:
        """Stop the writer threads (after the batches already queued)."""
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()

    def _check(self) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure

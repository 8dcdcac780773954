"""Reading mail in other processes: a small pool of reader processes, and a read past its bound kills its reader.

A read in this process holds the GIL while it parses and sanitises, so every other thread of the server (the
event loop, the writers) waits its turn behind it; and a thread cannot be stopped, so a time bound could only be
checked between steps. A mail larger than RAPPORT_EMAIL_READ_INLINE_BYTES is therefore read by `reading.read` in
a reader process (RAPPORT_EMAIL_READ_PROCESSES of them at most, started on first use and kept): this process
waits on a pipe, holding neither the GIL nor any transaction. A read that takes longer than
RAPPORT_EMAIL_MAX_PARSE_SECONDS is killed with its process (a new one is started for the next mail) and the mail
is quarantined `too_slow`; a reader that dies or fails (killed, out of memory) quarantines its mail
`read_failed`. Either way the mail is kept with its raw bytes, never lost, and the caller goes on.

Smaller mails are read here: their reading costs less than the round trip to another process (bench/mail_read.py).
Readers are forked from multiprocessing's fork server, a clean process started once, so it is safe while this
process runs threads and an event loop; a reader runs at a lower priority (`kit/child.py`) from its start, imports
included. Like any multiprocessing user, a script that reads mail this way must guard
its main code with `if __name__ == "__main__":` (a reader imports the main module again, as `rapport` and pytest do).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import multiprocessing
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

from rapport.channels.email import reading
from rapport.channels.email.parse import Parsed, content_hash
from rapport.config import Settings, get_settings
from rapport.kit import child

# A reader: reading.read's name (imported in the reader, after it lowered its priority), or a function (tests).
Reader = str | Callable[[bytes], Parsed]
# A new reader is ready in a second or two (its imports), but it starts at a low priority: on a saturated machine
# that can take a minute. This only catches a start that never ends (the caller fails; the mail is tried again).
_START_SECONDS = 300.0
_STOP_SECONDS = 5.0
# Reading mail is background work: on a busy machine a reader yields the CPU to the server's web and writers.
_NICENESS = 10


def read(raw: bytes) -> Parsed:
    """Read one mail (`reading.read`): here when it is small, else in a reader process, within the time bound."""
    settings = get_settings()
    if settings.email_read_processes == 0 or len(raw) <= settings.email_read_inline_bytes:
        return reading.read(raw)
    return pool().read(raw, settings)


class _Worker:
    """One reader process and the pipe to it."""

    def __init__(self, context, reader: Reader):
        ours, theirs = context.Pipe()
        self.process = context.Process(
            target=child.serve, args=(theirs, reader, _NICENESS), name="rapport-mail-reader", daemon=True
        )
        self.process.start()
        theirs.close()
        self.conn: Connection = ours
        self.stopped = False  # set by `stop`: a read cut short then is not the mail's fault
        # `stop` (a shutdown) and the reading thread's own `kill` may close the pipe at the same moment.
        self._closing = threading.Lock()
        if not ours.poll(_START_SECONDS):
            self.kill()
            raise RuntimeError(f"a mail reader process did not start within {_START_SECONDS:g} seconds")
        ours.recv()  # "ready"

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(_STOP_SECONDS)
        self._close()

    def _close(self) -> None:
        with self._closing, contextlib.suppress(OSError):
            self.conn.close()

    def stop(self) -> None:
        self.stopped = True
        with contextlib.suppress(OSError):  # it died already: join and kill below still clean up
            self.conn.send(None)
        self.process.join(_STOP_SECONDS)
        if self.process.is_alive():
            self.kill()
        self._close()


class Pool:
    """Up to `processes` reader processes, each running `reader` (tests give their own, see tests/security)."""

    def __init__(self, processes: int, reader: Reader = "rapport.channels.email.reading:read_for_pool"):
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        # Nothing is preloaded into the fork server: Python 3.11's ignores the caller's sys.path, so it could import
        # another copy of rapport than this process runs. Each reader imports the reading code itself, on its start.
        self.reader = reader
        self._slots = threading.BoundedSemaphore(processes)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()

    def read(self, raw: bytes, settings: Settings) -> Parsed:
        """Read `raw` in a reader process under `settings`; killed past RAPPORT_EMAIL_MAX_PARSE_SECONDS."""
        with self._slots:
            worker = self._take()
            healthy = False
            try:
                parsed, healthy = self._run(worker, raw, settings)
                return parsed
            finally:
                self._give_back(worker, healthy)

    def pids(self) -> list[int]:
        """The process ids of the running readers."""
        with self._lock:
            return [w.process.pid for w in [*self._idle, *self._busy] if w.alive()]

    def shutdown(self) -> None:
        """Stop every reader (busy ones are killed); a later read starts new ones."""
        with self._lock:
            workers, self._idle = [*self._idle, *self._busy], []
            self._busy = set()
        for worker in workers:
            worker.stop()

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker
                worker.kill()  # it died while idle (the system killed it): not this mail's doing
        worker = _Worker(self.context, self.reader)
        with self._lock:
            self._busy.add(worker)
        return worker

    def _give_back(self, worker: _Worker, healthy: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
            if healthy and not worker.stopped:
                self._idle.append(worker)
                return
        worker.kill()

    @staticmethod
    def _run(worker: _Worker, raw: bytes, settings: Settings) -> tuple[Parsed, bool]:
        limit = settings.email_max_parse_seconds
        try:
            worker.conn.send((raw, settings))
            # The one true time bound: the reader gets `limit` seconds, then it is killed with its process.
            if not worker.conn.poll(limit):
                detail = f"Reading the mail took longer than {limit:g} seconds (RAPPORT_EMAIL_MAX_PARSE_SECONDS)."
                return _refused(raw, "too_slow", detail), False
            status, value = worker.conn.recv()
        except (EOFError, OSError):
            if worker.stopped:  # the server is shutting down: the caller fails, and the mail is tried again later
                raise RuntimeError("the mail reader processes were stopped while this mail was read") from None
            worker.process.join(_STOP_SECONDS)
            return _refused(raw, "read_failed", f"The process reading the mail ended ({_exit(worker)})."), False
        if status != "ok":
            return _refused(raw, "read_failed", f"Reading the mail failed ({value})."), False
        value.raw = raw  # the reader need not send back the bytes it was given
        return value, True


def _exit(worker: _Worker) -> str:
    code = worker.process.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return "still running" if code is None else f"exit code {code}"


def _refused(raw: bytes, reason: str, detail: str) -> Parsed:
    """A mail its reader could not finish: kept whole, read no further (its headers may be what was too costly)."""
    return Parsed(
        raw=raw, sha256=hashlib.sha256(raw).hexdigest(), content_hash=content_hash(raw), refused=(reason, detail)
    )


_pool: Pool | None = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    """The process's reader pool, made on first use (RAPPORT_EMAIL_READ_PROCESSES readers at most)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = Pool(get_settings().email_read_processes)
            atexit.register(_pool.shutdown)
        return _pool


def use(replacement: Pool | None) -> Pool | None:
    """Make `replacement` the process's pool (tests install one with their own reader); returns the previous one."""
    global _pool
    with _pool_lock:
        previous, _pool = _pool, replacement
        return previous


def shutdown() -> None:
    """Stop the process's readers, if any were started (app shutdown, CLI exit)."""
    with _pool_lock:
        current = _pool
    if current is not None:
        current.shutdown()

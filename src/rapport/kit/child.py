"""A child process that runs one function on each payload its parent sends over a pipe (the mail readers use it).

This module imports nothing heavy: a child lowers its priority first, then imports the function it runs, so even
its start (the imports take a second or two of CPU) is background work beside the parent's web and writers.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection


def serve(conn: Connection, target: str | Callable, niceness: int) -> None:
    """Answer each (payload, settings) with ("ok", target(payload)) or ("failed", why), until None or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops its children itself
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    from rapport.config import use_settings

    work = _resolve(target)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if job is None:
            return
        payload, settings = job
        use_settings(settings)  # the parent's settings as they are now (tests change them)
        try:
            conn.send(("ok", work(payload)))
        except BaseException as exc:  # noqa: BLE001  (MemoryError included: the parent decides, this process ends)
            with contextlib.suppress(BaseException):  # else the parent sees the pipe close instead
                conn.send(("failed", f"{type(exc).__name__}: {str(exc)[:200]}"))
            return


def _resolve(target: str | Callable) -> Callable:
    if callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)

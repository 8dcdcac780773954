"""Readers the tests give a reader pool (`readers.Pool(processes, reader)`, the one hook for them): each runs in
the reader process. Events and queues reach them bound with functools.partial when the process starts.
"""

from __future__ import annotations

import os
import signal
import threading

from rapport.channels.email import reading
from rapport.channels.email.parse import Parsed

HANG = b"Subject: Hang"  # a mail with this subject never finishes reading
CRASH = b"Subject: Crash"


def stamped(raw: bytes) -> Parsed:
    """The real reading, its text replaced by the id of the process that did it."""
    parsed = reading.read(raw)
    parsed.text = f"read by process {os.getpid()}"
    return parsed


def hanging(pids, raw: bytes) -> Parsed:
    """Tell `pids` who reads, then never finish a mail marked HANG (read the others)."""
    pids.put(os.getpid())
    if HANG in raw:
        threading.Event().wait()  # nothing ever sets it: only a kill ends this read
    return reading.read(raw)


def held(started, release, raw: bytes) -> Parsed:
    """Read only once `release` is set, after setting `started`: the test acts while a read is under way."""
    started.set()
    release.wait()
    return reading.read(raw)


def killed(raw: bytes) -> Parsed:
    """Die the hard way (as the kernel's out-of-memory killer ends a process) on a mail marked CRASH."""
    if CRASH in raw:
        os.kill(os.getpid(), signal.SIGKILL)
    return reading.read(raw)


def out_of_memory(raw: bytes) -> Parsed:
    """Run out of memory on a mail marked CRASH."""
    if CRASH in raw:
        raise MemoryError("no room for this mail")
    return reading.read(raw)

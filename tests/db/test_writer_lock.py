"""The SQLite writer lock: one writer at a time, and released from whichever thread ends the transaction."""

from __future__ import annotations

import threading

from rapport.db.engine import WriterLock


def test_a_hold_entered_on_one_thread_can_end_on_another(tmp_path):
    # FastAPI runs a sync generator dependency's enter and exit on thread-pool threads that may differ.
    lock = WriterLock(str(tmp_path / "x.db"))
    hold = lock.hold()
    hold.__enter__()  # on this thread, which stays alive (its id cannot be reused by the threads below)
    ended = threading.Thread(target=hold.__exit__, args=(None, None, None))
    ended.start()
    ended.join()
    taken = threading.Event()

    def again():
        with lock.hold():
            taken.set()

    other = threading.Thread(target=again)
    other.start()
    other.join(timeout=5)
    assert taken.is_set()


def test_writers_take_turns(tmp_path):
    lock, inside, overlaps = WriterLock(str(tmp_path / "x.db")), [0], []

    def write():
        for _ in range(200):
            with lock.hold():
                inside[0] += 1
                overlaps.append(inside[0])
                inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(overlaps) == 1 and len(overlaps) == 800

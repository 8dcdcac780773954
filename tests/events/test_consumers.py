"""Event consumers: start at the present, see events in order once, wait at gaps, pass over imports, retry."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from rapport.events import consumers
from rapport.kit.clock import now
from rapport.models import Event, EventCursor
from rapport.worker.runner import Worker, load_handlers
from tests.conftest import inbound


@pytest.fixture
def seen():
    """A consumer named 'test' that remembers the events it is handed (alone: the real ones are set aside)."""
    got: list = []
    load_handlers()  # registered now, so the worker's own import below cannot add one behind our back
    real = dict(consumers.CONSUMERS)
    consumers.CONSUMERS.clear()
    consumers.CONSUMERS["test"] = lambda session, rows: got.extend((r.id, r.name, r.actor_kind) for r in rows)
    yield got
    consumers.CONSUMERS.clear()
    consumers.CONSUMERS.update(real)


def _event(db, *, id_: int | None = None, actor_kind: str = "system", occurred=None) -> int:
    row = {"name": "customer.created", "occurred_at": occurred or now(), "actor_kind": actor_kind, "payload": {}}
    if id_ is not None:
        row["id"] = id_
    with db.write() as s:
        return s.execute(insert(Event).values(**row).returning(Event.id)).scalar_one()


def _max_id(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.max(Event.id))) or 0


def test_a_new_consumer_starts_at_the_present_then_sees_each_event_once_in_order(client, world, db, seen):
    assert consumers.run_consumers(db) == 0  # creates the cursor at the end of the log: history is not replayed
    assert seen == []
    inbound(client, world.agent_token, world.email_inbox.id, text="first")
    inbound(client, world.agent_token, world.email_inbox.id, text="second")
    handled = consumers.run_consumers(db)
    assert handled == len(seen) > 0
    ids = [i for i, _, _ in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [n for _, n, _ in seen].count("message.received") == 2
    assert consumers.run_consumers(db) == 0  # nothing new: nothing handed over twice
    with db.read() as s:
        assert s.get(EventCursor, "test").last_id == ids[-1] == _max_id(db)


def test_a_gap_is_waited_for_until_it_settles(db, seen, frozen_clock, settings):
    settings.event_gap_wait_seconds = 5
    consumers.run_consumers(db)
    first = _event(db)
    after_gap = _event(db, id_=first + 2)  # id first+1 belongs to a transaction that has not committed (yet)
    consumers.run_consumers(db)
    assert [i for i, _, _ in seen] == [first]
    frozen_clock[0] += timedelta(seconds=6)  # long enough: that transaction rolled back
    consumers.run_consumers(db)
    assert [i for i, _, _ in seen] == [first, after_gap]


def test_a_filled_gap_is_handed_over_in_id_order(db, seen, frozen_clock):
    consumers.run_consumers(db)
    first = _event(db)
    third = _event(db, id_=first + 2)
    consumers.run_consumers(db)
    second = _event(db, id_=first + 1)  # the slower transaction commits
    consumers.run_consumers(db)
    assert [i for i, _, _ in seen] == [first, second, third]


def test_imported_history_is_passed_over(db, seen):
    consumers.run_consumers(db)
    _event(db, actor_kind="import", occurred=now() - timedelta(days=300))
    live = _event(db)
    consumers.run_consumers(db)
    assert [(i, kind) for i, _, kind in seen] == [(live, "system")]
    with db.read() as s:
        assert s.get(EventCursor, "test").last_id == live


def test_a_failing_consumer_keeps_its_place_and_the_others_go_on(db, seen):
    calls = []

    def broken(session, rows):
        calls.append(len(rows))
        raise RuntimeError("receiver down")

    consumers.CONSUMERS["broken"] = broken
    try:
        consumers.run_consumers(db)
        event = _event(db)
        consumers.run_consumers(db)
        consumers.run_consumers(db)
        assert calls == [1, 1]  # handed the same event again: its cursor did not move
        assert [i for i, _, _ in seen] == [event]
    finally:
        consumers.CONSUMERS.pop("broken")


def test_the_worker_runs_consumers_soon_after_a_commit(client, world, db, seen):
    consumers.run_consumers(db)
    worker = Worker(db, interval=30, min_gap=0.05)  # a long poll: only the commit's wake-up can make it in time
    worker.start()
    try:
        time.sleep(0.2)
        inbound(client, world.agent_token, world.email_inbox.id, text="wake up")
        deadline = time.monotonic() + 5
        while not any(n == "message.received" for _, n, _ in seen) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any(n == "message.received" for _, n, _ in seen)
    finally:
        worker.stop()
        worker.join(timeout=5)

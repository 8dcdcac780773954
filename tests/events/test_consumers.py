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
def seen(monkeypatch):
    """A consumer named 'test' that remembers the events it is handed; the only one registered meanwhile."""
    got: list = []
    load_handlers()  # the real consumers register on import: import them first, so they stay hidden here
    test = {"test": lambda session, rows: got.extend((r.id, r.name, r.actor_kind) for r in rows)}
    monkeypatch.setattr(consumers, "CONSUMERS", test)
    return got


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


def test_a_consumer_is_handed_only_the_events_it_wants(db, monkeypatch):
    got: list = []
    wanted: list = [{"conversation.created"}]
    monkeypatch.setattr(consumers, "CONSUMERS", {})
    monkeypatch.setattr(consumers, "WANTS", {})
    consumers.consumer("picky", wants=lambda session: wanted[0])(lambda s, rows: got.extend(r.name for r in rows))
    consumers.run_consumers(db)
    _event(db)  # customer.created: not wanted
    consumers.run_consumers(db)
    assert got == []
    wanted[0] = set()  # wanting nothing: the cursor still moves on, so later wants start from the present
    _event(db)
    consumers.run_consumers(db)
    wanted[0] = None  # everything
    last = _event(db)
    consumers.run_consumers(db)
    assert got == ["customer.created"]
    with db.read() as s:
        assert s.get(EventCursor, "picky").last_id == last


def test_the_consumers_behind_share_one_write_transaction_a_round(db, monkeypatch):
    """However many consumers, a round is one write: those wanting nothing new just move their cursors in it."""
    got: dict[str, list] = {"all": [], "none": [], "other": []}
    monkeypatch.setattr(consumers, "CONSUMERS", {})
    monkeypatch.setattr(consumers, "WANTS", {})
    consumers.consumer("all")(lambda s, rows: got["all"].extend(r.id for r in rows))
    consumers.consumer("none", wants=set())(lambda s, rows: got["none"].extend(r.id for r in rows))
    consumers.consumer("other", wants={"conversation.created"})(lambda s, rows: got["other"].extend(r.id for r in rows))
    consumers.run_consumers(db)  # the cursors are made, at the present
    first, second = _event(db), _event(db)
    writes = []
    real = type(db).write

    def counted(self, *args, **kwargs):
        writes.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(db), "write", counted)
    assert consumers.run_consumers(db) == 2
    assert len(writes) == 1
    assert got == {"all": [first, second], "none": [], "other": []}
    with db.read() as s:
        assert {c.name: c.last_id for c in s.scalars(select(EventCursor))} == dict.fromkeys(got, second)
    writes.clear()
    assert consumers.run_consumers(db) == 0
    assert writes == []  # nothing new: no write at all


def test_a_consumer_failing_in_a_shared_round_undoes_only_its_own_writes(db, monkeypatch):
    monkeypatch.setattr(consumers, "CONSUMERS", {})
    monkeypatch.setattr(consumers, "WANTS", {})

    def writes_then_fails(session, rows):
        session.add(EventCursor(name="written-by-the-failing-one", last_id=0, updated_at=now(), attempts=0))
        session.flush()
        raise RuntimeError("receiver down")

    def writes(session, rows):
        session.add(EventCursor(name="written-by-the-good-one", last_id=0, updated_at=now(), attempts=0))

    consumers.consumer("bad")(writes_then_fails)
    consumers.consumer("good")(writes)
    consumers.run_consumers(db)
    event = _event(db)
    consumers.run_consumers(db)
    with db.read() as s:
        cursors = {c.name: (c.last_id, c.attempts) for c in s.scalars(select(EventCursor))}
    assert "written-by-the-failing-one" not in cursors
    assert cursors["good"] == (event, 0) and "written-by-the-good-one" in cursors
    assert cursors["bad"] == (event - 1, 1)  # it stays just before the event, one try counted

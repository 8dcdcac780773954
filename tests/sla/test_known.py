"""The policies and calendars a process knows (sla.known): edits elsewhere are seen, future versions take over at
their instant, and with no policy a batch costs one statement (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from rapport.calendars import service as calendar_service
from rapport.conversations.lifecycle import hooks
from rapport.events import bus
from rapport.kernel.permissions import SYSTEM
from rapport.sla import known, policies
from tests.sla.conftest import HOUR, clocks, standard_targets, write_in

SAT_NOON = datetime(2026, 11, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def elsewhere():
    """Edits made while this is active reach this process only through the database, as another process's do."""
    bus.unsubscribe(known._forget_after_commit)
    yield
    bus.subscribe(known._forget_after_commit)


def first_reply_seconds(db, conversation_id: int) -> int | None:
    found = clocks(db, conversation_id).get("first_reply")
    return found[0].target_seconds if found else None


def revised_targets(calendar_id: int, first_reply: int) -> list[dict]:
    targets = standard_targets(calendar_id)
    targets[0] = {**targets[0], "seconds": first_reply}
    return targets


def test_a_policy_switched_off_elsewhere_is_seen(db, world, policy, elsewhere):
    assert first_reply_seconds(db, write_in(db, world)) == HOUR
    with db.write() as s:
        policies.update(s, SYSTEM, policy, active=False)  # the frozen clock: its updated_at does not move
    assert clocks(db, write_in(db, world, address="sam@customer.test")) == {}


def test_a_revision_elsewhere_is_seen(db, world, policy, calendar_id, frozen_clock, elsewhere):
    assert first_reply_seconds(db, write_in(db, world)) == HOUR
    with db.write() as s:
        policies.revise(s, SYSTEM, policy, condition=None, targets=revised_targets(calendar_id, 2 * HOUR))
    assert first_reply_seconds(db, write_in(db, world, address="sam@customer.test")) == 2 * HOUR


def test_a_calendar_version_added_elsewhere_is_seen(db, world, policy, calendar_id, frozen_clock, elsewhere):
    frozen_clock[0] = SAT_NOON
    first = clocks(db, write_in(db, world))["first_reply"][0]
    assert first.due_at == datetime(2026, 11, 9, 10, 0, tzinfo=UTC)  # Monday's first office hour
    with db.write() as s:
        calendar_service.revise(s, SYSTEM, calendar_id, spec=calendar_service.always_open("UTC"))
    second = clocks(db, write_in(db, world, address="sam@customer.test"))["first_reply"][0]
    assert second.due_at == SAT_NOON + timedelta(hours=1)


def test_a_future_version_takes_over_at_its_instant_without_a_read(db, world, policy, calendar_id, frozen_clock):
    start = frozen_clock[0]
    with db.write() as s:
        policies.revise(
            s,
            SYSTEM,
            policy,
            condition=None,
            targets=revised_targets(calendar_id, 2 * HOUR),
            effective_from=start + timedelta(hours=1),
        )
    assert first_reply_seconds(db, write_in(db, world)) == HOUR
    with db.read() as s:
        before = known.last(s)
    frozen_clock[0] = start + timedelta(hours=1)
    assert first_reply_seconds(db, write_in(db, world, address="sam@customer.test")) == 2 * HOUR
    with db.read() as s:
        assert known.last(s) is before  # nothing changed in the database: the version was known already


def test_a_transaction_changing_policies_keeps_nothing_it_rolled_back(db, world, policy, calendar_id):
    with pytest.raises(RuntimeError), db.write() as s:
        policies.create(s, SYSTEM, name="Draft", targets=standard_targets(calendar_id))
        assert [p.name for p in known.known(s)[0].in_force(datetime.now(UTC))] == ["Standard", "Draft"]
        raise RuntimeError("rolled back")
    with db.read() as s:
        assert [p.name for p in known.known(s)[0].in_force(datetime.now(UTC))] == ["Standard"]


@pytest.fixture
def hook_statements(db, monkeypatch):
    """The statements the sla lifecycle hook ran, per call."""
    hooks._load()
    calls: list[int] = []
    inside = [False]

    def count(*_):
        if inside[0]:
            calls[-1] += 1

    original = hooks.HOOKS["sla"]

    def counted(session, steps):
        calls.append(0)
        inside[0] = True
        try:
            original(session, steps)
        finally:
            inside[0] = False

    monkeypatch.setitem(hooks.HOOKS, "sla", counted)
    event.listen(db.engine, "before_cursor_execute", count)
    yield calls
    event.remove(db.engine, "before_cursor_execute", count)


def test_with_no_policy_a_batch_costs_one_statement(db, world, frozen_clock, hook_statements):
    write_in(db, world)  # the first batch reads what there is to know
    new = write_in(db, world, address="sam@customer.test")
    write_in(db, world, "Again", conversation_id=new, address="sam@customer.test")
    assert hook_statements[1:] == [1, 1]  # the stamp; for a conversation that was there, with its open clocks

"""Re-evaluation: a change the condition reads, or a policy edit, matches the conversation's policy again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.events import consumers
from rapport.events.registry import lookup
from rapport.kernel.permissions import SYSTEM
from rapport.models.enums import Priority
from rapport.sla import policies
from rapport.sla.reevaluate import BATCH
from rapport.worker.runner import load_handlers, run_due
from tests.sla.conftest import clocks, conversation, sla_events, write_in
from tests.sla.test_runtime import change

MON_9 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
URGENT = {"field": "priority", "op": "eq", "value": "urgent"}


@pytest.fixture
def run(db):
    """Run the event consumers now (the first call starts them at the present)."""
    load_handlers()
    assert "sla" in consumers.CONSUMERS
    consumers.run_consumers(db)
    return lambda: consumers.run_consumers(db)


def urgent_policy(db, *, active: bool = True) -> int:
    with db.write() as s:
        made = policies.create(
            s,
            SYSTEM,
            name="Urgent",
            condition=URGENT,
            targets=[{"kind": "first_reply", "seconds": 900, "business": False}],
            effective_from=datetime(2026, 1, 1, tzinfo=UTC),
            active=active,
        )
        policies.reorder(s, SYSTEM, [made.id, *[p.id for p in policies.listed(s) if p.id != made.id]])
        return made.id


def test_a_priority_change_rematches_and_the_timeline_says_why(db, world, policy, frozen_clock, run):
    urgent = urgent_policy(db)
    conv_id = write_in(db, world)
    assert conversation(db, conv_id).sla_policy_id == policy
    frozen_clock[0] = MON_9 + timedelta(minutes=5)
    change(db, world, conv_id, priority=Priority.urgent)
    run()
    conv = conversation(db, conv_id)
    assert conv.sla_policy_id == urgent
    found = clocks(db, conv_id)
    assert [c.state for c in found["first_reply"]] == ["cancelled", "running"]
    assert [c.state for c in found["resolution"]] == ["cancelled"]
    fresh = found["first_reply"][1]
    # The new clock starts when the conversation did, not when the priority changed.
    assert fresh.started_at == MON_9 and fresh.due_at == MON_9 + timedelta(minutes=15)
    assert conv.sla_due_at == MON_9 + timedelta(minutes=15)
    applied = [p for n, p, _ in sla_events(db, conv_id) if n == "sla.applied"]
    assert applied[-1]["reason"] == "priority changed" and applied[-1]["previous_id"] == policy
    wording = lookup("sla.applied").describe(None, applied[-1], None)
    assert wording == "Policy Urgent sets the service targets (priority changed)"
    # A change that leaves the same policy matching changes nothing.
    change(db, world, conv_id, add_tags=["vip"])
    run()
    assert len([n for n, _, _ in sla_events(db, conv_id) if n == "sla.applied"]) == 2


def test_a_policy_edit_reevaluates_active_conversations_in_a_job(db, world, policy, frozen_clock, run):
    conv_id = write_in(db, world)
    with db.write() as s:
        policies.update(s, SYSTEM, policy, active=False)
    assert conversation(db, conv_id).sla_policy_id == policy  # not in the request
    run()
    assert run_due(db) >= 1
    conv = conversation(db, conv_id)
    assert conv.sla_policy_id is None and conv.sla_due_at is None
    assert {c.state for cs in clocks(db, conv_id).values() for c in cs} == {"cancelled"}
    applied = [p for n, p, _ in sla_events(db, conv_id) if n == "sla.applied"]
    assert applied[-1]["policy_id"] is None and applied[-1]["reason"] == "policies changed"
    assert lookup("sla.applied").describe(None, applied[-1], None) == "No service policy (policies changed)"


def test_the_policy_job_goes_through_conversations_a_batch_at_a_time(db, world, frozen_clock, monkeypatch, run):
    from rapport.sla import reevaluate

    monkeypatch.setattr(reevaluate, "BATCH", 2)
    ids = [write_in(db, world, address=f"c{i}@customer.test") for i in range(5)]
    assert BATCH >= 100
    with db.write() as s:
        assert reevaluate.active_after(s, 0, 2) == ids[:2]
        assert reevaluate.active_after(s, ids[1], 2) == ids[2:4]
    with db.write() as s:
        made = policies.create(
            s, SYSTEM, name="All", targets=[{"kind": "resolution", "seconds": 3600, "business": False}]
        )
    run()
    assert run_due(db) == 1 and conversation(db, ids[2]).sla_policy_id is None  # the first batch only
    for _ in range(3):
        run_due(db)
    assert {conversation(db, i).sla_policy_id for i in ids} == {made.id}

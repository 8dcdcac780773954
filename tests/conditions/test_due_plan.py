"""The Due soon view reads `ix_conversations_active_due` in order, on both backends: its page is the index's first
rows, however many conversations there are (the issue's target: p95 at most 15 ms at a million)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from rapport.kernel.permissions import Actor
from rapport.kit import cursor
from rapport.models import Conversation, Customer
from rapport.workspace.conversations import inbox
from tests.conditions.test_plans import _plan

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _conversations(db, world) -> None:
    """Finished conversations and active ones, half of each with a deadline, and the planner's statistics: enough
    active ones with a deadline (1,000) that PostgreSQL, too, reads a page off the index rather than sort them."""
    with db.write() as s:
        customer = Customer(name="c", attributes={}, created_at=T0, updated_at=T0)
        s.add(customer)
        s.flush()
        statuses = ["solved", "closed"] * 1000 + ["new", "open", "pending", "on_hold"] * 500
        rows = [
            {
                "subject": "x",
                "status": status,
                "priority": "normal",
                "channel": "email",
                "inbox_id": world.email_inbox.id,
                "customer_id": customer.id,
                "custom_fields": {},
                "reopen_count": 0,
                "message_count": 0,
                "created_at": T0 + timedelta(minutes=i),
                "updated_at": T0 + timedelta(minutes=i),
                # Finished ones keep the deadline they had: the partial index leaves them out all the same.
                "sla_due_at": T0 + timedelta(minutes=(i * 7919) % 5000) if i % 2 else None,
            }  # fmt: skip
            for i, status in enumerate(statuses)
        ]
        s.execute(insert(Conversation), rows)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, role=world.agent.role, name="a", team_ids=frozenset({world.team.id}))


def test_due_soon_reads_its_partial_index_in_order(db, world):
    _conversations(db, world)
    plan = _plan(db, lambda s: inbox.view(s, _agent(world), "due"))
    assert "ix_conversations_active_due" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # in the index's order: no sort step


def test_due_soon_pages_on_read_the_same_index(db, world, settings):
    _conversations(db, world)
    settings.inbox_page_size = 5
    with db.read() as s:
        first = inbox.view(s, _agent(world), "due")
        assert len(first.rows) == 5 and all(r.status in ("new", "open", "pending", "on_hold") for r in first.rows)
        due = [r.sla_due_at for r in first.rows]
        assert due == sorted(due) and None not in due
    last = cursor.encode(["due_soon", (T0 + timedelta(minutes=5000)).isoformat(), 10**6])  # past the last deadline
    for run in (
        lambda s: inbox.view(s, _agent(world), "due", after=first.older),
        lambda s: inbox.view(s, _agent(world), "due", before=last),  # the last page, read backwards
    ):
        plan = _plan(db, run)
        assert "ix_conversations_active_due" in plan and "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_the_due_soon_count(db, world, settings):
    _conversations(db, world)
    settings.inbox_count_cap = 5000
    with db.read() as s:
        counts = {c.key: c.count for c in inbox.counts(s, _agent(world))}
    assert counts["due"] == 1000  # of the 2,000 active ones, every other has a deadline


def test_sort_by_due_reads_indexes_in_order_never_sorting_the_view(db, world):
    """Sort by due on All active: the deadlines off the due index, then the rest off the view's own index."""
    _conversations(db, world)
    agent = _agent(world)
    plan = _plan(db, lambda s: inbox.view(s, agent, "all", sort="due"))
    assert "ix_conversations_active_due" in plan and "TEMP B-TREE" not in plan and "Sort" not in plan, plan
    rest = cursor.encode(["due", None, 10**6, (T0 + timedelta(days=30)).isoformat()])  # past the deadlines
    plan = _plan(db, lambda s: inbox.view(s, agent, "all", sort="due", after=rest))
    assert "ix_conversations_active_all" in plan and "TEMP B-TREE" not in plan and "Sort" not in plan, plan

"""Inbox views and the API list, now compiled from conditions, still read their partial indexes (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from rapport.conditions.model import All, Leaf
from rapport.conversations import repository
from rapport.kernel.permissions import Actor
from rapport.models import Conversation, Customer
from rapport.workspace.conversations import inbox
from tests.plans import plan_of

T0 = datetime(2026, 3, 1, tzinfo=UTC)
# Partial indexes all (a partial index is only usable when the query repeats its predicate): SQLite reads IS NULL
# as an equality on the assignee index; PostgreSQL, on so few rows, sorts the few unassigned ones it finds by the
# assignee or board index (the same plans as before conditions, checked against main).
UNASSIGNED = ("ix_conversations_active_unassigned", "ix_conversations_active_assignee", "ix_conversations_active_board")


def _conversations(db, world) -> None:
    """Mostly finished conversations, as a working help desk holds (so the partial indexes are the small ones), and
    the statistics the planner reads."""
    with db.write() as s:
        customer = Customer(name="c", attributes={}, created_at=T0, updated_at=T0)
        s.add(customer)
        s.flush()
        statuses = ["solved", "closed"] * 1000 + ["new", "open", "pending", "on_hold"] * 5  # the active ones newest
        rows = [
            {
                "subject": "x",
                "status": status,
                "priority": "normal",
                "channel": "email",
                "inbox_id": (world.email_inbox.id, world.api_inbox.id)[i % 2],
                "customer_id": customer.id,
                "assignee_id": world.agent.id if i % 2 else None,
                "team_id": world.team.id if i % 3 else None,
                "custom_fields": {},
                "reopen_count": 0,
                "message_count": 0,
                "created_at": T0 + timedelta(minutes=i),
                "updated_at": T0 + timedelta(minutes=i),
                "last_inbound_at": T0 + timedelta(minutes=i),
            }  # fmt: skip
            for i, status in enumerate(statuses)
        ]
        s.execute(insert(Conversation), rows)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _plan(db, run) -> str:
    """The plan of the statement `run` sends that reads the conversations in order (its last such)."""
    return plan_of(db, run, wants=("FROM conversations", "ORDER BY"))


@pytest.mark.parametrize(
    ("view", "index"),
    [
        ("mine", "ix_conversations_active_assignee"),
        ("unassigned", UNASSIGNED),
        ("teams", "ix_conversations_active_team"),
        ("all", "ix_conversations_active_all"),
        ("waiting", "ix_conversations_waiting"),
    ],
)
def test_each_built_in_view_reads_its_partial_index(db, world, view, index):
    _conversations(db, world)
    agent = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name="a", team_ids=frozenset({world.team.id}))
    plan = _plan(db, lambda s: inbox.view(s, agent, view))
    _assert_reads(db, plan, index)


def _assert_reads(db, plan: str, index) -> None:
    """SQLite must take the named partial index. PostgreSQL's costs on 2,020 rows barely separate its indexes (main's
    plans moved the same way between runs): there the list must be read through an index of conversations, never
    by scanning the table."""
    if db.engine.dialect.name == "postgresql":
        assert "Seq Scan on conversations" not in plan and "ix_conversations_" in plan, plan
        return
    assert any(name in plan for name in ([index] if isinstance(index, str) else index)), plan


ACTIVE = Leaf(field="status", op="in", value=["new", "open", "pending", "on_hold"])


@pytest.mark.parametrize(
    ("tests", "index"),
    [
        (lambda w: [ACTIVE], "ix_conversations_active_all"),
        (lambda w: [Leaf(field="status", op="in", value=["new"]), Leaf(field="assignee", op="is_not_set")], UNASSIGNED),
        (lambda w: [ACTIVE, Leaf(field="inbox", op="eq", value=w.api_inbox.id)], "ix_conversations_active_inbox"),
    ],
)
def test_the_api_list_reads_the_partial_indexes(db, world, tests, index):
    _conversations(db, world)
    condition = All(all=tests(world))
    plan = _plan(db, lambda s: repository.page(s, condition, sort="updated_desc", after=None, limit=51))
    _assert_reads(db, plan, index)

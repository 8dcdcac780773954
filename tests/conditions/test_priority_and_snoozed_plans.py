"""Sort by priority reads `ix_conversations_active_priority` in order (urgent first, newest first within a priority,
keyset pages that hold still) and the Snoozed view reads `ix_conversations_snoozed`, on both backends; the working
views, which now leave snoozed conversations out, keep their partial indexes (test_plans.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from rapport.kernel.permissions import Actor
from rapport.models import Conversation, Customer
from rapport.workspace.conversations import inbox
from tests.conditions.test_plans import _plan

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PRIORITIES = ("low", "normal", "high", "urgent")
RANK = {"urgent": 3, "high": 2, "normal": 1, "low": 0}


def _conversations(db, world, *, active: int = 2000, snoozed_every: int = 0) -> None:
    """Finished conversations and `active` ones of mixed priorities (every `snoozed_every`-th snoozed), with the
    planner's statistics."""
    with db.write() as s:
        customer = Customer(name="c", attributes={}, created_at=T0, updated_at=T0)
        s.add(customer)
        s.flush()
        statuses = ["solved", "closed"] * 1000 + ["new", "open", "pending", "on_hold"] * (active // 4)
        rows = [
            {
                "subject": "x",
                "status": status,
                "priority": PRIORITIES[(i * 7) % 4],
                "channel": "email",
                "inbox_id": world.email_inbox.id,
                "customer_id": customer.id,
                "assignee_id": world.agent.id if i % 2 else None,
                "custom_fields": {},
                "reopen_count": 0,
                "message_count": 0,
                "created_at": T0 + timedelta(minutes=i),
                "updated_at": T0 + timedelta(minutes=(i * 7919) % 5000),  # ties and shuffles
                "snoozed_until": (
                    T0 + timedelta(days=30, minutes=(i * 31) % 977)
                    if snoozed_every and i % snoozed_every == 0
                    else None
                ),
            }  # fmt: skip
            for i, status in enumerate(statuses)
        ]
        s.execute(insert(Conversation), rows)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, role=world.agent.role, name="a", team_ids=frozenset({world.team.id}))


def _no_sort(plan: str) -> bool:
    return "TEMP B-TREE" not in plan and "Sort" not in plan


def test_sort_by_priority_reads_its_index_in_order(db, world):
    _conversations(db, world)
    plan = _plan(db, lambda s: inbox.view(s, _agent(world), "all", sort="priority"))
    assert "ix_conversations_active_priority" in plan and _no_sort(plan), plan
    with db.read() as s:
        first = inbox.view(s, _agent(world), "all", sort="priority")
    plan = _plan(db, lambda s: inbox.view(s, _agent(world), "all", sort="priority", after=first.older))
    assert "ix_conversations_active_priority" in plan and _no_sort(plan), plan
    plan = _plan(db, lambda s: inbox.view(s, _agent(world), "all", sort="priority", before=first.older))
    assert "ix_conversations_active_priority" in plan and _no_sort(plan), plan


def test_priority_pages_walk_every_row_once_in_order_both_ways(db, world, settings):
    _conversations(db, world, active=200, snoozed_every=9)
    settings.inbox_page_size = 17
    agent = _agent(world)
    forward, after, pages = [], None, []
    with db.read() as s:
        while True:
            page = inbox.view(s, agent, "mine", sort="priority", after=after)
            pages.append(page)
            forward += page.rows
            if not page.older:
                break
            after = page.older
        backward = []
        before = pages[-1].newer
        while before:
            page = inbox.view(s, agent, "mine", sort="priority", before=before)
            backward = page.rows + backward
            before = page.newer
    keys = [(-RANK[r.priority], -r.updated_at.timestamp(), -r.id) for r in forward]
    assert keys == sorted(keys) and len({r.id for r in forward}) == len(forward)
    assert all(r.assignee_id == world.agent.id and r.snoozed_until is None for r in forward)
    assert len(forward) == len([i for i in range(2000, 2200) if i % 2 and i % 9])  # snoozed ones left out
    assert [r.id for r in backward] == [r.id for r in forward][: len(backward)]
    assert len(backward) == len(forward) - len(pages[-1].rows)


def test_the_snoozed_view_reads_its_index_and_the_working_views_theirs(db, world):
    _conversations(db, world, snoozed_every=3)
    agent = _agent(world)
    plan = _plan(db, lambda s: inbox.view(s, agent, "snoozed"))
    assert "ix_conversations_snoozed" in plan and _no_sort(plan), plan
    with db.read() as s:
        rows = inbox.view(s, agent, "snoozed").rows
        counts = {c.key: c for c in inbox.counts(s, agent)}
        everyone = inbox.view(s, agent, "all").rows
    wakes = [(r.snoozed_until, r.id) for r in rows]
    assert wakes == sorted(wakes) and all(r.status in ("new", "open", "pending", "on_hold") for r in rows)
    assert all(r.snoozed_until is None for r in everyone)
    assert counts["snoozed"].count == len([i for i in range(2000, 4000) if i % 3 == 0])
    assert counts["all"].label == "999+"  # capped as before, snoozed ones not counted


def test_a_priority_cursor_from_another_sort_is_refused(db, world):
    from rapport.kit.problems import Invalid

    _conversations(db, world, active=200)
    with db.read() as s:
        first = inbox.view(s, _agent(world), "all", sort="created")
        try:
            inbox.view(s, _agent(world), "all", sort="priority", after=first.older)
        except Invalid as exc:
            assert exc.extra["errors"] == [{"field": "after"}]
        else:
            raise AssertionError("a created cursor was taken for priority")


def test_the_api_list_sorts_by_priority_through_the_index_and_pages(db, world, client):
    from rapport.conditions.model import All, Leaf
    from rapport.conversations import repository

    _conversations(db, world, active=200)
    active = All(all=[Leaf(field="status", op="in", value=["new", "open", "pending", "on_hold"])])
    plan = _plan(db, lambda s: repository.page(s, active, sort="priority", after=None, limit=51))
    assert "ix_conversations_active_priority" in plan and _no_sort(plan), plan
    h = world.auth(world.agent_token)
    seen, cursor = [], None
    while True:
        q = "status=new&status=open&status=pending&status=on_hold&sort=priority&limit=37"
        r = client.get(f"/api/v1/conversations?{q}" + (f"&cursor={cursor}" if cursor else ""), headers=h)
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    keys = [(-RANK[c["priority"]], c["updated_at"], c["id"]) for c in seen]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys) and len({c["id"] for c in seen}) == len(seen) == 200
    within = [(k[1], k[2]) for k in keys if k[0] == -3]
    assert within == sorted(within, reverse=True)
    wrong = client.get("/api/v1/conversations?sort=updated_desc&limit=5", headers=h).json()["next_cursor"]
    r = client.get(f"/api/v1/conversations?sort=priority&cursor={wrong}", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"

"""`GET /api/v1/conversations?sort=due`: the active conversations with a deadline soonest first, then the rest latest
updated first, as the inbox's "Due first"; cursors page across the boundary; the deadlines are read off
`ix_conversations_active_due` in order, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from rapport.conditions.model import All, Leaf
from rapport.conversations import repository
from rapport.kernel.permissions import Actor
from rapport.kit import cursor as cursors
from rapport.models import Conversation, Customer
from rapport.workspace.conversations import inbox
from tests.plans import plan_of

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ACTIVE = ("new", "open", "pending", "on_hold")
ACTIVE_QUERY = "&".join(f"status={s}" for s in ACTIVE)


def _conversations(db, world, n: int = 400) -> None:
    """`n` finished and `n` active conversations: every other has a deadline (a finished one keeps its last, which
    no longer counts), deadlines and updates shuffled with ties; then the planner's statistics."""
    with db.write() as s:
        customer = Customer(name="c", attributes={}, created_at=T0, updated_at=T0)
        s.add(customer)
        s.flush()
        statuses = ["solved", "closed"] * (n // 2) + list(ACTIVE) * (n // 4)
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
                "updated_at": T0 + timedelta(minutes=(i * 7919) % (n // 2)),  # ties
                "sla_due_at": T0 + timedelta(minutes=(i * 31) % (n // 3)) if i % 2 else None,  # ties
            }  # fmt: skip
            for i, status in enumerate(statuses)
        ]
        s.execute(insert(Conversation), rows)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _all_pages(client, h, query: str, limit: int) -> list[dict]:
    seen, cursor = [], None
    while True:
        url = f"/api/v1/conversations?{query}&sort=due&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(url, headers=h)
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return seen


def _expected(items: list[dict]) -> list[int]:
    running = [c for c in items if c["status"] in ACTIVE and c["sla_due_at"]]
    rest = [c for c in items if c not in running]
    due = sorted(running, key=lambda c: (datetime.fromisoformat(c["sla_due_at"]), c["id"]))
    rest.sort(key=lambda c: (datetime.fromisoformat(c["updated_at"]), c["id"]), reverse=True)
    return [c["id"] for c in due + rest]


@pytest.mark.parametrize("limit", [7, 100, 200])
def test_sort_by_due_pages_across_the_deadlines_and_the_rest(db, world, client, limit):
    _conversations(db, world)
    h = world.auth(world.agent_token)
    seen = _all_pages(client, h, "", limit)
    assert len(seen) == 800 and len({c["id"] for c in seen}) == 800  # none twice, none lost at the boundary
    assert [c["id"] for c in seen] == _expected(seen)
    assert sum(1 for c in seen if c["status"] in ACTIVE and c["sla_due_at"]) == 200
    # a page that ends exactly on the last deadline goes on with the rest
    first = client.get("/api/v1/conversations?sort=due&limit=200", headers=h).json()
    assert first["items"][-1]["sla_due_at"] and first["next_cursor"]
    second = client.get(f"/api/v1/conversations?sort=due&limit=5&cursor={first['next_cursor']}", headers=h).json()
    assert [c["id"] for c in second["items"]] == [c["id"] for c in seen[200:205]]


def test_sort_by_due_is_the_inbox_order(db, world, client, settings):
    _conversations(db, world)
    settings.inbox_page_size = 400
    agent = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name="a", team_ids=frozenset())
    with db.read() as s:
        page = inbox.view(s, agent, "all", sort="due")  # All active
    seen = _all_pages(client, world.auth(world.agent_token), ACTIVE_QUERY, 33)
    assert len(seen) == 400 and [c["id"] for c in seen] == [r.id for r in page.rows]


def test_sort_by_due_reads_the_due_index_in_order(db, world):
    _conversations(db, world, n=4000)  # enough deadlines (1,000) that PostgreSQL, too, reads a page off the index
    wants = ("sla_due_at IS NOT NULL",)
    for condition in (All(all=[]), All(all=[Leaf(field="status", op="in", value=list(ACTIVE))])):
        for after in (None, (T0 + timedelta(minutes=20), 10**6, None)):
            run = lambda s, c=condition, a=after: repository.page(s, c, sort="due", after=a, limit=51)  # noqa: E731
            plan = plan_of(db, run, wants=wants)
            assert "ix_conversations_active_due" in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # in the index's order


def test_a_cursor_of_another_sort_or_a_broken_one_is_refused(db, world, client):
    _conversations(db, world, n=40)
    h = world.auth(world.agent_token)
    other = client.get("/api/v1/conversations?sort=updated_desc&limit=5", headers=h).json()["next_cursor"]
    broken = [
        other,
        cursors.encode(["due", None, 5]),  # past the deadlines but no updated_at
        cursors.encode(["due", "2026-03-01T00:00:00+00:00", 5, "2026-03-01T00:00:00+00:00"]),
        cursors.encode(["due", "2026-03-01T00:00:00", 5]),  # no offset
        cursors.encode(["due", "soon", 5]),
    ]
    for cursor in broken:
        r = client.get(f"/api/v1/conversations?sort=due&cursor={cursor}", headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor", cursor

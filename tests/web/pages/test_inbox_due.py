"""The inbox's Due column, sort by due and the Due soon view, read from the conversations' nearest deadlines."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from rapport.kernel.permissions import Actor
from rapport.kit.problems import Invalid
from rapport.workspace.conversations import inbox
from tests.sla.clock_rows import Policy, clock, conversation, minutes
from tests.web.pages.test_inbox_pages import ids_in


def _agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, role=world.agent.role, name="a", team_ids=frozenset({world.team.id}))


@pytest.fixture
def due(db, world, frozen_clock) -> dict[str, int]:
    """Five active conversations: late, due soon (warned), on track, paused (no deadline) and none; one solved."""
    now = frozen_clock[0]
    with db.write() as s:
        p = Policy(s)
        ids = {}
        for name, offset, at in (("late", -5, 1), ("soon", 25, 2), ("later", 180, 3), ("paused", None, 4)):
            due_at = now + minutes(offset) if offset is not None else None
            ids[name] = conversation(s, world.email_inbox.id, due=due_at, policy=p, customer=name, at=now - minutes(at))
            state = "paused" if offset is None else "running"
            warn_at = due_at - minutes(30) if due_at else None
            clock(s, p, ids[name], state=state, due_at=due_at, warn_at=warn_at, spent_seconds=3600)
        ids["none"] = conversation(s, world.email_inbox.id, customer="none", at=now)
        ids["solved"] = conversation(
            s, world.email_inbox.id, due=now + minutes(1), customer="solved", status="solved", at=now
        )
    return ids


def test_the_due_soon_view_lists_deadlines_nearest_first(db, world, due):
    with db.read() as s:
        shown = inbox.view(s, _agent(world), "due", tz="Europe/Paris")
    assert [r.id for r in shown.rows] == [due["late"], due["soon"], due["later"]]  # active, with a deadline
    assert shown.title == "Due soon" and shown.sort == "updated"  # its order is its point
    cells = {k: shown.due[due[k]] for k in ("late", "soon", "later")}
    assert [(c.word, c.summary) for c in cells.values()] == [
        ("Breached", "late by 5 min"),
        ("Due soon", "due in 25 min"),
        ("On track", "due in 3 h"),
    ]
    assert cells["soon"].local == "Mon 02 Nov 10:25 CET"


def test_the_due_soon_view_is_counted_and_ignores_the_agents_sort(db, world, due):
    with db.read() as s:
        counts = {c.key: c.count for c in inbox.counts(s, _agent(world))}
        assert counts["due"] == 3 and counts["all"] == 5
        shown = inbox.view(s, _agent(world), "due", sort="created")
    assert [r.id for r in shown.rows] == [due["late"], due["soon"], due["later"]]


def test_sort_by_due_puts_rows_without_a_deadline_last_by_update(db, world, due):
    with db.read() as s:
        shown = inbox.view(s, _agent(world), "all", sort="due")
    rest = [due["none"], due["paused"]]  # then the view's usual order: latest update first
    assert [r.id for r in shown.rows] == [due["late"], due["soon"], due["later"], *rest]
    assert shown.sort == "due" and due["none"] not in shown.due


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("key", ["all", "due"])
def test_sort_by_due_pages_by_keyset_both_ways(db, world, due, settings, key, size):
    """Forward to the end and back to the start again, across the turn from deadlines to the rest."""
    settings.inbox_page_size = size
    actor = _agent(world)
    forward, backward = [], []
    with db.read() as s:
        page = inbox.view(s, actor, key, sort="due")
        forward.append([r.id for r in page.rows])
        while page.older:
            page = inbox.view(s, actor, key, sort="due", after=page.older)
            forward.append([r.id for r in page.rows])
        while page.newer:
            page = inbox.view(s, actor, key, sort="due", before=page.newer)
            backward.append([r.id for r in page.rows])
    expected = [due["late"], due["soon"], due["later"]]
    if key == "all":
        expected += [due["none"], due["paused"]]
    assert [i for p in forward for i in p] == expected
    assert backward == forward[-2::-1]  # each page back is the page it came from


def test_a_cursor_of_another_order_is_refused(db, world, due, settings):
    settings.inbox_page_size = 2
    with db.read() as s:
        by_update = inbox.view(s, _agent(world), "all")
        with pytest.raises(Invalid) as caught:
            inbox.view(s, _agent(world), "all", sort="due", after=by_update.older)
        assert caught.value.extra["errors"] == [{"field": "after"}]
        with pytest.raises(Invalid, match="Sort by updated, created, due"):
            inbox.view(s, _agent(world), "all", sort="soonest")


def test_the_inbox_page_has_the_due_column_the_view_and_the_sort(client, world, signed_in, due):
    html = client.get("/inbox/all?sort=due").text
    assert '<th scope="col">Due</th>' in html
    assert ids_in(html)[:3] == [due["late"], due["soon"], due["later"]]
    row = html[html.index(f'data-href="/conversations/{due["soon"]}"') :]
    row = row[: row.index("</tr>")]
    assert re.search(
        r'class="pill sla-warn">Due soon</span>\s*<time datetime="[^"]+" title="Due [^"]+" data-due>due in 25 min', row
    )
    late = html[html.index(f'data-href="/conversations/{due["late"]}"') :]
    assert "Breached</span>" in late[: late.index("</tr>")] and "late by 5 min" in late[: late.index("</tr>")]
    nothing = html[html.index(f'data-href="/conversations/{due["none"]}"') :]
    assert "No deadline" in nothing[: nothing.index("</tr>")]
    assert 'href="/inbox/all?sort=due" aria-current="true">Due first' in html
    soon = client.get("/inbox/due").text
    assert ids_in(soon) == [due["late"], due["soon"], due["later"]] and '<h1 id="view-title">Due soon</h1>' in soon
    assert re.search(r'data-view-key="due">\s*<span>Due soon</span> <span class="count"[^>]*>3<', soon)
    assert 'aria-label="Sort Due soon"' not in soon  # nothing to sort: the view's order is its point


def test_the_empty_due_soon_view_says_what_it_is_for(client, signed_in):
    assert "No open conversation has a service target running" in client.get("/inbox/due").text


def test_the_list_fragment_keeps_the_sort_for_its_live_refresh(client, world, signed_in, due, frozen_clock):
    html = client.get("/inbox/all?sort=due", headers={"hx-request": "true", "hx-target": "conversation-list"}).text
    assert 'hx-get="/inbox/all?sort=due"' in html
    frozen_clock[0] += timedelta(minutes=10)  # the soon one is now 15 min away, the late one 15 min late
    html = client.get("/inbox/due", headers={"hx-request": "true", "hx-target": "conversation-list"}).text
    assert "late by 15 min" in html and "due in 15 min" in html

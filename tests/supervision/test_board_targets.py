"""The supervisor board's service targets: conversations breached and about to breach, per queue and per team, live."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest

from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models.enums import Role
from rapport.realtime.hub import Hub
from rapport.sla import repository as clocks
from rapport.supervision import service
from tests.plans import plan_of
from tests.sla.clock_rows import Policy, clock, conversation, minutes


def _sam(world) -> Actor:
    return Actor(kind="agent", id=world.supervisor.id, role=Role.supervisor, name="Sam")


@pytest.fixture
def risk(db, world, frozen_clock) -> dict[str, int]:
    """Email inbox (Support team): one breached, one breached by a running clock past due (job not there yet), one
    warned, one whose warning time has come, one on track, one breached but solved, one breached clock stopped
    (met late) beside a warned one. API inbox, no team: one breached with a warned clock too (counted breached)."""
    now = frozen_clock[0]
    email, api, team = world.email_inbox.id, world.api_inbox.id, world.team.id
    ids = {}
    with db.write() as s:
        p = Policy(s)

        def conv(name, inbox, due, **fields):
            ids[name] = conversation(s, inbox, due=due, policy=p, customer=name, **fields)
            return ids[name]

        clock(s, p, conv("late", email, now - minutes(5), team_id=team), state="breached", due_at=now - minutes(5))
        clock(s, p, conv("lagging", email, now - minutes(1), team_id=team), due_at=now - minutes(1))
        clock(s, p, conv("warned", email, now + minutes(20), team_id=team), due_at=now + minutes(20), warned_at=now)
        c = conv("warn_time", email, now + minutes(20), team_id=team)
        clock(s, p, c, due_at=now + minutes(20), warn_at=now - minutes(1))
        c = conv("on_track", email, now + minutes(200), team_id=team)
        clock(s, p, c, due_at=now + minutes(200), warn_at=now + minutes(150))
        c = conv("solved", email, now - minutes(5), team_id=team, status="solved")
        clock(s, p, c, state="breached", due_at=now - minutes(5))
        c = conv("stopped", email, now + minutes(20), team_id=team)
        clock(s, p, c, state="breached", due_at=now - minutes(50), stopped_at=now - minutes(10))
        clock(s, p, c, target="next_reply", due_at=now + minutes(20), warned_at=now)
        c = conv("api", api, now - minutes(5), channel="api")
        clock(s, p, c, state="breached", due_at=now - minutes(5))
        clock(s, p, c, target="next_reply", due_at=now + minutes(10), warned_at=now)
    return ids


def test_breached_and_about_to_breach_per_queue_and_team(db, world, risk):
    with db.read() as s:
        board = service.board(s, _sam(world))
    queues = {(q.inbox_id, q.channel): (q.breached, q.due_soon) for q in board.queues}
    assert queues[(world.email_inbox.id, "email")] == (2, 3)  # late, lagging; warned, warn_time, stopped
    assert queues[(world.api_inbox.id, "api")] == (1, 0)  # breached counts once, not also as about to breach
    assert (board.totals.breached, board.totals.due_soon) == (3, 3)
    teams = [(t.team_id, t.team, t.breached, t.due_soon) for t in board.targets]
    assert teams == [(world.team.id, "Support", 2, 3), (None, "No team", 1, 0)]


def test_the_board_page_and_json_show_them(client, world, risk, db, supervisor_csrf):
    html = client.get("/supervisor").text
    assert re.search(r'data-figure="breached">3</span> <a href="/inbox/due">past a service target</a>', html)
    assert 'data-figure="due-soon">3</span> about to miss one' in html
    row = html[html.index(f'data-queue="{world.email_inbox.id}-email"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num" data-breached>2</td>' in row and '<td class="num" data-due-soon>3</td>' in row
    assert 'id="targets-title">Service targets by team</h2>' in html and '<th scope="row">No team</th>' in html
    body = client.get("/api/v1/supervisor/board", headers=world.auth(world.sup_token)).json()
    assert (body["totals"]["breached"], body["totals"]["due_soon"]) == (3, 3)
    email = next(q for q in body["queues"] if q["inbox_id"] == world.email_inbox.id)
    assert (email["breached"], email["due_soon"]) == (2, 3)
    assert body["targets_by_team"][0] == {"team_id": world.team.id, "team": "Support", "breached": 2, "due_soon": 3}


def test_no_deadline_no_section(client, world, supervisor_csrf):
    html = client.get("/supervisor").text
    assert 'data-figure="breached">0</span>' in html and "Service targets by team" not in html


def test_the_count_starts_from_the_conversations_with_a_deadline(db, world, risk, frozen_clock):
    """SQLite is told to read `ix_conversations_active_due` (the open work with a deadline), then each one's clocks.
    PostgreSQL's costs on a few rows pick either side of the join (as the other plan tests say): there the count
    must go through indexes, never scan a table."""
    plan = plan_of(db, lambda s: clocks.at_risk(s, frozen_clock[0]))
    if db.engine.dialect.name == "postgresql":
        assert "Seq Scan" not in plan and ("ix_conversations_active_due" in plan or "ix_sla_clocks_" in plan), plan
        return
    assert "ix_conversations_active_due" in plan and "ix_sla_clocks_conversation" in plan, plan


def test_a_clock_event_reaches_the_board_live(db, world, risk):
    """The board refreshes on every event of `all` (workspace.js): a breach is pushed there like any other."""

    async def run():
        hub = Hub(db)
        await hub.start()
        try:
            sub = hub.subscribe(["all"])

            def write():
                with db.write() as s:
                    record(s, "sla.breached", SYSTEM, conversation_id=risk["lagging"], target="first_reply",
                           policy_id=1, clock_id=2)  # fmt: skip

            thread = threading.Thread(target=write)
            thread.start()
            await asyncio.to_thread(thread.join)
            push = await asyncio.wait_for(sub.get(), 10)
            assert push.name == "sla.breached" and f"conversation:{risk['lagging']}" in push.topics
        finally:
            await hub.stop()

    asyncio.run(run())

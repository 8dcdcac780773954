"""The supervisor board: its numbers, who may see it, reassigning from it, and its query on the partial index."""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import timedelta

import pytest

from rapport.agents import service as agents
from rapport.conversations import human
from rapport.conversations import service as conversations
from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.problems import Forbidden
from rapport.models import Conversation
from rapport.models.enums import Role, Status
from rapport.realtime.hub import Hub
from rapport.supervision import repository, service
from rapport.workspace.conversations import inbox
from tests.conftest import csrf_of, sign_in_as
from tests.plans import plan_of

SAM_PASSWORD = "supervisor password 1"


def _write(db, world, inbox_id: int, address: str, text: str = "Hello", channel: str | None = None) -> int:
    with db.write() as s:
        name = address.split("@")[0].upper()
        got = receive_inbound(s, SYSTEM, Inbound(inbox_id, "email", address, name, text=text, channel=channel))
    return got.conversation_id


def _as(agent) -> Actor:
    return Actor(kind="agent", id=agent.id, role=Role(agent.role), name=agent.name)


@pytest.fixture
def sam(client, world, db):
    """The client signed in as Sam Super (a supervisor); returns the CSRF token of the board."""
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.supervisor.id, password=SAM_PASSWORD)
    client.follow_redirects = False
    return sign_in_as(client, "sam@example.com", SAM_PASSWORD, next="/supervisor", page="/supervisor")


@pytest.fixture
def floor(db, world, frozen_clock):
    """A working day on the floor: waiting, answered, pending, solved and human-queue conversations, two inboxes.

    email inbox: A waits since 09:00 (unassigned), B since 09:05 (Alex), C pending on the customer (Alex),
    D solved; API inbox: E waits since 09:10 and asks for a person; F solved with a stale request for a person.
    """
    start = frozen_clock[0]
    ids = {}
    ids["A"] = _write(db, world, world.email_inbox.id, "a@customer.test")
    frozen_clock[0] = start + timedelta(minutes=5)
    ids["B"] = _write(db, world, world.email_inbox.id, "b@customer.test")
    ids["C"] = _write(db, world, world.email_inbox.id, "c@customer.test")
    ids["D"] = _write(db, world, world.email_inbox.id, "d@customer.test")
    frozen_clock[0] = start + timedelta(minutes=10)
    ids["E"] = _write(db, world, world.api_inbox.id, "e@customer.test", channel="chat")
    ids["F"] = _write(db, world, world.api_inbox.id, "f@customer.test", channel="chat")
    alex = _as(world.agent)
    with db.write() as s:
        conversations.update(s, SYSTEM, ids["B"], conversations.Changes(assignee_id=world.agent.id))
        conversations.update(s, SYSTEM, ids["C"], conversations.Changes(assignee_id=world.agent.id))
        conversations.reply(s, alex, ids["C"], text="Can you send a photo?", status=Status.pending)
        conversations.update(s, SYSTEM, ids["D"], conversations.Changes(status=Status.solved))
        human.request_human(s, SYSTEM, ids["E"], channel="chat", via="chat_button")
        human.request_human(s, SYSTEM, ids["F"], channel="chat", via="chat_button")
        conversations.update(s, SYSTEM, ids["F"], conversations.Changes(status=Status.solved))
        agents.update_agent(s, SYSTEM, world.agent2.id, availability="online")
        agents.update_agent(s, SYSTEM, world.agent.id, availability="away")
    frozen_clock[0] = start + timedelta(minutes=30)
    return ids


def test_the_numbers(db, world, floor, frozen_clock):
    with db.read() as s:
        board = service.board(s, _as(world.supervisor))
    queues = {(q.inbox, q.channel): q for q in board.queues}
    email = queues[("Support email", "email")]
    assert (email.active, email.waiting, email.unassigned) == (3, 2, 1)  # A, B, C open; A and B wait; A unassigned
    assert email.oldest_waiting == frozen_clock[0] - timedelta(minutes=30)  # A's message at 09:00
    api = queues[("API", "chat")]
    assert (api.active, api.waiting, api.unassigned) == (1, 1, 1)
    assert ("API", "api") in queues and queues[("API", "api")].active == 0  # every inbox has its row
    assert [q.inbox for q in board.queues][:2] == ["Support email", "API"]  # the longest wait first
    assert board.totals.waiting == 3 and board.totals.unassigned == 2
    assert board.totals.oldest_waiting == email.oldest_waiting
    # The human queue holds E only: F's request went with its solving.
    assert [r.id for r in board.human] == [floor["E"]] and board.totals.human == 1
    assert (board.human[0].customer_name, board.human[0].channel) == ("E", "chat")
    # Waiting longest: A then B; E is listed in the human queue instead.
    assert [r.id for r in board.waiting] == [floor["A"], floor["B"]]
    # Agents: online first, then away, then offline; Alex carries B and C on email.
    assert [a.name for a in board.agents][:2] == ["Bo Agent", "Alex Agent"]
    alex = next(a for a in board.agents if a.id == world.agent.id)
    assert alex.availability == "away" and alex.load == {"email": 2} and alex.total == 2
    assert board.totals.online == 1 and board.totals.agents == 4
    assert board.wait.agents_online == 1


def test_waiting_means_what_the_inbox_says(db, world, floor):
    """The board's waiting count and the inbox's "Waiting longest" view agree (one definition)."""
    with db.read() as s:
        board = service.board(s, _as(world.supervisor))
        counts = {c.key: c.count for c in inbox.counts(s, _as(world.supervisor))}
    assert board.totals.waiting == counts["waiting"] == 3


def test_agents_never_see_the_board(client, world, db, floor):
    with db.read() as s, pytest.raises(Forbidden, match="supervisor.console"):
        service.board(s, _as(world.agent))
    client.follow_redirects = False
    client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1"})
    inbox_page = client.get("/inbox/all")
    assert inbox_page.status_code == 200 and 'href="/supervisor"' not in inbox_page.text
    r = client.get("/supervisor")
    assert r.status_code == 403 and "supervisor.console" in r.text
    assert client.get("/supervisor/board").status_code == 403
    csrf = csrf_of(inbox_page.text)
    r = client.post("/supervisor/assign", data={"csrf_token": csrf, "conversation_id": floor["A"], "to": "agent:1"})
    assert r.status_code == 403
    r = client.get("/api/v1/supervisor/board", headers=world.auth(world.agent_token))
    assert r.status_code == 403 and r.json()["permission"] == "supervisor.console"


def test_the_page_and_its_menu_entry(client, world, sam, floor):
    html = client.get("/supervisor").text
    assert 'href="/supervisor" aria-current="page"' in html
    assert "data-live-board" in html and 'hx-get="/supervisor/board"' in html
    assert re.search(rf'<tr data-human="{floor["E"]}">', html)
    assert re.search(r'data-figure="waiting">3<', html)
    fragment = client.get("/supervisor/board", headers={"hx-request": "true"}).text
    assert fragment.lstrip().startswith('<div id="board"') and "<html" not in fragment


def test_reassign_from_the_board(client, world, sam, floor, db):
    a = floor["A"]
    form = {"conversation_id": str(a), "to": f"agent:{world.agent2.id}", "section": "waiting"}
    # Without the session's CSRF token nothing changes.
    r = client.post("/supervisor/assign", data=form | {"csrf_token": "forged"}, headers={"hx-request": "true"})
    assert r.status_code == 403
    with db.read() as s:
        assert s.get(Conversation, a).assignee_id is None
    r = client.post("/supervisor/assign", data=form, headers={"hx-request": "true", "x-csrf-token": sam})
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="board"')
    assert 'hx-swap-oob="innerHTML:#alerts"' in r.text and f"Assigned conversation #{a} to Bo Agent." in r.text
    with db.read() as s:
        assert s.get(Conversation, a).assignee_id == world.agent2.id
    # Handing to a team leaves it unassigned in the team.
    form = {"conversation_id": str(floor["E"]), "to": f"team:{world.team.id}", "section": "human", "csrf_token": sam}
    r = client.post("/supervisor/assign", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/supervisor"  # without htmx: back to the board
    with db.read() as s:
        conv = s.get(Conversation, floor["E"])
        assert (conv.team_id, conv.assignee_id) == (world.team.id, None)


def test_a_failed_reassign_says_why_beside_the_field(client, world, sam, floor, db):
    e = floor["E"]
    hx = {"hx-request": "true", "x-csrf-token": sam}
    form = {"conversation_id": e, "section": "human"}
    r = client.post("/supervisor/assign", data=form | {"to": "agent:9999"}, headers=hx)
    assert r.status_code == 404
    assert f'id="human-to-{e}" name="to" required aria-invalid="true" aria-describedby="human-error-{e}"' in r.text
    assert re.search(rf'<p class="error" id="human-error-{e}">There is no active agent 9999 to assign.</p>', r.text)
    r = client.post("/supervisor/assign", data=form | {"to": ""}, headers=hx)
    assert r.status_code == 422 and "Choose an agent or a team to assign it to." in r.text
    with db.write() as s:
        conversations.update(s, SYSTEM, e, conversations.Changes(status=Status.solved))
        conversations.update(s, SYSTEM, e, conversations.Changes(status=Status.closed))
    r = client.post(
        "/supervisor/assign",
        data={"conversation_id": e, "to": f"agent:{world.agent.id}", "section": "human"},
        headers=hx,
    )
    assert r.status_code == 409  # it left the board when it closed: the error goes to the page's alert region
    assert re.search(r'<div hx-swap-oob="innerHTML:#alerts"><p class="error">Conversation #\d+: .*read-only', r.text)
    with db.read() as s:
        assert s.get(Conversation, e).assignee_id is None


def test_the_board_as_json(client, world, floor):
    r = client.get("/api/v1/supervisor/board", headers=world.auth(world.sup_token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totals"]["waiting"] == 3 and body["totals"]["human"] == 1
    assert [c["id"] for c in body["human_queue"]] == [floor["E"]]
    alex = next(a for a in body["agents"] if a["id"] == world.agent.id)
    assert alex["load"] == {"email": 2} and alex["total"] == 2
    assert body["expected_wait"]["agents_online"] == 1


def test_an_availability_change_reaches_the_board_live(db, world):
    """The board follows `all`; an agent going online is pushed there as `agent.updated`."""

    async def run():
        hub = Hub(db)
        await hub.start()
        try:
            sub = hub.subscribe(["all"])

            def write():
                with db.write() as s:
                    agents.set_presence(s, _as(world.agent), availability="online", timezone="UTC")

            thread = threading.Thread(target=write)
            thread.start()
            await asyncio.to_thread(thread.join)
            push = await asyncio.wait_for(sub.get(), 10)
            assert push.name == "agent.updated"
            assert push.data["event"]["payload"]["fields"] == {"availability": "online"}
        finally:
            await hub.stop()

    asyncio.run(run())


def test_the_count_reads_the_covering_partial_index(db, world, floor):
    """The board's aggregate can be answered from `ix_conversations_active_board` alone, on both backends."""
    plan = plan_of(db, repository.load)
    if db.engine.dialect.name == "sqlite":
        assert "COVERING INDEX ix_conversations_active_board" in plan, plan
    else:
        assert "Index Only Scan using ix_conversations_active_board" in plan, plan

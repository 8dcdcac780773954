"""Inbox views, counts, saved views and bulk actions."""

from __future__ import annotations

import re

from sqlalchemy import select

from rapport.models import Conversation, ConversationTag, SavedView
from tests.conftest import LATER, inbound


def ids_in(html: str) -> list[int]:
    """Conversation ids of the listed rows, in order."""
    return [int(i) for i in re.findall(r'data-href="/conversations/(\d+)"', html)]


def cid(result: dict) -> int:
    """The conversation id of an inbound answer."""
    return result["conversation_id"]


def test_built_in_views(client, world, signed_in, frozen_clock):
    first = cid(inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "first"))
    frozen_clock[0] += LATER
    second = cid(inbound(client, world.agent_token, world.api_inbox.id, "b@customer.test", "second"))
    frozen_clock[0] += LATER
    client.post(
        f"/conversations/{second}/actions",
        data={"csrf_token": signed_in, "assignee_id": str(world.agent.id)},
        headers={"hx-request": "true"},
    )
    assert ids_in(client.get("/inbox/all").text) == [second, first]  # latest update first
    assert ids_in(client.get("/inbox/mine").text) == [second]
    assert ids_in(client.get("/inbox/unassigned").text) == [first]
    assert ids_in(client.get("/inbox/teams").text) == [first]  # the email inbox belongs to Alex's team
    assert ids_in(client.get("/inbox/waiting").text) == [first, second]  # oldest inbound first
    counts = client.get("/inbox-counts").text
    assert re.search(r'data-view-key="mine">\s*<span>Mine</span> <span class="count"[^>]*>1<', counts)
    assert re.search(r'data-view-key="all">\s*<span>All</span> <span class="count"[^>]*>2<', counts)


def test_empty_views_say_what_to_do(client, signed_in):
    html = client.get("/inbox/mine").text
    assert "Nothing is assigned to you" in html and "Unassigned" in html
    assert client.get("/inbox/nope").status_code == 404


def test_saved_view_filters_and_belongs_to_its_agent(client, world, signed_in, db, app):
    email = cid(inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "by email"))
    inbound(client, world.agent_token, world.api_inbox.id, "b@customer.test", "by api")
    r = client.post("/views", data={"csrf_token": signed_in, "name": "Email only", "channel": "email"})
    assert r.status_code == 303
    key = r.headers["location"].rsplit("/", 1)[1]
    html = client.get(f"/inbox/{key}").text
    assert ids_in(html) == [email] and "Email only" in html
    r = client.post("/views", data={"csrf_token": signed_in, "name": "Bad", "priority": "whenever"})
    assert r.status_code == 422 and "priority must be one of" in r.text
    with db.read() as s:
        assert s.scalars(select(SavedView.name)).all() == ["Email only"]
    from fastapi.testclient import TestClient

    other = TestClient(app, follow_redirects=False)
    other.post("/sign-in", data={"email": "ada@example.com", "password": "correct horse battery"})
    assert other.get(f"/inbox/{key}").status_code == 404
    r = client.post(f"/views/{key[6:]}/delete", data={"csrf_token": signed_in})
    assert r.status_code == 303 and client.get(f"/inbox/{key}").status_code == 404


def test_bulk_actions_without_reload(client, world, signed_in, db):
    a = cid(inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "one"))
    b = cid(inbound(client, world.agent_token, world.email_inbox.id, "b@customer.test", "two"))
    hx = {"hx-request": "true", "hx-target": "conversation-list"}
    r = client.post(
        "/inbox/all/bulk",
        data={"ids": [str(a), str(b)], "action": "assign", "value_assign": str(world.agent.id)},
        headers=hx | {"x-csrf-token": signed_in},
    )
    assert r.status_code == 200 and r.text.startswith('<div id="conversation-list"')
    assert "Updated 2 conversations." in r.text and r.headers["hx-trigger"] == "counts-changed"
    client.post(
        "/inbox/all/bulk",
        data={"ids": [str(a)], "action": "tag", "value_tag": "refund"},
        headers=hx | {"x-csrf-token": signed_in},
    )
    client.post(
        "/inbox/all/bulk",
        data={"ids": [str(b)], "action": "status", "value_status": "pending"},
        headers=hx | {"x-csrf-token": signed_in},
    )
    with db.read() as s:
        rows = {c.id: c for c in s.scalars(select(Conversation))}
        assert rows[a].assignee_id == rows[b].assignee_id == world.agent.id
        assert rows[b].status == "pending"
        assert s.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == a)).all() == ["refund"]
    r = client.post(
        "/inbox/all/bulk", data={"action": "status", "value_status": "open"}, headers=hx | {"x-csrf-token": signed_in}
    )
    assert r.status_code == 422 and "Select at least one" in r.text and r.headers["hx-retarget"] == "#alerts"
    r = client.post("/inbox/all/bulk", data={"ids": [str(a)], "action": "tag", "value_tag": "x"}, headers=hx)
    assert r.status_code == 403  # the htmx header carries the CSRF token; without it, nothing happens


def test_inbox_page_shows_times_in_the_agents_timezone(client, world, signed_in, frozen_clock):
    inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "hello")
    client.post("/profile", data={"availability": "online", "timezone": "Asia/Tokyo", "csrf_token": signed_in})
    html = client.get("/inbox/all").text
    assert 'title="02 Nov 2026 18:00 JST"' in html and ">just now</time>" in html

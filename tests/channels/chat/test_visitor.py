"""The visitor's side over HTTP: isolation, history, attachments, talking to a person, no agent, CORS, pages."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select, update

from rapport.conversations import merge as merging
from rapport.conversations import service
from rapport.kernel.permissions import Actor
from rapport.kit.problems import Conflict
from rapport.models import Agent, Conversation, Event
from tests.channels.chat.conftest import KEY, SHOP, new_visitor
from tests.conftest import inbound

API = f"/chat/api/{KEY}"


def _agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)


def test_a_visitor_reads_and_writes_only_their_own_chat(client, chat_inbox, world):
    alice, bob = new_visitor(client), new_visitor(client)
    pdf = base64.b64encode(b"%PDF-1.4 receipt").decode()
    r = client.post(
        f"{API}/messages",
        json={"text": "My order is late", "attachments": [{"filename": "r.pdf", "data": pdf}]},
        headers=alice,
    )
    assert r.status_code == 201, r.text
    conv = r.json()["conversation_id"]
    mine = client.get(f"{API}/messages", headers=alice).json()
    assert [m["text"] for m in mine["items"]] == ["My order is late"] and mine["conversation_id"] == conv
    att = mine["items"][0]["attachments"][0]["id"]
    assert client.get(f"{API}/attachments/{att}", headers=alice).content == b"%PDF-1.4 receipt"
    # Bob's token reads nothing of Alice's, cannot fetch her file, and his message starts his own conversation.
    assert client.get(f"{API}/messages", headers=bob).json()["items"] == []
    assert client.get(f"{API}/attachments/{att}", headers=bob).status_code == 404
    r = client.post(f"{API}/messages", json={"text": "Hello?"}, headers=bob)
    assert r.json()["conversation_id"] != conv
    assert [m["text"] for m in client.get(f"{API}/messages", headers=bob).json()["items"]] == ["Hello?"]
    assert client.get(f"{API}/messages", headers={"X-Rapport-Visitor": "rcv_forged"}).status_code == 401
    assert client.get(f"{API}/messages").status_code == 401
    assert client.get("/chat/api/other-key/messages", headers=alice).status_code == 404


def test_history_shows_replies_not_notes_and_survives_reload(client, db, chat_inbox, world):
    me = new_visitor(client)
    conv = client.post(f"{API}/messages", json={"text": "Hi"}, headers=me).json()["conversation_id"]
    with db.write() as s:
        service.add_note(s, _agent(world), conv, text="internal: VIP?")
        service.reply(s, _agent(world), conv, text="Hello, how can I help?")
    items = client.get(f"{API}/messages", headers=me).json()["items"]
    assert [(m["direction"], m["text"], m["author_name"]) for m in items] == [
        ("inbound", "Hi", None),
        ("outbound", "Hello, how can I help?", "Alex"),
    ]
    assert client.get(f"{API}/messages?after={items[0]['id']}", headers=me).json()["items"] == items[1:]


def test_attachment_limits_are_the_cores(client, chat_inbox, settings):
    settings.max_attachment_bytes = 10
    me = new_visitor(client)
    big = base64.b64encode(b"x" * 11).decode()
    r = client.post(f"{API}/messages", json={"attachments": [{"filename": "a.txt", "data": big}]}, headers=me)
    assert r.status_code == 413 and "RAPPORT_MAX_ATTACHMENT_BYTES" in r.json()["detail"]


def test_message_rate_limit(client, chat_inbox, settings):
    settings.chat_max_messages_per_hour = 2
    me = new_visitor(client)
    for _ in range(2):
        assert client.post(f"{API}/messages", json={"text": "hi"}, headers=me).status_code == 201
    r = client.post(f"{API}/messages", json={"text": "hi"}, headers=me)
    assert r.status_code == 429 and "RAPPORT_CHAT_MAX_MESSAGES_PER_HOUR" in r.json()["detail"]


def test_talk_to_a_person_with_nobody_online_then_someone(client, db, chat_inbox, world):
    me = new_visitor(client)
    r = client.post(f"{API}/person", json={}, headers=me)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["wait"] == {
        "available": False,
        "seconds": None,
        "waiting": 0,
        "agents_online": 0,
        "text": "No one is available right now.",
    }
    with db.read() as s:
        conv = s.get(Conversation, body["conversation_id"])
        assert conv.human_requested_at is not None and conv.channel == "chat"
        names = list(s.scalars(select(Event.name).where(Event.conversation_id == conv.id)))
    assert "conversation.human_requested" in names
    items = client.get(f"{API}/messages", headers=me).json()["items"]
    assert [m["text"] for m in items] == ["I would like to talk to a person."]
    with db.write() as s:
        s.get(Agent, world.agent.id).availability = "online"
    status = client.get(f"{API}/status").json()
    assert status["available"] is True and status["waiting"] == 1 and status["seconds"] > 0


def test_cors_for_allowed_origins_only(client, chat_inbox):
    pre = client.options(
        f"{API}/messages",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-rapport-visitor",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == SHOP
    assert "x-rapport-visitor" in pre.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in pre.headers  # a header token, never cookies
    r = client.post(f"{API}/visitors", json={}, headers={"Origin": SHOP})
    assert r.status_code == 201 and r.headers["access-control-allow-origin"] == SHOP
    evil = client.post(f"{API}/visitors", json={}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "allowed_origins" in evil.json()["detail"]
    assert "access-control-allow-origin" not in evil.headers


def test_pages_carry_a_csp_and_the_widget_is_served(client, chat_inbox):
    demo = client.get(f"/chat/demo?key={KEY}")
    assert "default-src 'none'" in demo.headers["content-security-policy"]
    assert f'data-inbox="{KEY}"' in demo.text
    js = client.get("/chat/widget.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in js.text and "aria-live" in js.text
    assert "script-src 'self'" in client.get("/chat/verify?token=x").headers["content-security-policy"]


def test_a_chat_merged_into_another_customers_conversation_stays_hidden(client, db, chat_inbox, world):
    other = inbound(client, world.agent_token, world.api_inbox.id, address="someone@example.net", text="Private")
    me = new_visitor(client)
    conv = client.post(f"{API}/messages", json={"text": "I am someone, merge me"}, headers=me).json()
    # Refused: another customer's conversation takes in this chat only after the customers are merged.
    with pytest.raises(Conflict, match="merge the customers first"), db.write() as s:
        merging.merge(s, _agent(world), conv["conversation_id"], other["conversation_id"])
    assert [m["text"] for m in client.get(f"{API}/messages", headers=me).json()["items"]] == ["I am someone, merge me"]
    with db.write() as s:  # a conversation moved there regardless (made before the refusal) stays hidden
        s.execute(
            update(Conversation)
            .where(Conversation.id == conv["conversation_id"])
            .values(merged_into_id=other["conversation_id"])
        )
    assert client.get(f"{API}/messages", headers=me).json()["items"] == []

"""Live streams over a real server (uvicorn on loopback): agent page and chat visitor, replies, typing, notes."""

from __future__ import annotations

import json

import httpx2
import pytest

from rapport.conversations import service
from rapport.kernel.permissions import Actor
from tests.channels.chat.conftest import KEY, chat_inbox, live_server, new_visitor  # noqa: F401 (fixtures)

API = f"/chat/api/{KEY}"


class Stream:
    """Reads SSE frames from an open streaming response."""

    def __init__(self, response):
        self.lines = response.iter_lines()

    def next(self) -> tuple[str, dict]:
        """The next event (skipping heartbeats): its name and data."""
        name, data = "message", ""
        for line in self.lines:
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
            elif line == "" and data:
                return name, json.loads(data)
        raise AssertionError("the stream ended")

    def until(self, wanted: str) -> tuple[dict, list[tuple[str, dict]]]:
        """Read up to the next `wanted` event; its data and what came before it.

        The hub builds pushes after commit, so an event committed just before the stream opened may still
        arrive first (pages dedupe by id); tests skip those.
        """
        before = []
        while True:
            name, data = self.next()
            if name == wanted:
                return data, before
            before.append((name, data))


def test_reply_and_typing_reach_the_visitor_live_and_notes_never(live_server, db, world, chat_inbox):  # noqa: F811
    agent = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)
    with httpx2.Client(base_url=live_server, timeout=10) as http:
        me = new_visitor(http)
        conv = http.post(f"{API}/messages", json={"text": "Anyone there?"}, headers=me).json()["conversation_id"]
        bearer = {"Authorization": f"Bearer {world.agent_token}"}
        with (
            http.stream("GET", f"/api/v1/live?topic=conversation:{conv}", headers=bearer) as agent_resp,
            http.stream("GET", f"{API}/stream", headers=me) as visitor_resp,
        ):
            assert visitor_resp.headers["content-type"].startswith("text/event-stream")
            agent_stream, visitor_stream = Stream(agent_resp), Stream(visitor_resp)
            assert agent_stream.next() == ("ready", {"topics": [f"conversation:{conv}"]})
            assert visitor_stream.next()[0] == "ready"
            r = http.post("/api/v1/live/presence", json={"conversation_id": conv, "state": "typing"}, headers=bearer)
            assert r.status_code == 204, r.text
            data, _ = visitor_stream.until("typing")
            assert (data["state"], data["who"]["name"]) == ("typing", "Alex")
            agent_stream.until("typing")  # other agents see it too
            with db.write() as s:
                service.add_note(s, agent, conv, text="secret note")
            with db.write() as s:
                service.reply(s, agent, conv, text="Yes, Alex here.")
            # The visitor's next event is the reply: the note was filtered out of their stream.
            data, before = visitor_stream.until("message.sent")
            assert (data["message"]["text"], data["message"]["direction"]) == ("Yes, Alex here.", "outbound")
            assert "secret note" not in str(before) and "note.added" not in [n for n, _ in before]
            seen = []
            while "message.sent" not in seen:
                name, data = agent_stream.next()
                seen.append(name)
                if name == "note.added":
                    assert data["message"]["text"] == "secret note"
            assert "note.added" in seen
            http.post(f"{API}/typing", json={"state": "typing"}, headers=me)
            name, data = agent_stream.next()
            while name != "typing":  # the reply's other events (status change) come first
                name, data = agent_stream.next()
            assert data["who"]["kind"] == "visitor"


def test_one_visitors_stream_never_carries_anothers_chat(live_server, db, world, chat_inbox):  # noqa: F811
    agent = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)
    with httpx2.Client(base_url=live_server, timeout=10) as http:
        alice, bob = new_visitor(http), new_visitor(http)
        alice_conv = http.post(f"{API}/messages", json={"text": "A"}, headers=alice).json()["conversation_id"]
        bob_conv = http.post(f"{API}/messages", json={"text": "B"}, headers=bob).json()["conversation_id"]
        with http.stream("GET", f"{API}/stream", headers=bob) as resp:
            bob_stream = Stream(resp)
            assert bob_stream.next() == ("ready", {"topics": [f"conversation:{bob_conv}"]})
            with db.write() as s:
                service.reply(s, agent, alice_conv, text="For Alice only")
            with db.write() as s:
                service.reply(s, agent, bob_conv, text="For Bob")
            data, before = bob_stream.until("message.sent")
            assert data["message"]["text"] == "For Bob"
            assert "For Alice" not in str(before) and data["message"]["conversation_id"] == bob_conv


@pytest.mark.parametrize("topic,status", [("agent:{other}", 403), ("conversation:999999", 404), ("bogus", 422)])
def test_live_topics_are_authorised(client, world, topic, status):
    url = "/api/v1/live?topic=" + topic.format(other=world.agent2.id)
    assert client.get(url, headers=world.auth(world.agent_token)).status_code == status
    assert client.get("/api/v1/live?topic=all").status_code == 401

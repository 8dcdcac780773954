"""Live streams over a real server (uvicorn on loopback): agent page and chat visitor, replies, typing, notes."""

from __future__ import annotations

import json

import httpx2
import pytest

from rapport.agents.permissions import Actor
from rapport.conversations import service
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
            name, data = visitor_stream.next()
            assert (name, data["state"], data["who"]["name"]) == ("typing", "typing", "Alex")
            assert agent_stream.next()[0] == "typing"  # other agents see it too
            with db.write() as s:
                service.add_note(s, agent, conv, text="secret note")
            with db.write() as s:
                service.reply(s, agent, conv, text="Yes, Alex here.")
            # The visitor's next event is the reply: the note was filtered out of their stream.
            name, data = visitor_stream.next()
            assert (name, data["message"]["text"], data["message"]["direction"]) == (
                "message.sent",
                "Yes, Alex here.",
                "outbound",
            )
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


@pytest.mark.parametrize("topic,status", [("agent:{other}", 403), ("conversation:999999", 404), ("bogus", 422)])
def test_live_topics_are_authorised(client, world, topic, status):
    url = "/api/v1/live?topic=" + topic.format(other=world.agent2.id)
    assert client.get(url, headers=world.auth(world.agent_token)).status_code == status
    assert client.get("/api/v1/live?topic=all").status_code == 401

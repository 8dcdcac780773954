"""Anonymous chat: new visitors and new conversations per client address are limited (429 with Retry-After)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import ChatVisitor, Conversation

KEY = "pk_test_flood_0123456789"
API = f"/chat/api/{KEY}"


@pytest.fixture
def chat(db, world):
    """A chat inbox."""
    with db.write() as s:
        return inboxes.create(s, SYSTEM, name="Chat", channel="chat", settings={"public_key": KEY})


def _client(app, address: str) -> TestClient:
    return TestClient(app, base_url="http://testserver", client=(address, 40000))


def test_one_address_cannot_open_visitors_without_end(app, db, chat, settings, frozen_clock):
    settings.chat_visitors_per_client_per_hour = 3
    attacker, neighbour = _client(app, "203.0.113.7"), _client(app, "198.51.100.9")
    for _ in range(3):
        assert attacker.post(f"{API}/visitors", json={}).status_code == 201
        frozen_clock[0] += timedelta(minutes=1)
    r = attacker.post(f"{API}/visitors", json={})
    assert r.status_code == 429 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["setting"] == "RAPPORT_CHAT_VISITORS_PER_CLIENT_PER_HOUR"
    assert "RAPPORT_CHAT_VISITORS_PER_CLIENT_PER_HOUR" in r.json()["detail"]
    # The oldest of the three leaves the hour 57 minutes from now.
    assert r.headers["Retry-After"] == str(57 * 60) and r.json()["retry_after"] == 57 * 60
    assert neighbour.post(f"{API}/visitors", json={}).status_code == 201  # another address is not affected
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ChatVisitor)) == 4
    frozen_clock[0] += timedelta(minutes=57)
    assert attacker.post(f"{API}/visitors", json={}).status_code == 201


def test_one_address_cannot_open_conversations_without_end(app, db, chat, settings, frozen_clock):
    settings.chat_conversations_per_client_per_hour = 2
    attacker = _client(app, "203.0.113.7")
    visitors = [{"X-Rapport-Visitor": attacker.post(f"{API}/visitors", json={}).json()["token"]} for _ in range(4)]
    for v in visitors[:2]:
        assert attacker.post(f"{API}/messages", json={"text": "hi"}, headers=v).status_code == 201
    r = attacker.post(f"{API}/messages", json={"text": "hi"}, headers=visitors[2])
    assert r.status_code == 429 and r.json()["setting"] == "RAPPORT_CHAT_CONVERSATIONS_PER_CLIENT_PER_HOUR"
    assert int(r.headers["Retry-After"]) == 3600
    assert attacker.post(f"{API}/person", json={}, headers=visitors[3]).status_code == 429  # no way around it
    # A visitor with a conversation keeps writing in it.
    assert attacker.post(f"{API}/messages", json={"text": "more"}, headers=visitors[0]).status_code == 201
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 2


def test_the_defaults_stop_the_reported_flood(app, db, chat, frozen_clock):
    """The finding: one address opened 300 visitors and 300 conversations within 31 s, all accepted."""
    attacker = _client(app, "203.0.113.7")
    codes = []
    for _ in range(100):
        r = attacker.post(f"{API}/visitors", json={})
        codes.append(r.status_code)
        if r.status_code == 201:
            r = attacker.post(
                f"{API}/messages", json={"text": "spam"}, headers={"X-Rapport-Visitor": r.json()["token"]}
            )
            codes.append(r.status_code)
    assert 429 in codes
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ChatVisitor)) == 60
        assert s.scalar(select(func.count()).select_from(Conversation)) == 30

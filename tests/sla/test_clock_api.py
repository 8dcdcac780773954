"""Service targets through the API: the conversation's fields and its clocks (read scope)."""

from __future__ import annotations

import pytest

from rapport.kernel.permissions import SYSTEM
from tests.conftest import World
from tests.sla.clock_rows import Policy, clock, conversation, minutes


@pytest.fixture
def timed(db, world, frozen_clock) -> dict:
    """A conversation under the Standard policy: first reply met, next reply running (due in 25 min)."""
    now = frozen_clock[0]
    with db.write() as s:
        p = Policy(s)
        conv = conversation(s, world.email_inbox.id, due=now + minutes(25), policy=p)
        clock(s, p, conv, state="met", measured_seconds=2400, stopped_at=now - minutes(30))
        clock(s, p, conv, target="next_reply", due_at=now + minutes(25), warn_at=now + minutes(10))
        return {"id": conv, "policy_id": p.policy.id, "due": now + minutes(25)}


def test_a_conversation_carries_its_policy_and_nearest_deadline(client, world, timed):
    h = World.auth(world.readonly_token)
    one = client.get(f"/api/v1/conversations/{timed['id']}", headers=h).json()
    assert one["sla_policy_id"] == timed["policy_id"]
    assert one["sla_due_at"].startswith("2026-11-02T09:25:00")
    [listed] = client.get("/api/v1/conversations", headers=h).json()["items"]
    assert (listed["sla_policy_id"], listed["sla_due_at"]) == (one["sla_policy_id"], one["sla_due_at"])


def test_the_fields_are_documented(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ConversationOut"]["properties"]
    assert {"sla_due_at", "sla_policy_id"} <= set(schema)


def test_the_clocks_of_a_conversation_newest_first_in_words(client, world, timed):
    r = client.get(f"/api/v1/conversations/{timed['id']}/clocks", headers=World.auth(world.readonly_token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["next_cursor"] is None
    running, met = body["items"]
    assert (running["target"], running["state"], running["word"], running["summary"]) == (
        "next_reply",
        "running",
        "On track",
        "due in 25 min",
    )
    assert running["seconds_left"] == 1500 and running["goal"] == "4 business hours" and running["business"]
    assert running["label"] == "Next reply" and running["due_at"].startswith("2026-11-02T09:25:00")
    assert (met["state"], met["summary"], met["measured_seconds"], met["seconds_left"]) == (
        "met",
        "met in 40 min",
        2400,
        None,
    )
    assert "due_local" not in running  # instants in UTC: the timezone is a page's business


def test_the_clocks_page_back(client, world, timed):
    h = World.auth(world.readonly_token)
    first = client.get(f"/api/v1/conversations/{timed['id']}/clocks?limit=1", headers=h).json()
    assert [c["target"] for c in first["items"]] == ["next_reply"] and first["next_cursor"]
    rest = client.get(f"/api/v1/conversations/{timed['id']}/clocks?before={first['next_cursor']}", headers=h).json()
    assert [c["target"] for c in rest["items"]] == ["first_reply"] and rest["next_cursor"] is None


def test_bad_requests_for_clocks_are_named(client, world, timed):
    h = World.auth(world.readonly_token)
    missing = client.get("/api/v1/conversations/999999/clocks", headers=h)
    assert missing.status_code == 404 and "There is no conversation 999999" in missing.json()["detail"]
    big = client.get(f"/api/v1/conversations/{timed['id']}/clocks?limit=100000", headers=h)
    assert big.status_code == 422 and "RAPPORT_MAX_PAGE_SIZE" in big.text
    assert client.get(f"/api/v1/conversations/{timed['id']}/clocks").status_code == 401


def test_the_clocks_need_the_read_scope(client, db, world, timed):
    from rapport.agents import service as agents

    with db.write() as s:
        _, token = agents.create_token(s, SYSTEM, name="in", scopes=["inbound"], agent_id=world.agent.id)
    r = client.get(f"/api/v1/conversations/{timed['id']}/clocks", headers=World.auth(token))
    assert r.status_code == 403 and r.json()["scope"] == "read"

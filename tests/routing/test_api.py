"""The routing API: settings, skills, agents' capacity and skills, conversation needs, next best; bad input is a
problem+json naming the field, and nothing is half-written."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import Agent, AgentRouting
from tests.conftest import World, inbound

PROBLEM = "application/problem+json"


def test_an_admin_sets_up_balanced_routing_for_a_team(client, world):
    admin = World.auth(world.admin_token)
    setting = {"team_id": world.team.id, "mode": "balanced", "spillover_seconds": 600, "sticky_days": 7}
    r = client.put("/api/v1/routing/settings", json=setting, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == "balanced" and r.json()["sticky_days"] == 7
    assert (
        client.post("/api/v1/routing/skills", json={"name": "de", "kind": "language"}, headers=admin).status_code == 201
    )
    body = {"capacity": 4, "channel_weights": {"chat": 2}, "channel_caps": {"phone": 1}, "skills": ["de"]}
    r = client.put(f"/api/v1/routing/agents/{world.agent.id}", json=body, headers=admin)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["capacity"], got["channel_weights"], got["skills"]) == (4, {"chat": 2.0}, ["de"])
    listed = client.get("/api/v1/routing/agents", headers=World.auth(world.agent_token)).json()
    assert {a["agent_id"]: a["capacity"] for a in listed}[world.agent.id] == 4
    assert [s["mode"] for s in client.get("/api/v1/routing/settings", headers=admin).json()] == ["balanced"]


def test_capacity_zero_is_a_problem_naming_the_field_and_changes_nothing(client, db, world):
    admin = World.auth(world.admin_token)
    client.post("/api/v1/routing/skills", json={"name": "de"}, headers=admin)
    r = client.put(f"/api/v1/routing/agents/{world.agent.id}", json={"capacity": 0, "skills": ["de"]}, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["field"] == "capacity"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AgentRouting)) == 0
        assert s.get(Agent, world.agent.id).skills == []


def test_unknown_skill_team_and_deactivated_agent_are_refused(client, db, world):
    admin = World.auth(world.admin_token)
    r = client.put(f"/api/v1/routing/agents/{world.agent.id}", json={"capacity": 3, "skills": ["nope"]}, headers=admin)
    assert r.status_code == 422 and "nope" in r.json()["detail"]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AgentRouting)) == 0  # the capacity was not written either
    r = client.put("/api/v1/routing/settings", json={"team_id": 999, "mode": "balanced"}, headers=admin)
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    with db.write() as s:
        s.get(Agent, world.agent2.id).active = False
    r = client.put(f"/api/v1/routing/agents/{world.agent2.id}", json={"capacity": 3}, headers=admin)
    assert r.status_code == 409 and "deactivated" in r.json()["detail"]
    r = client.put("/api/v1/routing/settings", json={"team_id": world.team.id, "mode": "fastest"}, headers=admin)
    assert r.status_code == 422


def test_next_best_through_the_api(client, world):
    agent = World.auth(world.agent_token)
    assert client.post("/api/v1/routing/next", headers=agent).json() == {"conversation_id": None}
    made = inbound(client, world.admin_token, world.email_inbox.id)
    r = client.post("/api/v1/routing/next", headers=agent)
    assert r.status_code == 200 and r.json()["conversation_id"] == made["conversation_id"]
    conv = client.get(f"/api/v1/conversations/{made['conversation_id']}", headers=agent).json()
    assert conv["assignee_id"] == world.agent.id


def test_a_conversations_skill_needs(client, world):
    admin = World.auth(world.admin_token)
    client.post("/api/v1/routing/skills", json={"name": "de"}, headers=admin)
    client.post("/api/v1/routing/skills", json={"name": "billing"}, headers=admin)
    made = inbound(client, world.admin_token, world.email_inbox.id)
    url = f"/api/v1/routing/conversations/{made['conversation_id']}/skills"
    r = client.put(
        url, json={"required": ["de"], "preferred": ["billing", "de"]}, headers=World.auth(world.agent_token)
    )
    assert r.status_code == 200, r.text
    assert (r.json()["required_skills"], r.json()["preferred_skills"]) == (["de"], ["billing"])
    assert client.put(url, json={"required": ["xx"]}, headers=admin).status_code == 422
    assert client.put("/api/v1/routing/conversations/999/skills", json={}, headers=admin).status_code == 404

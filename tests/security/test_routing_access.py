"""Routing's access checks: only admins configure routing; pulling work needs the write scope and an active agent;
routing never hands work to a deactivated agent."""

from __future__ import annotations

from rapport.models import Agent
from tests.conftest import World, inbound


def test_agents_and_supervisors_cannot_configure_routing(client, world):
    for token in (world.agent_token, world.sup_token):
        auth = World.auth(token)
        put = client.put("/api/v1/routing/settings", json={"team_id": world.team.id, "mode": "balanced"}, headers=auth)
        assert put.status_code == 403
        assert (
            client.put(f"/api/v1/routing/agents/{world.agent.id}", json={"capacity": 50}, headers=auth).status_code
            == 403
        )
        assert client.post("/api/v1/routing/skills", json={"name": "de"}, headers=auth).status_code == 403


def test_a_read_only_token_cannot_pull_work(client, world):
    inbound(client, world.admin_token, world.email_inbox.id)
    r = client.post("/api/v1/routing/next", headers=World.auth(world.readonly_token))
    assert r.status_code == 403


def test_a_deactivated_agents_token_cannot_pull_and_they_get_no_routed_work(client, db, world, frozen_clock):
    from rapport.events import consumers
    from rapport.worker.runner import load_handlers

    load_handlers()
    consumers.run_consumers(db)
    admin = World.auth(world.admin_token)
    client.put("/api/v1/routing/settings", json={"team_id": world.team.id, "mode": "balanced"}, headers=admin)
    with db.write() as s:
        agent = s.get(Agent, world.agent.id)
        agent.availability, agent.active = "online", False
    made = inbound(client, world.admin_token, world.email_inbox.id)
    consumers.run_consumers(db)
    conv = client.get(f"/api/v1/conversations/{made['conversation_id']}", headers=admin).json()
    assert conv["assignee_id"] is None
    assert client.post("/api/v1/routing/next", headers=World.auth(world.agent_token)).status_code in (401, 403)


def test_work_is_never_assigned_to_a_deactivated_or_missing_agent(client, db, world):
    made = inbound(client, world.admin_token, world.email_inbox.id)
    url = f"/api/v1/conversations/{made['conversation_id']}"
    sup = World.auth(world.sup_token)
    with db.write() as s:
        s.get(Agent, world.agent2.id).active = False
    for agent_id in (world.agent2.id, 99999):
        r = client.patch(url, json={"assignee_id": agent_id}, headers=sup)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get(url, headers=sup).json()["assignee_id"] is None

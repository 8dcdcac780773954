"""The playbooks API: templates (admins), runs and their steps (agents), overdue steps (supervisors); bad input is
a problem+json naming the field and writes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rapport.models import PlaybookTemplate
from rapport.playbooks import tasks  # noqa: F401  (registers the due-time job)
from rapport.worker.runner import run_due
from tests.conftest import World, inbound
from tests.playbooks.conftest import damaged_delivery


def test_templates_runs_and_steps_through_the_api(client, world, db, office, frozen_clock):
    admin, agent = World.auth(world.admin_token), World.auth(world.agent_token)
    body = damaged_delivery(world.team.id, office)
    assert client.post("/api/v1/playbooks", json=body, headers=agent).status_code == 403  # admins only
    made = client.post("/api/v1/playbooks", json=body, headers=admin)
    assert made.status_code == 201, made.text
    template = made.json()
    assert template["version"]["number"] == 1 and len(template["version"]["steps"]) == 3
    conv = inbound(client, world.agent_token, world.api_inbox.id, text="Broken vase")["conversation_id"]
    run = client.post(
        "/api/v1/playbooks/runs", json={"conversation_id": conv, "template_id": template["id"]}, headers=agent
    )
    assert run.status_code == 201, run.text
    run = run.json()
    assert [s["state"] for s in run["steps"]] == ["open", "open", "open"] and run["steps"][0]["due_at"]
    missing = client.post(f"/api/v1/playbooks/runs/{run['id']}/steps/0/complete", json={}, headers=agent)
    assert missing.status_code == 422 and missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["errors"][0]["field"] == "message_id"
    note = client.post(f"/api/v1/conversations/{conv}/notes", json={"text": "Asked for photos"}, headers=agent).json()
    done = client.post(
        f"/api/v1/playbooks/runs/{run['id']}/steps/0/complete", json={"message_id": note["id"]}, headers=agent
    )
    assert done.status_code == 200, done.text
    assert done.json()["steps"][0]["proof"] == {"kind": "note", "message_id": note["id"]}
    frozen_clock[0] += timedelta(hours=5)
    assert run_due(db) == 1  # the second step, due 4 business hours after the first was done
    overdue = client.get("/api/v1/playbooks/overdue", headers=World.auth(world.sup_token)).json()
    assert overdue["count"] == 1 and overdue["items"][0]["title"] == "Decide on a replacement"
    assert client.get("/api/v1/playbooks/overdue", headers=agent).status_code == 403
    listed = client.get(f"/api/v1/playbooks/runs?conversation_id={conv}", headers=agent).json()
    assert [r["id"] for r in listed] == [run["id"]]
    cancelled = client.post(f"/api/v1/playbooks/runs/{run['id']}/cancel", json={"reason": "Resolved by phone"},
                            headers=agent)  # fmt: skip
    assert cancelled.json()["state"] == "cancelled"


def test_a_negative_offset_is_a_problem_naming_the_field(client, world, db):
    body = damaged_delivery(world.team.id)
    body["steps"][1]["offset_seconds"] = -3600
    r = client.post("/api/v1/playbooks", json=body, headers=World.auth(world.admin_token))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "steps.1.offset_seconds" in [e["field"] for e in r.json()["errors"]]
    body["steps"][1].update(offset_seconds=60, owner="team", team_id=4242)
    r = client.post("/api/v1/playbooks", json=body, headers=World.auth(world.admin_token))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "steps.1.team_id"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PlaybookTemplate)) == 0


def test_a_new_version_through_the_api(client, world, db):
    admin = World.auth(world.admin_token)
    template = client.post("/api/v1/playbooks", json=damaged_delivery(world.team.id), headers=admin).json()
    body = damaged_delivery(world.team.id)
    del body["name"]
    body["steps"] = body["steps"][:2]
    r = client.post(f"/api/v1/playbooks/{template['id']}/versions", json=body, headers=admin)
    assert r.status_code == 201 and r.json()["number"] == 2
    detail = client.get(f"/api/v1/playbooks/{template['id']}", headers=World.auth(world.agent_token)).json()
    assert [v["number"] for v in detail["versions"]] == [2, 1]
    off = client.patch(f"/api/v1/playbooks/{template['id']}", json={"active": False}, headers=admin)
    assert off.json()["active"] is False

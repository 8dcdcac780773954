"""A playbook's solve guard is overridden only by a supervisor (or admin), with a reason: an agent's override, by
session or token, is refused and changes nothing, so the guard still holds."""

from __future__ import annotations

from sqlalchemy import select

from rapport.models import Conversation, PlaybookRun
from tests.conftest import World, inbound, sign_in_as
from tests.playbooks.conftest import damaged_delivery, make_template


def _running(client, world, db) -> tuple[int, int]:
    template_id = make_template(db, damaged_delivery(world.team.id))
    conv = inbound(client, world.agent_token, world.api_inbox.id, text="Crushed box")["conversation_id"]
    run = client.post("/api/v1/playbooks/runs", json={"conversation_id": conv, "template_id": template_id},
                      headers=World.auth(world.agent_token))  # fmt: skip
    assert run.status_code == 201, run.text
    return conv, run.json()["id"]


def test_an_agent_cannot_override_the_solve_guard(client, world, db):
    conv, run_id = _running(client, world, db)
    r = client.post(f"/api/v1/playbooks/runs/{run_id}/override", json={"reason": "I say so"},
                    headers=World.auth(world.agent_token))  # fmt: skip
    assert r.status_code == 403 and "playbooks.override" in r.json()["detail"]
    csrf = sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")
    page = client.post(f"/conversations/{conv}/playbooks/{run_id}/override", data={"csrf_token": csrf, "reason": "x"},
                       follow_redirects=False)  # fmt: skip
    assert page.status_code == 403
    with db.read() as s:
        assert s.scalar(select(PlaybookRun.override_at)) is None
    solve = client.patch(f"/api/v1/conversations/{conv}", json={"status": "solved"},
                         headers=World.auth(world.agent_token))  # fmt: skip
    assert solve.status_code == 409
    with db.read() as s:
        assert s.get(Conversation, conv).status != "solved"


def test_a_supervisor_override_needs_a_reason_and_then_solving_works(client, world, db):
    conv, run_id = _running(client, world, db)
    sup = World.auth(world.sup_token)
    assert client.post(f"/api/v1/playbooks/runs/{run_id}/override", json={"reason": ""}, headers=sup).status_code == 422
    r = client.post(f"/api/v1/playbooks/runs/{run_id}/override", json={"reason": "Refund already paid"}, headers=sup)
    assert r.status_code == 200 and r.json()["override_by_id"] == world.supervisor.id
    assert client.patch(f"/api/v1/conversations/{conv}", json={"status": "solved"}, headers=sup).status_code == 200

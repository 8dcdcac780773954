"""A playbook's solve guard is overridden only by a supervisor (or admin), with a reason: an agent's override, by
session or token, is refused and changes nothing, so the guard still holds."""

from __future__ import annotations

from sqlalchemy import select

from rapport.agents import service as agents
from rapport.conversations import service as conversations
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, PlaybookRun, PlaybookStep
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


def test_steps_belong_to_their_owner_and_writes_need_a_write_token_and_csrf(client, world, db):
    conv, run_id = _running(client, world, db)
    ro = client.post("/api/v1/playbooks/runs", json={"conversation_id": conv, "template_id": 1},
                     headers=World.auth(world.readonly_token))  # fmt: skip
    assert ro.status_code == 403
    with db.write() as s:
        note = conversations.add_note(s, SYSTEM, conv, text="Photos requested").id
    url = f"/api/v1/playbooks/runs/{run_id}/steps"
    done = client.post(f"{url}/0/complete", json={"message_id": note}, headers=World.auth(world.agent_token))
    assert done.status_code == 200
    with db.write() as s:  # Bo is in no team: the team's step is not his
        _, bo_token = agents.create_token(s, SYSTEM, name="bo", scopes=["read", "write"], agent_id=world.agent2.id)
    outsider = client.post(f"{url}/1/complete", json={}, headers=World.auth(bo_token))
    assert outsider.status_code == 403 and "its team" in outsider.json()["detail"]
    sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox/all")
    no_csrf = client.post(f"/conversations/{conv}/playbooks/{run_id}/steps/1", data={}, follow_redirects=False)
    assert no_csrf.status_code == 403
    with db.read() as s:
        assert s.scalar(select(PlaybookStep.state).where(PlaybookStep.position == 1)) == "open"

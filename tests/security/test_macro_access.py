"""Macros: another agent's personal macro is invisible and untouchable; team and shared ones need a supervisor."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.agents import service as agents
from rapport.kernel.permissions import SYSTEM
from rapport.models import Macro, MacroUsage
from tests.conftest import World
from tests.macros.helpers import BASE, conversation, make


def test_someone_elses_personal_macro_is_refused_everywhere(client, world, db):
    mine = make(client, world.agent_token, name="Alex's own", body="Hi {{ customer.name }}")
    cid = conversation(client, world)
    with db.write() as s:
        _, bo = agents.create_token(s, SYSTEM, name="bo", scopes=["read", "write"], agent_id=world.agent2.id)
    for token in (bo, world.sup_token, world.admin_token):  # not even a supervisor or admin sees it
        h = World.auth(token)
        assert all(m["id"] != mine["id"] for m in client.get(BASE, headers=h).json())
        assert client.get(f"{BASE}/{mine['id']}", headers=h).status_code == 404
        preview = client.get(f"{BASE}/{mine['id']}/preview", params={"conversation_id": cid}, headers=h)
        assert preview.status_code == 404
        applied = client.post(f"{BASE}/{mine['id']}/apply", json={"conversation_id": cid}, headers=h)
        assert applied.status_code == 404
        assert client.patch(f"{BASE}/{mine['id']}", json={"body": "mine now"}, headers=h).status_code == 404
        assert client.delete(f"{BASE}/{mine['id']}", headers=h).status_code == 404
    with db.read() as s:
        row = s.get(Macro, mine["id"])
        assert row.body == "Hi {{ customer.name }}"
        assert s.scalar(select(func.count()).select_from(MacroUsage)) == 0


def test_an_agent_cannot_make_or_change_team_or_shared_macros(client, world):
    h = World.auth(world.agent_token)
    for body in ({"visibility": "shared"}, {"visibility": "team", "team_id": world.team.id}):
        r = client.post(BASE, json={"name": "Everyone", "body": "x", **body}, headers=h)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    mine = make(client, world.agent_token, name="Mine")
    assert client.patch(f"{BASE}/{mine['id']}", json={"visibility": "shared"}, headers=h).status_code == 403
    team = make(client, world.sup_token, name="Team's", visibility="team", team_id=world.team.id)
    assert client.patch(f"{BASE}/{team['id']}", json={"body": "changed"}, headers=h).status_code == 403
    assert client.delete(f"{BASE}/{team['id']}", headers=h).status_code == 403


def test_a_macro_cannot_assign_others_for_an_agent_nor_be_used_with_a_read_token(client, world, db):
    cid = conversation(client, world)
    made = make(client, world.sup_token, name="To Bo", visibility="shared", changes={"assignee_id": world.agent2.id})
    r = client.post(f"{BASE}/{made['id']}/apply", json={"conversation_id": cid}, headers=World.auth(world.agent_token))
    assert r.status_code == 403  # assigning to someone else needs a supervisor, through a macro too
    r = client.post(
        f"{BASE}/{made['id']}/apply", json={"conversation_id": cid}, headers=World.auth(world.readonly_token)
    )
    assert r.status_code == 403
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(MacroUsage)) == 0

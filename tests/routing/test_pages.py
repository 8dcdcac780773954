"""Routing's pages: the admin page (queues, agents, skills), an agent's capacity form, and the Next best button."""

from __future__ import annotations

from sqlalchemy import select

from rapport.models import AgentRouting, Conversation, RoutingSetting, RoutingSkill
from tests.conftest import csrf_of, inbound, sign_in_as


def test_the_admin_routes_a_team_declares_a_skill_and_sets_an_agents_capacity(client, db, world, admin_csrf):
    page = client.get("/admin/routing")
    assert page.status_code == 200 and "Route a team or an inbox" in page.text
    setting = {"scope": f"team:{world.team.id}", "mode": "round_robin", "spillover_minutes": "10", "sticky_days": "7"}
    r = client.post("/admin/routing/settings", data={"csrf_token": admin_csrf, **setting}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/admin/routing/skills", data={"csrf_token": admin_csrf, "skill_name": "de", "kind": "language"})
    assert r.status_code == 200
    form = client.get(f"/admin/routing/agents/{world.agent.id}")
    assert form.status_code == 200 and "Shift hours" in form.text
    agent = {"capacity": "3", "weight_phone": "2.5", "cap_chat": "2", "calendar_id": "", "skills": ["de"]}
    r = client.post(f"/admin/routing/agents/{world.agent.id}", data={"csrf_token": admin_csrf, **agent},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    with db.read() as s:
        setting = s.scalar(select(RoutingSetting))
        assert (setting.mode, setting.spillover_seconds, setting.sticky_days) == ("round_robin", 600, 7)
        row = s.get(AgentRouting, world.agent.id)
        assert (row.capacity, row.channel_weights, row.channel_caps) == (3, {"phone": 2.5}, {"chat": 2})
        assert s.scalar(select(RoutingSkill.name)) == "de"
    page = client.get("/admin/routing").text
    assert "Round robin" in page and "10 min, then every agent" in page and "0 / 3" in page


def test_a_capacity_of_zero_is_shown_beside_its_field_and_nothing_is_saved(client, db, world, admin_csrf):
    r = client.post(f"/admin/routing/agents/{world.agent.id}", data={"csrf_token": admin_csrf, "capacity": "0"})
    assert r.status_code == 422
    assert 'id="agent-capacity-error"' in r.text and "Capacity must be a whole number from 1" in r.text
    r = client.post("/admin/routing/settings", data={"csrf_token": admin_csrf, "scope": "", "mode": "balanced"})
    assert r.status_code == 422 and 'id="routing-scope-error"' in r.text
    r = client.post("/admin/routing/skills", data={"csrf_token": admin_csrf, "skill_name": "no spaces"})
    assert r.status_code == 422 and 'id="skill-name-error"' in r.text
    with db.read() as s:
        assert s.scalar(select(AgentRouting)) is None and s.scalar(select(RoutingSetting)) is None


def test_routing_admin_pages_are_for_admins_and_forms_need_the_csrf_token(client, world, admin_csrf):
    r = client.post("/admin/routing/skills", data={"skill_name": "de"})
    assert r.status_code == 403
    client.post("/sign-out", data={"csrf_token": admin_csrf})
    sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox")
    assert client.get("/admin/routing").status_code == 403


def test_the_next_best_button_takes_the_head_of_the_queue_and_opens_it(client, db, world):
    made = inbound(client, world.admin_token, world.email_inbox.id)
    sign_in_as(client, "alex@example.com", "agent password 1", next="/inbox", page="/inbox")
    page = client.get("/inbox")
    assert 'action="/routing/next"' in page.text
    r = client.post("/routing/next", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/conversations/{made['conversation_id']}"
    with db.read() as s:
        assert s.get(Conversation, made["conversation_id"]).assignee_id == world.agent.id
    r = client.post("/routing/next", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.headers["location"] == "/inbox"
    assert client.post("/routing/next", data={}).status_code == 403  # no CSRF token

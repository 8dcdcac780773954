"""Admin pages for agents and teams: add (with a password or a sign-in link), change role, deactivate; teams."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from rapport.models import Agent, Event, Job, Team, agent_teams
from rapport.worker.runner import run_due
from tests.web.pages.conftest import sign_in_as


def _agent(db, email: str) -> Agent | None:
    with db.read() as s:
        return s.scalar(select(Agent).where(Agent.email == email))


def test_adding_an_agent_with_a_password(client, admin_csrf, db, world):
    form = {"csrf_token": admin_csrf, "name": "Cleo Care", "email": "Cleo@Example.com", "role": "supervisor",
            "team_ids": [str(world.team.id)], "sign_in": "password", "password": "cleo password 1"}  # fmt: skip
    r = client.post("/admin/agents", data=form)
    assert r.status_code == 303, r.text
    cleo = _agent(db, "cleo@example.com")
    assert cleo.role == "supervisor" and r.headers["location"] == f"/admin/agents/{cleo.id}"
    with db.read() as s:
        assert s.scalar(select(agent_teams.c.team_id).where(agent_teams.c.agent_id == cleo.id)) == world.team.id
    assert "they can sign in with the password" in client.get(r.headers["location"]).text
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in_as(other, "cleo@example.com", "cleo password 1")


def test_a_wrong_value_is_named_next_to_its_field_and_nothing_is_saved(client, admin_csrf, db, world):
    form = {"csrf_token": admin_csrf, "name": "", "email": "not-an-address", "role": "agent", "sign_in": "password",
            "password": "short"}  # fmt: skip
    r = client.post("/admin/agents", data=form)
    assert r.status_code == 422
    assert re.search(r'id="agent-name-error">This is required', r.text)
    assert re.search(r'id="agent-email-error">Enter an email address', r.text)
    assert re.search(r'id="agent-password-error">Use at least 10 characters', r.text)
    assert "short" not in re.findall(r'value="([^"]*)"', r.text)  # a typed password is never sent back
    r = client.post("/admin/agents", data={**form, "name": "Alex Again", "email": "alex@example.com",
                                           "password": "long enough 1"})  # fmt: skip
    assert r.status_code == 422 and re.search(r'id="agent-email-error">An agent with email', r.text)
    with db.read() as s:
        assert s.scalar(select(Agent.id).where(Agent.name.in_(["", "Alex Again"]))) is None


def test_a_sign_in_link_is_mailed_and_works_once(client, admin_csrf, db, world, smtp_server, settings):
    form = {"csrf_token": admin_csrf, "name": "Dee New", "email": "dee@example.com", "role": "agent", "sign_in": "link"}
    r = client.post("/admin/agents", data=form)
    assert r.status_code == 303, r.text
    assert "a sign-in link is on its way to dee@example.com" in client.get(r.headers["location"]).text
    run_due(db)
    (mail,) = smtp_server.messages
    assert mail["To"] == "dee@example.com"
    link = re.search(r"(/welcome/\S+)", mail.get_payload(decode=True).decode()).group(1)
    visitor = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    page = visitor.get(link)
    assert page.status_code == 200 and "Welcome, Dee New" in page.text
    assert visitor.post(link, data={"password": "short"}).status_code == 422
    r = visitor.post(link, data={"password": "dee's password 1"})
    assert r.status_code == 303 and "rapport_session=" in r.headers["set-cookie"]
    assert visitor.get("/inbox/all").status_code == 200
    again = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    assert again.get(link).status_code == 410  # the password changed: the link is spent
    assert again.post(link, data={"password": "another password 2"}).status_code == 410
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert again.get(tampered).status_code == 410


def test_an_expired_link_does_not_work(client, admin_csrf, db, world, frozen_clock, settings):
    from datetime import timedelta

    from rapport.agents.invite import make_link

    with db.read() as s:
        link = make_link(s.get(Agent, world.agent2.id)).removeprefix(settings.base_url.rstrip("/"))
    frozen_clock[0] += timedelta(hours=settings.agent_invite_hours, seconds=1)
    page = client.get(link)
    assert page.status_code == 410 and "expired (a link works for 72 hours, RAPPORT_AGENT_INVITE_HOURS)" in page.text


def test_changing_a_role_and_teams(client, admin_csrf, db, world):
    url = f"/admin/agents/{world.agent2.id}"
    assert 'value="agent" selected' in client.get(url).text
    r = client.post(url, data={"csrf_token": admin_csrf, "name": "Bo Agent", "role": "supervisor",
                               "team_ids": [str(world.team.id)]})  # fmt: skip
    assert r.status_code == 303
    bo = _agent(db, "bo@example.com")
    assert bo.role == "supervisor"
    with db.read() as s:
        names = [e.payload["fields"] for e in s.scalars(select(Event).where(Event.name == "agent.updated"))]
    assert {"role": "supervisor", "team_ids": [world.team.id]} in names


def test_an_admin_cannot_change_their_own_role_or_deactivate_themselves(client, admin_csrf, db, world):
    page = client.get(f"/admin/agents/{world.admin.id}").text
    assert re.search(r'<select id="agent-role" name="role" disabled', page)
    assert "You cannot deactivate yourself" in page
    r = client.post(
        f"/admin/agents/{world.admin.id}", data={"csrf_token": admin_csrf, "name": "Ada A", "role": "agent"}
    )
    assert r.status_code == 303 and _agent(db, "ada@example.com").role == "admin"  # the role is not taken from the form
    r = client.post(f"/admin/agents/{world.admin.id}/deactivate", data={"csrf_token": admin_csrf})
    assert r.status_code == 403 and _agent(db, "ada@example.com").active


def test_deactivating_asks_first_then_ends_their_sessions(client, admin_csrf, db, world, app):
    alex = TestClient(app, base_url="http://testserver", follow_redirects=False)
    sign_in_as(alex, "alex@example.com", "agent password 1")
    confirm = client.get(f"/admin/agents/{world.agent.id}/deactivate")
    assert confirm.status_code == 200 and "Deactivate Alex Agent?" in confirm.text
    assert _agent(db, "alex@example.com").active  # asking changed nothing
    r = client.post(f"/admin/agents/{world.agent.id}/deactivate", data={"csrf_token": admin_csrf})
    assert r.status_code == 303 and not _agent(db, "alex@example.com").active
    assert alex.get("/inbox/all").status_code == 303  # signed out
    assert "Deactivated" in client.get("/admin/agents").text
    r = client.post(f"/admin/agents/{world.agent.id}/activate", data={"csrf_token": admin_csrf})
    assert r.status_code == 303 and _agent(db, "alex@example.com").active


def test_setting_a_password(client, admin_csrf, db, world):
    url = f"/admin/agents/{world.agent2.id}/password"
    r = client.post(url, data={"csrf_token": admin_csrf, "password": "tiny"})
    assert r.status_code == 422 and re.search(r'id="agent-new-password-error">Use at least 10', r.text)
    assert client.post(url, data={"csrf_token": admin_csrf, "password": "bo's new password"}).status_code == 303
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in_as(other, "bo@example.com", "bo's new password")


def test_teams_create_rename_and_members(client, admin_csrf, db, world):
    r = client.post("/admin/teams", data={"csrf_token": admin_csrf, "name": "Support", "description": ""})
    assert r.status_code == 422 and re.search(r'id="team-name-error">A team named', r.text)
    r = client.post("/admin/teams", data={"csrf_token": admin_csrf, "name": "Billing", "description": "Invoices"})
    assert r.status_code == 303
    with db.read() as s:
        billing = s.scalar(select(Team).where(Team.name == "Billing"))
    r = client.post(f"/admin/teams/{billing.id}", data={"csrf_token": admin_csrf, "name": "Billing desk",
                    "description": "Invoices", "agent_ids": [str(world.agent.id), str(world.agent2.id)]})  # fmt: skip
    assert r.status_code == 303
    with db.read() as s:
        members = set(s.scalars(select(agent_teams.c.agent_id).where(agent_teams.c.team_id == billing.id)))
        assert s.get(Team, billing.id).name == "Billing desk"
    assert members == {world.agent.id, world.agent2.id}
    listed = client.get("/admin/teams").text
    assert "Billing desk" in listed and "Alex Agent, Bo Agent" in listed
    r = client.post(f"/admin/teams/{billing.id}", data={"csrf_token": admin_csrf, "name": "Billing desk",
                    "agent_ids": [str(world.agent2.id)]})  # fmt: skip
    with db.read() as s:
        assert list(s.scalars(select(agent_teams.c.agent_id).where(agent_teams.c.team_id == billing.id))) == [
            world.agent2.id
        ]


def test_agent_pages_refuse_non_admins(client, signed_in, db, world):
    form = {"csrf_token": signed_in, "name": "X", "email": "x@example.com", "role": "admin", "sign_in": "password",
            "password": "long enough 1"}  # fmt: skip
    r = client.post("/admin/agents", data=form)
    assert r.status_code == 403 and _agent(db, "x@example.com") is None
    r = client.post(f"/admin/agents/{world.agent.id}", data={"csrf_token": signed_in, "name": "A", "role": "admin"})
    assert r.status_code == 403 and _agent(db, "alex@example.com").role == "agent"
    r = client.post("/admin/teams", data={"csrf_token": signed_in, "name": "Mine"})
    assert r.status_code == 403
    with db.read() as s:
        assert s.scalar(select(Team.id).where(Team.name == "Mine")) is None
        assert s.scalar(select(Job.id)) is None

"""Item 4 (accounts): a token never changes a password; a password change needs a session and the current password,
ends every other session of the agent and leaves the tokens working but listed to the admin."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rapport.agents import invite
from rapport.models import Agent
from tests.conftest import World

AGENT = {"email": "alex@example.com", "password": "agent password 1"}


def _browser(client) -> TestClient:
    return TestClient(client.app, base_url="http://testserver", follow_redirects=False)


def _api_session(browser: TestClient, email: str, password: str) -> str:
    """Sign in through the API; the session's CSRF token."""
    r = browser.post("/api/v1/session", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def _page_csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


@pytest.mark.parametrize("token", ["readonly_token", "inbound_token", "agent_token", "admin_token"])
def test_no_token_changes_a_password(client, db, world, token):
    """Whatever its scopes, a token cannot set its own agent's password (nor an admin's token another's)."""
    if token == "inbound_token":
        from rapport.agents import service
        from rapport.kernel.permissions import SYSTEM

        with db.write() as s:
            _, plain = service.create_token(s, SYSTEM, name="feed", scopes=["inbound"], agent_id=world.agent.id)
    else:
        plain = getattr(world, token)
    target = world.agent2.id if token == "admin_token" else world.agent.id
    body = {"password": "attacker chose this"}
    r = client.patch(f"/api/v1/agents/{target}", json=body, headers=World.auth(plain))
    assert r.status_code == 403, r.text
    # a token without the write scope is refused by the route's declared scope, before the service's own rule
    assert "never with an API token" in r.json()["detail"] or r.json().get("scope") == "write", r.text
    email = "bo@example.com" if token == "admin_token" else "alex@example.com"
    assert client.post("/api/v1/session", json={"email": email, "password": "attacker chose this"}).status_code == 401


def test_renaming_oneself_with_a_token_needs_the_write_scope(client, db, world):
    from rapport.agents import service
    from rapport.kernel.permissions import SYSTEM

    with db.write() as s:
        _, inbound_only = service.create_token(s, SYSTEM, name="feed", scopes=["inbound"], agent_id=world.agent.id)
    url = f"/api/v1/agents/{world.agent.id}"
    for plain in (inbound_only, world.readonly_token):
        r = client.patch(url, json={"name": "Mallory"}, headers=World.auth(plain))
        # the route's declared scope refuses it (the service's profile.write rule stands behind it)
        assert r.status_code == 403 and r.json().get("scope") == "write", r.text
        r = client.patch(url, json={"availability": "online"}, headers=World.auth(plain))
        assert r.status_code == 403, r.text
    with db.read() as s:
        assert s.get(Agent, world.agent.id).name == "Alex Agent"
    r = client.patch(url, json={"name": "Alex A."}, headers=World.auth(world.agent_token))  # read, write, inbound
    assert r.status_code == 200 and r.json()["name"] == "Alex A."


def test_own_password_change_needs_the_current_password_and_ends_other_sessions(client, db, world):
    elsewhere = _browser(client)
    _api_session(elsewhere, **AGENT)
    here = _browser(client)
    csrf = _api_session(here, **AGENT)
    url, headers = f"/api/v1/agents/{world.agent.id}", {"X-CSRF-Token": csrf}
    r = here.patch(url, json={"password": "a new password 2"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "current_password"
    r = here.patch(url, json={"password": "a new password 2", "current_password": "wrong one"}, headers=headers)
    assert r.status_code == 422
    assert elsewhere.get("/api/v1/agents/me").status_code == 200  # nothing changed yet
    r = here.patch(url, json={"password": "a new password 2", "current_password": "agent password 1"}, headers=headers)
    assert r.status_code == 200, r.text
    assert here.get("/api/v1/agents/me").status_code == 200  # this session goes on
    assert elsewhere.get("/api/v1/agents/me").status_code == 401  # every other one ended
    # Tokens are not silently revoked: they keep working (and the admin sees them, below).
    assert client.get("/api/v1/agents/me", headers=World.auth(world.agent_token)).status_code == 200
    fresh = _browser(client)
    assert fresh.post("/api/v1/session", json={**AGENT, "password": "a new password 2"}).status_code == 200


def test_profile_page_changes_the_password_with_the_current_one(client, db, world):
    elsewhere = _browser(client)
    _api_session(elsewhere, **AGENT)
    here = _browser(client)
    assert here.post("/sign-in", data=AGENT).status_code == 303
    csrf = _page_csrf(here.get("/profile").text)
    r = here.post(
        "/profile/password", data={"csrf_token": csrf, "current_password": "nope", "password": "new pw 12345"}
    )
    assert r.status_code == 422 and "not your current password" in r.text
    r = here.post(
        "/profile/password",
        data={"csrf_token": csrf, "current_password": "agent password 1", "password": "new pw 12345"},
    )
    assert r.status_code == 303, r.text
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/api/v1/agents/me").status_code == 401


def test_an_admin_reset_ends_every_session_of_the_agent_and_lists_their_tokens(client, db, world):
    agent = _browser(client)
    _api_session(agent, **AGENT)
    admin = _browser(client)
    assert admin.post("/sign-in", data={"email": "ada@example.com", "password": "correct horse battery"}).status_code
    csrf = _page_csrf(admin.get("/profile").text)
    r = admin.post(f"/admin/agents/{world.agent.id}/password", data={"csrf_token": csrf, "password": "reset by ada 1"})
    assert r.status_code == 303, r.text
    assert agent.get("/api/v1/agents/me").status_code == 401
    page = admin.get(f"/admin/agents/{world.agent.id}").text
    assert "still work" in page and 'id="agent-tokens"' in page
    assert re.search(r"<li>agent \(<code>rpt_", page) and re.search(r"<li>ro \(<code>rpt_", page)
    assert client.get("/api/v1/agents/me", headers=World.auth(world.agent_token)).status_code == 200
    tokens = admin.get("/admin/tokens").text  # and the token page points out both of Alex's tokens, not Ada's
    assert tokens.count("data-before-password-change") == 2 and "Made before Alex Agent's password change" in tokens
    # An admin changing their own password on that form needs their current one too.
    r = admin.post(f"/admin/agents/{world.admin.id}/password", data={"csrf_token": csrf, "password": "ada's new one"})
    assert r.status_code == 422 and "not your current password" in r.text


def test_a_sign_in_link_ends_the_agents_other_sessions(client, db, world):
    agent = _browser(client)
    _api_session(agent, **AGENT)
    with db.read() as s:
        link = invite.make_link(s.scalar(select(Agent).where(Agent.id == world.agent.id)))
    visitor = _browser(client)
    path = "/welcome/" + link.rsplit("/welcome/", 1)[1]
    r = visitor.post(path, data={"password": "chosen by link 1"})
    assert r.status_code == 303, r.text
    assert agent.get("/api/v1/agents/me").status_code == 401
    assert visitor.get("/api/v1/agents/me").status_code == 200


def test_wrong_current_passwords_count_as_failed_sign_ins(client, db, world, settings):
    """A borrowed session cannot try current passwords without end: each wrong one is a failed sign-in."""
    settings.login_max_attempts = 2
    here = _browser(client)
    csrf = _api_session(here, **AGENT)
    url, headers = f"/api/v1/agents/{world.agent.id}", {"X-CSRF-Token": csrf}
    for guess in ("guess one", "guess two"):
        r = here.patch(url, json={"password": "a new password 2", "current_password": guess}, headers=headers)
        assert r.status_code == 422, r.text
    r = here.patch(url, json={"password": "a new password 2", "current_password": "agent password 1"}, headers=headers)
    assert r.status_code == 429 and r.json()["setting"] == "RAPPORT_LOGIN_MAX_ATTEMPTS" and r.headers["retry-after"]
    assert _browser(client).post("/api/v1/session", json=AGENT).status_code == 429

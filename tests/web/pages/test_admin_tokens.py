"""Admin pages for API tokens: list, create (the secret shown once), revoke after a confirmation."""

from __future__ import annotations

import re

from sqlalchemy import select

from rapport.models import ApiToken
from tests.conftest import World


def test_the_list_shows_each_token_with_its_agent_scopes_and_use(client, admin_csrf, world):
    page = client.get("/admin/tokens").text
    assert "admin" in page and "Ada Admin" in page and "Alex Agent" in page
    assert "inbound, read, write" in page and "Never" in page
    assert world.agent_token not in page


def test_a_new_token_is_shown_once_and_works(client, admin_csrf, db, world):
    form = {"csrf_token": admin_csrf, "name": "Shop", "agent_id": str(world.agent.id), "scopes": ["read"]}
    r = client.post("/admin/tokens", data=form)
    assert r.status_code == 200, r.text
    plain = re.search(r'id="new-token"[^>]*value="([^"]+)"', r.text).group(1)
    assert 'hx-history="false"' in r.text  # htmx keeps no copy of this page in the browser's history cache
    assert r.headers["cache-control"] == "no-store"
    api = client.get("/api/v1/conversations", headers=World.auth(plain))
    assert api.status_code == 200
    assert plain not in client.get("/admin/tokens").text
    with db.read() as s:
        token = s.scalar(select(ApiToken).where(ApiToken.name == "Shop"))
    assert token.agent_id == world.agent.id and token.scopes == ["read"] and token.token_hash != plain


def test_a_token_needs_a_name_and_a_scope(client, admin_csrf, db, world):
    r = client.post("/admin/tokens", data={"csrf_token": admin_csrf, "name": "", "agent_id": str(world.agent.id)})
    assert r.status_code == 422 and re.search(r'id="token-name-error">This is required', r.text)
    r = client.post("/admin/tokens", data={"csrf_token": admin_csrf, "name": "X", "agent_id": str(world.agent.id)})
    assert r.status_code == 422 and re.search(r'id="token-scopes-error">Unknown or missing scopes', r.text)
    with db.read() as s:
        assert s.scalar(select(ApiToken.id).where(ApiToken.name.in_(["", "X"]))) is None


def test_revoking_asks_first_and_the_token_stops_working(client, admin_csrf, db, world):
    with db.read() as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "agent"))
    confirm = client.get(f"/admin/tokens/{token_id}/revoke")
    assert confirm.status_code == 200 and "Revoke the token &#39;agent&#39;?" in confirm.text
    assert client.get("/api/v1/conversations", headers=World.auth(world.agent_token)).status_code == 200
    r = client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": admin_csrf})
    assert r.status_code == 303 and r.headers["location"] == "/admin/tokens"
    assert client.get("/api/v1/conversations", headers=World.auth(world.agent_token)).status_code == 401
    page = client.get("/admin/tokens").text
    assert "Revoked the token" in page and "Revoked <time" in page
    assert client.post(f"/admin/tokens/{token_id}/revoke", data={}).status_code == 403  # no CSRF token


def test_agents_cannot_create_or_revoke_here_even_their_own(client, signed_in, db, world):
    r = client.post("/admin/tokens", data={"csrf_token": signed_in, "name": "Mine", "scopes": ["read"]})
    assert r.status_code == 403
    with db.read() as s:
        own = s.scalar(select(ApiToken.id).where(ApiToken.name == "agent"))
        assert s.scalar(select(ApiToken.id).where(ApiToken.name == "Mine")) is None
    assert client.post(f"/admin/tokens/{own}/revoke", data={"csrf_token": signed_in}).status_code == 403
    with db.read() as s:
        assert s.get(ApiToken, own).revoked_at is None

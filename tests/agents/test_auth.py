"""Sign-in, sessions with CSRF, sign-out everywhere, tokens and admin management."""

from tests.conftest import World


def test_session_cookie_requires_csrf_on_writes(client, world):
    r = client.post("/api/v1/session", json={"email": "ALEX@example.com", "password": "agent password 1"})
    assert r.status_code == 200
    csrf = r.json()["csrf_token"]
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/v1/agents/me").json()["email"] == "alex@example.com"
    r = client.patch(f"/api/v1/agents/{world.agent.id}", json={"availability": "online"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = client.patch(
        f"/api/v1/agents/{world.agent.id}", json={"availability": "online"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 200 and r.json()["availability"] == "online"
    # An agent cannot promote themself.
    r = client.patch(f"/api/v1/agents/{world.agent.id}", json={"role": "admin"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403


def test_wrong_password_and_sign_out_everywhere(client, world):
    assert client.post("/api/v1/session", json={"email": "alex@example.com", "password": "nope"}).status_code == 401
    first = client.post("/api/v1/session", json={"email": "alex@example.com", "password": "agent password 1"})
    first_cookie = client.cookies.get("rapport_session")
    second = client.post("/api/v1/session", json={"email": "alex@example.com", "password": "agent password 1"})
    csrf = second.json()["csrf_token"]
    assert client.delete("/api/v1/session?everywhere=true", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.set("rapport_session", first_cookie)
    assert first.status_code == 200 and client.get("/api/v1/agents/me").status_code == 401


def test_admin_manages_agents_teams_inboxes(client, world):
    h = World.auth(world.admin_token)
    team = client.post("/api/v1/teams", json={"name": "Billing"}, headers=h).json()
    r = client.post(
        "/api/v1/agents",
        headers=h,
        json={
            "name": "Cy",
            "email": "cy@example.com",
            "role": "supervisor",
            "team_ids": [team["id"]],
            "password": "long enough pw",
        },
    )
    assert r.status_code == 201 and r.json()["team_ids"] == [team["id"]]
    assert client.post("/api/v1/agents", headers=h, json={"name": "Cy", "email": "CY@example.com"}).status_code == 409
    assert client.post("/api/v1/teams", json={"name": "Billing"}, headers=h).status_code == 409
    inbox = client.post(
        "/api/v1/inboxes", headers=h, json={"name": "WhatsApp", "channel": "whatsapp", "team_id": team["id"]}
    )
    assert inbox.status_code == 201
    assert (
        client.patch(f"/api/v1/inboxes/{inbox.json()['id']}", json={"active": False}, headers=h).json()["active"]
        is False
    )
    assert {t["name"] for t in client.get("/api/v1/teams", headers=h).json()} == {"Support", "Billing"}
    tokens = client.get("/api/v1/tokens", headers=World.auth(world.agent_token)).json()
    assert {t["agent_id"] for t in tokens} == {world.agent.id} and all("token" not in t for t in tokens)


def test_openapi_is_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and "/api/v1/messages/inbound" in r.json()["paths"]

"""The webhooks API (admin scope): endpoints, secrets, the SSRF guard on save, the log, redeliver."""

from __future__ import annotations

import pytest

from rapport.agents import service as agents
from rapport.kernel.permissions import SYSTEM
from tests.conftest import World
from tests.webhooks.conftest import work

API = "/api/v1/webhooks"


def _body(url: str, **extra) -> dict:
    return {"url": url, "event_types": ["message.received"], **extra}


def test_admin_creates_lists_changes_and_deletes(client, world):
    h = World.auth(world.admin_token)
    r = client.post(API, json=_body("https://93.184.215.14/rapport", description="CRM"), headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["active"] and not created["allow_private"] and created["created_by"] == world.admin.id
    listed = client.get(API, headers=h).json()
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(f"{API}/{created['id']}", headers=h).json()
    r = client.patch(f"{API}/{created['id']}", json={"event_types": ["*"], "active": False}, headers=h)
    assert r.status_code == 200 and r.json()["event_types"] == ["*"] and not r.json()["active"]
    rotated = client.post(f"{API}/{created['id']}/rotate-secret", headers=h).json()
    assert rotated["secret"] != created["secret"]
    assert client.delete(f"{API}/{created['id']}", headers=h).status_code == 204
    assert client.get(f"{API}/{created['id']}", headers=h).status_code == 404
    audit = client.get("/api/v1/webhooks/event-types", headers=h).json()
    assert "conversation.status_changed" in audit and "webhook.created" in audit


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://10.20.30.40/hook", "private"),
        ("http://192.168.1.5/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:8080/", "loopback"),
        ("http://[fd00::5]/", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://localhost:8000/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
    ],
)
def test_private_targets_are_refused_unless_allowed(client, world, url, reason):
    h = World.auth(world.admin_token)
    r = client.post(API, json=_body(url), headers=h)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"] == [{"field": "url", "reason": reason}]
    assert "unless an admin allows private networks" in problem["detail"]
    assert client.post(API, json=_body(url, allow_private=True), headers=h).status_code == 201


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://files.example.com/", "https:// or http://"),
        ("http://user:pw@93.184.215.14/", "user name or password"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.251/", "multicast"),
        ("not a url", "https:// or http://"),
    ],
)
def test_urls_never_accepted(client, world, url, words):
    r = client.post(API, json=_body(url, allow_private=True), headers=World.auth(world.admin_token))
    assert r.status_code == 422 and words in r.json()["detail"]


def test_event_types_must_exist(client, world):
    h = World.auth(world.admin_token)
    r = client.post(API, json={"url": "https://93.184.215.14/", "event_types": ["message.exploded"]}, headers=h)
    assert r.status_code == 422 and "message.exploded" in r.json()["detail"]
    r = client.post(API, json={"url": "https://93.184.215.14/", "event_types": ["*", "message.sent"]}, headers=h)
    assert r.status_code == 201 and r.json()["event_types"] == ["*"]


def test_non_admins_are_refused(client, world, db):
    with db.write() as s:
        _, no_scope = agents.create_token(s, SYSTEM, name="ro", scopes=["read", "write"], agent_id=world.admin.id)
    for token in (world.agent_token, world.sup_token, no_scope):
        h = World.auth(token)
        assert client.get(API, headers=h).status_code == 403
        assert client.post(API, json=_body("https://93.184.215.14/"), headers=h).status_code == 403
        assert client.get(f"{API}/event-types", headers=h).status_code == 403
    assert client.get(API).status_code == 401


def test_test_event_log_and_redeliver(client, world, db, started, receiver):
    h = World.auth(world.admin_token)
    created = client.post(API, json=_body(receiver.url, allow_private=True), headers=h).json()
    receiver.statuses = [500]
    queued = client.post(f"{API}/{created['id']}/test", headers=h)
    assert queued.status_code == 202 and queued.json()["state"] == "pending"
    work(db)
    log = client.get(f"{API}/{created['id']}/deliveries", headers=h).json()
    [dead] = log["items"]
    assert (dead["state"], dead["status_code"], dead["attempts"]) == ("dead", 500, 1) and log["next_cursor"] is None
    assert client.get(f"{API}/{created['id']}/deliveries?state=delivered", headers=h).json()["items"] == []
    r = client.post(f"{API}/{created['id']}/deliveries/{dead['id']}/redeliver", headers=h)
    assert r.status_code == 202 and r.json()["state"] == "pending"
    work(db)
    [delivered] = client.get(f"{API}/{created['id']}/deliveries?state=delivered", headers=h).json()["items"]
    assert delivered["id"] == dead["id"] and delivered["attempts"] == 2
    assert client.get(f"{API}/{created['id']}/deliveries/0", headers=h).status_code in (404, 405)
    assert client.post(f"{API}/{created['id']}/deliveries/999/redeliver", headers=h).status_code == 404


def test_the_log_pages_by_cursor(client, world, db, started, receiver):
    h = World.auth(world.admin_token)
    created = client.post(API, json=_body(receiver.url, allow_private=True), headers=h).json()
    for _ in range(3):
        client.post(f"{API}/{created['id']}/test", headers=h)
    first = client.get(f"{API}/{created['id']}/deliveries?limit=2", headers=h).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(f"{API}/{created['id']}/deliveries?limit=2&cursor={first['next_cursor']}", headers=h).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = [d["id"] for d in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
    r = client.get(f"{API}/{created['id']}/deliveries?limit=100000", headers=h)
    assert r.status_code == 422 and "RAPPORT_MAX_PAGE_SIZE" in r.json()["detail"]

"""Bad input: each gets a clear problem+json and leaves nothing half-written."""

import base64

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rapport.app import create_app
from rapport.config import use_settings
from rapport.models import Attachment, Conversation, Customer, Message
from tests.conftest import World, inbound

PROBLEM = "application/problem+json"


def _counts(db) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m)) for m in (Customer, Conversation, Message, Attachment)
        )


def _msg(world, **extra) -> dict:
    return {
        "inbox_id": world.email_inbox.id,
        "sender": {"kind": "email", "address": "jo@customer.test"},
        "text": "Hello",
        **extra,
    }


def _post(client, world, body, token=None, **kw):
    return client.post(
        "/api/v1/messages/inbound",
        headers=World.auth(token or world.agent_token),
        **kw,
        **({"json": body} if body is not None else {}),
    )


def test_malformed_json(client, world, db):
    r = client.post(
        "/api/v1/messages/inbound",
        content=b'{"inbox_id": 1, "sender": ',
        headers=World.auth(world.agent_token) | {"content-type": "application/json"},
    )
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM
    assert "not valid JSON" in r.json()["detail"]
    assert _counts(db) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "patch,field",
    [
        ({"surprise": 1}, "surprise"),  # unknown field
        ({"inbox_id": "one"}, "inbox_id"),  # wrong type
        ({"sender": {"kind": "pigeon", "address": "x"}}, "sender.kind"),  # invalid enum
        ({"channel": "fax"}, "channel"),
    ],
)
def test_invalid_fields_name_the_field(client, world, db, patch, field):
    r = _post(client, world, _msg(world, **patch))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert any(e["field"] == field for e in body["errors"]), body
    assert field in body["detail"]
    assert _counts(db) == (0, 0, 0, 0)


def test_invalid_address_and_empty_message(client, world, db):
    r = _post(client, world, _msg(world, sender={"kind": "email", "address": "not-an-address"}))
    assert r.status_code == 422 and "not an email address" in r.json()["detail"]
    r = _post(client, world, _msg(world, text=None))
    assert r.status_code == 422 and "needs text" in r.json()["detail"]
    assert _counts(db) == (0, 0, 0, 0)


def test_illegal_status_transition(client, world, db):
    out = inbound(client, world.agent_token, world.email_inbox.id)
    h = World.auth(world.agent_token)
    url = f"/api/v1/conversations/{out['conversation_id']}"
    assert client.patch(url, json={"status": "solved"}, headers=h).status_code == 200
    assert client.patch(url, json={"status": "closed"}, headers=h).status_code == 200
    r = client.patch(url, json={"status": "open", "priority": "urgent"}, headers=h)
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert "cannot go from 'closed' to 'open'" in r.json()["detail"]
    assert client.get(url, headers=h).json()["priority"] == "normal"  # nothing half-applied
    out2 = inbound(client, world.agent_token, world.api_inbox.id, address="x@customer.test")
    r = client.patch(f"/api/v1/conversations/{out2['conversation_id']}", json={"status": "closed"}, headers=h)
    assert r.status_code == 409 and "Allowed from 'new'" in r.json()["detail"]


def test_oversized_body_is_413_naming_the_limit(client, world, db, settings):
    settings.max_body_bytes = 2048
    use_settings(settings)
    # The limit is read when the app is built, so build one with the small limit.
    small = create_app(settings, db=client.app.state.db, run_worker=False)
    with TestClient(small) as c:
        r = _post(c, world, _msg(world, text="x" * 5000))
        assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
        assert "RAPPORT_MAX_BODY_BYTES" in r.json()["detail"] and r.json()["limit"] == 2048

        # Chunked (no Content-Length) is counted while streaming.
        def chunks():
            yield b'{"inbox_id": 1, "text": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}'

        r = c.post(
            "/api/v1/messages/inbound",
            content=chunks(),
            headers=World.auth(world.agent_token) | {"content-type": "application/json"},
        )
        assert r.status_code == 413
    assert _counts(db) == (0, 0, 0, 0)


def test_oversized_attachment_is_413_naming_the_limit(client, world, db, settings):
    settings.max_attachment_bytes = 1000
    data = base64.b64encode(b"z" * 1001).decode()
    r = _post(client, world, _msg(world, attachments=[{"filename": "big.bin", "data": data}]))
    assert r.status_code == 413 and "RAPPORT_MAX_ATTACHMENT_BYTES" in r.json()["detail"]
    assert _counts(db) == (0, 0, 0, 0)
    settings.max_attachments_per_message = 1
    ok = base64.b64encode(b"z").decode()
    r = _post(client, world, _msg(world, attachments=[{"filename": "a", "data": ok}, {"filename": "b", "data": ok}]))
    assert r.status_code == 422 and "RAPPORT_MAX_ATTACHMENTS_PER_MESSAGE" in r.json()["detail"]
    r = _post(client, world, _msg(world, attachments=[{"filename": "a", "data": "***not base64***"}]))
    assert r.status_code == 422
    assert _counts(db) == (0, 0, 0, 0)


def test_unknown_ids_are_404(client, world):
    h = World.auth(world.admin_token)
    for url in (
        "/api/v1/conversations/999999",
        "/api/v1/customers/999999",
        "/api/v1/agents/999999",
        "/api/v1/inboxes/999999",
        "/api/v1/conversations/999999/timeline",
        "/api/v1/nowhere",
    ):
        r = client.get(url, headers=h)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM, url
    r = _post(client, world, _msg(world, inbox_id=424242))
    assert r.status_code == 404 and "no inbox 424242" in r.json()["detail"]
    r = client.patch("/api/v1/conversations/1", json={"assignee_id": 999}, headers=h)
    assert r.status_code == 404


def test_another_roles_action_is_403(client, world, db):
    h = World.auth(world.agent_token)
    r = client.post("/api/v1/agents", json={"name": "X", "email": "x@example.com"}, headers=h)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM and "admin" in r.json()["detail"]
    a = inbound(client, world.agent_token, world.email_inbox.id, address="a@customer.test")
    b = inbound(client, world.agent_token, world.email_inbox.id, address="b@customer.test")
    r = client.post(f"/api/v1/customers/{a['customer_id']}/merge", json={"into_id": b["customer_id"]}, headers=h)
    assert r.status_code == 403
    # An agent may take a conversation but not hand it to someone else.
    url = f"/api/v1/conversations/{a['conversation_id']}"
    assert client.patch(url, json={"assignee_id": world.agent.id}, headers=h).status_code == 200
    assert client.patch(url, json={"assignee_id": world.agent2.id}, headers=h).status_code == 403
    # A read-only token cannot write even though its agent could.
    r = client.patch(url, json={"priority": "high"}, headers=World.auth(world.readonly_token))
    assert r.status_code == 403 and "scope" in r.json()["detail"]


def test_revoked_token_is_401(client, world):
    h = World.auth(world.admin_token)
    created = client.post("/api/v1/tokens", json={"name": "ci", "scopes": ["read"]}, headers=h).json()
    assert client.get("/api/v1/conversations", headers=World.auth(created["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=h).status_code == 200
    r = client.get("/api/v1/conversations", headers=World.auth(created["token"]))
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM and "revoked" in r.json()["detail"]
    assert client.get("/api/v1/conversations", headers=World.auth("rpt_nonsense")).status_code == 401
    assert client.get("/api/v1/conversations").status_code == 401

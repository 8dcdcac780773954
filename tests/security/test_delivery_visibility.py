"""Delivery retries are visible: attempts, the last error and the next try (API and page), a Retry for a failed
reply (a CSRF-checked POST, authorised in the service), and no stale error on a message that went out.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Job, Message
from rapport.worker.runner import load_handlers, run_due
from tests.conftest import World, free_port, inbound
from tests.web.pages.conftest import csrf_of


def _smtp(db, world, port: int | None) -> None:
    settings = {"smtp": {"host": "127.0.0.1", "port": port, "security": "plain", "allow_private": True}} if port else {}
    with db.write() as s:
        inboxes.update(s, SYSTEM, world.email_inbox.id, settings=settings)


def _reply(client, world) -> tuple[int, int]:
    conv_id = inbound(client, world.agent_token, world.email_inbox.id, address="jo@customer.test")["conversation_id"]
    r = client.post(
        f"/api/v1/conversations/{conv_id}/replies", json={"text": "It ships."}, headers=World.auth(world.agent_token)
    )
    assert r.status_code == 201, r.text
    return conv_id, r.json()["id"]


def _api_message(client, world, conv_id: int, message_id: int) -> dict:
    r = client.get(f"/api/v1/conversations/{conv_id}/messages", headers=World.auth(world.agent_token))
    return next(m for m in r.json()["items"] if m["id"] == message_id)


def test_a_failing_delivery_shows_attempts_reason_and_next_try_then_clears_on_success(
    client, db, world, frozen_clock, smtp_server
):
    load_handlers()
    _smtp(db, world, free_port())  # nothing listens there: every attempt fails and is retried
    conv_id, message_id = _reply(client, world)
    run_due(db)
    shown = _api_message(client, world, conv_id, message_id)
    with db.read() as s:
        due = s.scalar(select(Job.due_at).where(Job.dedupe_key == f"deliver:{message_id}"))
    assert shown["delivery_status"] == "queued" and shown["delivery_attempts"] == 1
    assert "refused" in shown["delivery_error"].lower() or "connect" in shown["delivery_error"].lower()
    assert shown["delivery_next_at"] is not None and shown["delivery_next_at"].startswith(due.isoformat()[:19])
    # The mail server comes back; the next try goes out and the old reason goes away.
    _smtp(db, world, smtp_server.port)
    frozen_clock[0] = due + timedelta(seconds=1)
    assert run_due(db) == 1
    shown = _api_message(client, world, conv_id, message_id)
    assert shown["delivery_status"] == "sent" and shown["delivery_error"] is None
    assert shown["delivery_attempts"] == 2 and shown["delivery_next_at"] is None


def test_a_stale_error_does_not_stay_on_a_message_that_was_sent(db, client, world):
    _, message_id = _reply(client, world)
    from rapport.conversations import delivery

    with db.write() as s:
        message = s.get(Message, message_id)
        message.delivery_error = "451 try again later"
        delivery.set_status(s, message, "sent")
    with db.read() as s:
        assert s.get(Message, message_id).delivery_error is None


def _sign_in(client) -> str:
    r = client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1", "next": "/inbox"})
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/profile").text)


def test_a_failed_reply_shows_its_reason_and_a_retry_on_the_page(client, db, world, smtp_server):
    load_handlers()
    _smtp(db, world, None)  # no SMTP settings: refused for good, the message is failed
    conv_id, message_id = _reply(client, world)
    run_due(db)
    with db.read() as s:
        assert s.get(Message, message_id).delivery_status == "failed"
    client.follow_redirects = False
    csrf = _sign_in(client)
    page = client.get(f"/conversations/{conv_id}").text
    assert "has no SMTP settings" in page
    action = f"/conversations/{conv_id}/messages/{message_id}/retry"
    assert f'action="{action}"' in page and ">Retry</button>" in page
    assert client.post(action, data={}).status_code == 403  # no CSRF token: refused, nothing changes
    with db.read() as s:
        assert s.get(Message, message_id).delivery_status == "failed"
    _smtp(db, world, smtp_server.port)
    r = client.post(action, data={"csrf_token": csrf})
    assert r.status_code == 303
    with db.read() as s:
        assert s.get(Message, message_id).delivery_status == "queued"
    assert run_due(db) == 1
    assert len(smtp_server.messages) == 1
    with db.read() as s:
        message = s.get(Message, message_id)
        assert message.delivery_status == "sent" and message.delivery_error is None


def test_retry_over_the_api_is_authorised_and_only_for_failures(client, db, world, smtp_server):
    load_handlers()
    _smtp(db, world, None)
    conv_id, message_id = _reply(client, world)
    run_due(db)
    url = f"/api/v1/conversations/{conv_id}/messages/{message_id}/retry"
    assert client.post(url, headers=World.auth(world.readonly_token)).status_code == 403
    _smtp(db, world, smtp_server.port)
    r = client.post(url, headers=World.auth(world.agent_token))
    assert r.status_code == 202 and r.json()["delivery_status"] == "queued"
    run_due(db)
    r = client.post(url, headers=World.auth(world.agent_token))
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    other = f"/api/v1/conversations/{conv_id + 999}/messages/{message_id}/retry"
    assert client.post(other, headers=World.auth(world.agent_token)).status_code == 404

"""Sending on WhatsApp through the Graph API, delivery statuses, and the 24-hour window."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import func, select

from rapport.conversations.tasks import deliver
from rapport.models import Event, Job, Message
from rapport.worker.runner import run_due
from tests.channels.whatsapp.conftest import CUSTOMER, post_signed, status_update, text_message
from tests.conftest import World


def _conversation(client) -> int:
    r = post_signed(client, text_message("wamid.IN1", "Where is my parcel?"))
    assert r.status_code == 200, r.text
    return client.app.state.db and _conv_id(client)


def _conv_id(client) -> int:
    with client.app.state.db.read() as s:
        return s.scalar(select(Message.conversation_id).limit(1))


def _reply(client, world, conv_id: int, **body):
    return client.post(f"/api/v1/conversations/{conv_id}/replies", json=body, headers=World.auth(world.agent_token))


def _message(db, message_id: int) -> Message:
    with db.read() as s:
        return s.get(Message, message_id)


def _delivery_events(db, message_id: int) -> list[tuple]:
    with db.read() as s:
        rows = s.scalars(
            select(Event)
            .where(Event.name == "message.delivery_changed", Event.message_id == message_id)
            .order_by(Event.id)
        )
        return [(e.payload["from"], e.payload["to"]) for e in rows]


def test_a_text_reply_is_sent_once_in_meta_format(client, db, world, wa_inbox, graph):
    conv_id = _conversation(client)
    r = _reply(client, world, conv_id, text="It left our warehouse today.")
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "whatsapp"
    assert graph.sent == []  # nothing leaves inside the request's transaction
    run_due(db)
    assert graph.sent == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": CUSTOMER,
            "type": "text",
            "text": {"body": "It left our warehouse today.", "preview_url": False},
        }
    ]
    msg = _message(db, r.json()["id"])
    assert (msg.external_id, msg.delivery_status, msg.inbox_id) == ("wamid.TEST1", "sent", wa_inbox.id)
    assert _delivery_events(db, msg.id) == [("queued", "sent")]
    # A repeated job (at-least-once delivery) must not send again.
    with db.write() as s:
        s.get(Message, msg.id).delivery_status = "queued"
    deliver(db, {"message_id": msg.id})
    assert len(graph.sent) == 1


def test_statuses_move_the_message_forward_and_replays_are_ignored(client, db, world, wa_inbox, graph):
    conv_id = _conversation(client)
    message_id = _reply(client, world, conv_id, text="On its way").json()["id"]
    run_due(db)
    for status in ("delivered", "read", "delivered", "read"):  # out of order and replayed
        assert post_signed(client, status_update("wamid.TEST1", status)).status_code == 200
    assert _message(db, message_id).delivery_status == "read"
    assert _delivery_events(db, message_id) == [("queued", "sent"), ("sent", "delivered"), ("delivered", "read")]


def test_a_failed_status_records_the_error(client, db, world, wa_inbox, graph):
    conv_id = _conversation(client)
    message_id = _reply(client, world, conv_id, text="Hello").json()["id"]
    run_due(db)
    errors = [{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "more than 24 hours"}}]
    assert post_signed(client, status_update("wamid.TEST1", "failed", errors=errors)).status_code == 200
    msg = _message(db, message_id)
    assert msg.delivery_status == "failed"
    assert "131047" in msg.delivery_error and "24 hours" in msg.delivery_error
    with db.read() as s:
        event = s.scalars(
            select(Event).where(Event.name == "message.delivery_changed").order_by(Event.id.desc())
        ).first()
    assert event.payload["to"] == "failed" and "131047" in event.payload["error"]


def test_a_status_that_arrives_before_the_wamid_is_stored_is_applied_on_send(client, db, world, wa_inbox, graph):
    conv_id = _conversation(client)
    message_id = _reply(client, world, conv_id, text="Quick!").json()["id"]
    assert post_signed(client, status_update("wamid.TEST1", "delivered")).status_code == 200
    assert _message(db, message_id).delivery_status == "queued"
    run_due(db)
    assert _message(db, message_id).delivery_status == "delivered"
    assert _delivery_events(db, message_id) == [("queued", "sent"), ("sent", "delivered")]


def test_a_customer_reply_quoting_our_message_threads_to_its_conversation(client, db, world, wa_inbox, graph):
    conv_id = _conversation(client)
    _reply(client, world, conv_id, text="Which order number?", status="solved")
    run_due(db)
    # The conversation is solved, so without the quote the customer's next message would open a new one.
    context = {"context": {"from": "15550001111", "id": "wamid.TEST1"}}
    r = post_signed(client, text_message("wamid.IN2", "Order 1234", **context))
    assert r.status_code == 200
    with db.read() as s:
        msg = s.scalars(select(Message).where(Message.external_id == "wamid.IN2")).one()
    assert msg.conversation_id == conv_id


def test_an_image_reply_is_uploaded_then_sent_with_its_caption(client, db, world, wa_inbox, graph):
    conv_id = _conversation(client)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    att = {"filename": "label.png", "content_type": "image/png", "data": base64.b64encode(png).decode()}
    r = _reply(client, world, conv_id, text="Here is your label", attachments=[att])
    assert r.status_code == 201, r.text
    run_due(db)
    assert len(graph.uploads) == 1
    media_id, (data, filename, ctype) = next(iter(graph.uploads.items()))
    assert (data, filename, ctype) == (png, "label.png", "image/png")
    assert graph.sent[0]["type"] == "image"
    assert graph.sent[0]["image"] == {"id": media_id, "caption": "Here is your label"}
    assert _message(db, r.json()["id"]).delivery_status == "sent"


def test_a_permanent_refusal_marks_the_message_failed(client, db, world, wa_inbox, graph):
    conv_id = _conversation(client)
    graph.fail_next.append((400, {"message": "Recipient phone number not in allowed list", "code": 131030}))
    message_id = _reply(client, world, conv_id, text="Hi").json()["id"]
    run_due(db)
    msg = _message(db, message_id)
    assert msg.delivery_status == "failed" and "131030" in msg.delivery_error
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == "messages.deliver")) == 0


def test_a_transient_failure_is_retried_and_then_sent_once(client, db, world, wa_inbox, graph, frozen_clock):
    conv_id = _conversation(client)
    graph.fail_next.append((500, {"message": "Service temporarily unavailable", "code": 2}))
    message_id = _reply(client, world, conv_id, text="Hi again").json()["id"]
    run_due(db)
    assert _message(db, message_id).delivery_status == "queued"
    assert graph.sent == []
    frozen_clock[0] += timedelta(hours=1)  # past the job's backoff
    run_due(db)
    assert _message(db, message_id).delivery_status == "sent"
    assert len(graph.sent) == 1


def test_reply_options_show_the_open_window(client, db, world, wa_inbox, frozen_clock):
    conv_id = _conversation(client)
    r = client.get(f"/api/v1/conversations/{conv_id}/reply-options", headers=World.auth(world.agent_token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["default"] == "whatsapp"
    wa = next(c for c in body["channels"] if c["channel"] == "whatsapp")
    assert wa["open"] is True
    assert wa["addresses"] == ["+" + CUSTOMER]
    assert wa["window_closes_at"].startswith("2026-11-03T09:00:00")


def test_outside_the_window_a_whatsapp_reply_is_refused_before_anything_is_written(
    client, db, world, wa_inbox, graph, frozen_clock
):
    conv_id = _conversation(client)
    frozen_clock[0] += timedelta(hours=24, minutes=1)
    r = client.get(f"/api/v1/conversations/{conv_id}/reply-options", headers=World.auth(world.agent_token))
    wa = next(c for c in r.json()["channels"] if c["channel"] == "whatsapp")
    assert wa["open"] is False
    r = _reply(client, world, conv_id, text="Sorry for the wait")
    assert r.status_code == 409
    assert "24-hour" in r.json()["detail"] and r.json()["window_closes_at"].startswith("2026-11-03T09:00:00")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 1
        assert s.scalar(select(func.count()).select_from(Job)) == 0
    # Another channel is still allowed: an email reply goes through.
    with db.write() as s:
        from rapport.customers import service as customers
        from rapport.kernel.permissions import SYSTEM

        customer_id = s.scalar(select(Message.customer_id).limit(1))
        customers.add_identity(s, SYSTEM, customer_id, "email", "jo@example.net")
    assert _reply(client, world, conv_id, text="By email then", channel="email").status_code == 201
    # The customer writes again: the window reopens.
    post_signed(client, text_message("wamid.IN3", "Still waiting"))
    assert _reply(client, world, conv_id, text="Here now").status_code == 201

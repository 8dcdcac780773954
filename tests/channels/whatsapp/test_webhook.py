"""Receiving WhatsApp webhooks: handshake, signatures, messages, media, replays, unknown numbers."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.models import Attachment, Conversation, Customer, Identity, Message
from tests.channels.whatsapp.conftest import (
    APP_SECRET,
    CUSTOMER,
    VERIFY_TOKEN,
    envelope,
    media_message,
    post_signed,
    text_message,
)


def _count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_verification_handshake_echoes_the_challenge(client, wa_inbox):
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    r = client.get("/channels/whatsapp/webhook", params=params)
    assert r.status_code == 200
    assert r.text == "1158201444"
    assert r.headers["content-type"].startswith("text/plain")


def test_verification_with_a_wrong_token_or_mode_is_403(client, wa_inbox):
    bad_token = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    bad_mode = {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
    assert client.get("/channels/whatsapp/webhook", params=bad_token).status_code == 403
    assert client.get("/channels/whatsapp/webhook", params=bad_mode).status_code == 403


def test_a_signed_text_message_becomes_a_conversation(client, db, wa_inbox):
    r = post_signed(client, text_message("wamid.IN1", "My order has not arrived"))
    assert r.status_code == 200, r.text
    with db.read() as s:
        msg = s.scalars(select(Message)).one()
        conv = s.get(Conversation, msg.conversation_id)
        ident = s.scalars(select(Identity)).one()
        customer = s.get(Customer, ident.customer_id)
    assert (msg.body_text, msg.channel, msg.external_id, msg.direction) == (
        "My order has not arrived",
        "whatsapp",
        "wamid.IN1",
        "inbound",
    )
    assert (conv.inbox_id, conv.channel, conv.customer_id) == (wa_inbox.id, "whatsapp", customer.id)
    assert (ident.kind, ident.address, customer.name) == ("whatsapp", "+" + CUSTOMER, "Jo Bloggs")


def test_forged_or_missing_signature_is_403_and_nothing_is_stored(client, db, wa_inbox):
    payload = text_message("wamid.FORGED", "let me in")
    assert post_signed(client, payload, secret="not-the-app-secret").status_code == 403
    assert post_signed(client, payload, signature="sha256=" + "0" * 64).status_code == 403
    r = client.post("/channels/whatsapp/webhook", json=payload)
    assert r.status_code == 403
    assert "X-Hub-Signature-256" in r.json()["detail"]
    assert _count(db, Message) == 0 and _count(db, Customer) == 0


def test_a_body_changed_after_signing_is_refused(client, db, wa_inbox):
    import hashlib
    import hmac
    import json

    body = json.dumps(text_message("wamid.T1", "pay 10")).encode()
    sig = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    tampered = body.replace(b"pay 10", b"pay 99")
    r = client.post("/channels/whatsapp/webhook", content=tampered, headers={"X-Hub-Signature-256": sig})
    assert r.status_code == 403
    assert _count(db, Message) == 0


def test_a_replayed_webhook_is_stored_once(client, db, wa_inbox):
    payload = text_message("wamid.REPLAY", "Hello?")
    assert post_signed(client, payload).status_code == 200
    assert post_signed(client, payload).status_code == 200
    assert _count(db, Message) == 1
    assert _count(db, Conversation) == 1


def test_a_second_message_joins_the_open_conversation(client, db, wa_inbox):
    post_signed(client, text_message("wamid.A", "first"))
    post_signed(client, text_message("wamid.B", "second"))
    with db.read() as s:
        convs = set(s.scalars(select(Message.conversation_id)))
    assert len(convs) == 1


def test_inbound_image_is_fetched_with_the_token_and_stored(client, db, wa_inbox, graph, settings):
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"x" * 500
    graph.add_media("1234567890", jpeg, "image/jpeg")
    media = {"id": "1234567890", "mime_type": "image/jpeg", "sha256": "abc", "caption": "the broken box"}
    r = post_signed(client, media_message("wamid.IMG", "image", media))
    assert r.status_code == 200, r.text
    with db.read() as s:
        msg = s.scalars(select(Message)).one()
        att = s.scalars(select(Attachment)).one()
    assert msg.body_text == "the broken box"
    assert (att.message_id, att.size, att.content_type) == (msg.id, len(jpeg), "image/jpeg")
    from rapport.kit.blobs import blob_path

    assert blob_path(settings.attachments_dir, att.sha256).read_bytes() == jpeg
    assert ("GET", "/v21.0/1234567890") in graph.requests
    assert ("GET", "/media-file/1234567890") in graph.requests


def test_a_document_keeps_its_filename(client, db, wa_inbox, graph):
    graph.add_media("555", b"%PDF-1.4 invoice", "application/pdf")
    media = {"id": "555", "mime_type": "application/pdf", "filename": "invoice-42.pdf"}
    assert post_signed(client, media_message("wamid.DOC", "document", media)).status_code == 200
    with db.read() as s:
        att = s.scalars(select(Attachment)).one()
    assert att.filename == "invoice-42.pdf"


def test_oversized_media_is_refused_naming_the_limit_and_nothing_is_stored(client, db, wa_inbox, graph, settings):
    settings.max_attachment_bytes = 1000
    graph.add_media("777", b"\x00" * 5000, "video/mp4")
    r = post_signed(client, media_message("wamid.BIG", "video", {"id": "777", "mime_type": "video/mp4"}))
    assert r.status_code == 413
    assert "RAPPORT_MAX_ATTACHMENT_BYTES" in r.json()["detail"]
    assert "1000" in r.json()["detail"]
    assert _count(db, Message) == 0 and _count(db, Attachment) == 0 and _count(db, Customer) == 0


def test_oversized_media_is_caught_while_streaming_when_the_size_is_understated(client, db, wa_inbox, graph, settings):
    settings.max_attachment_bytes = 1000
    graph.lie_about_size = True
    graph.add_media("778", b"\x00" * 5000, "video/mp4")
    r = post_signed(client, media_message("wamid.BIG2", "video", {"id": "778", "mime_type": "video/mp4"}))
    assert r.status_code == 413
    assert "RAPPORT_MAX_ATTACHMENT_BYTES" in r.json()["detail"]
    assert _count(db, Message) == 0 and _count(db, Attachment) == 0


def test_a_webhook_for_an_unknown_number_is_not_stored(client, db, wa_inbox):
    payload = text_message("wamid.OTHER", "hi")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert post_signed(client, payload).status_code == 200
    assert _count(db, Message) == 0


def test_a_payload_that_is_not_whatsapp_is_a_bad_request(client, wa_inbox):
    payload = envelope({})
    payload["object"] = "page"
    assert post_signed(client, payload).status_code == 400


def test_the_inbox_api_never_shows_the_credentials_and_a_masked_patch_keeps_them(client, db, world, wa_inbox):
    from tests.conftest import World

    r = client.get(f"/api/v1/inboxes/{wa_inbox.id}", headers=World.auth(world.admin_token))
    settings = r.json()["settings"]
    assert settings["access_token"] == settings["app_secret"] == settings["verify_token"] == "********"
    assert settings["phone_number_id"] and settings["graph_version"] == "v21.0"
    patch = {"settings": {**settings, "graph_version": "v22.0"}}
    r = client.patch(f"/api/v1/inboxes/{wa_inbox.id}", json=patch, headers=World.auth(world.admin_token))
    assert r.status_code == 200, r.text
    assert post_signed(client, text_message("wamid.AFTER", "still signed")).status_code == 200
    assert APP_SECRET not in r.text


def test_a_forged_webhook_for_an_unknown_number_is_still_403(client, db, wa_inbox):
    payload = text_message("wamid.X", "hi")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert post_signed(client, payload, secret="guess").status_code == 403


def test_a_reaction_is_kept_as_readable_text(client, db, wa_inbox):
    payload = text_message("wamid.R", "unused")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message |= {"type": "reaction", "reaction": {"message_id": "wamid.TEST1", "emoji": "👍"}}
    assert post_signed(client, payload).status_code == 200
    with db.read() as s:
        assert s.scalars(select(Message.body_text)).one() == "Reacted 👍 to a message"

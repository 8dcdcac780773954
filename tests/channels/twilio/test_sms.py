"""SMS in (signed webhooks, MMS media, replays) and out (Twilio's Messages API, status callbacks)."""

from __future__ import annotations

from sqlalchemy import func, select

from rapport.conversations import service as conversations
from rapport.kernel.permissions import SYSTEM
from rapport.models import Attachment, Customer, Event, Identity, Job, Message
from rapport.worker.runner import load_handlers, run_due
from tests.channels.twilio.conftest import ACCOUNT, CALLER, PUBLIC, SMS_NUMBER, TOKEN, post, sign

SID = "SM" + "0f" * 16


def sms(inbox_id: int, **extra) -> dict:
    """An incoming-SMS webhook's parameters, as Twilio sends them."""
    return {
        "MessageSid": SID,
        "SmsSid": SID,
        "AccountSid": ACCOUNT,
        "From": CALLER,
        "To": SMS_NUMBER,
        "Body": "Where is my order?",
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_signed_sms_is_stored_once_even_when_replayed(client, db, sms_inbox):
    path = f"/channels/twilio/sms/{sms_inbox.id}/inbound"
    r = post(client, path, sms(sms_inbox.id))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml") and "<Response" in r.text
    # Twilio retries webhooks: the same MessageSid is the same message.
    assert post(client, path, sms(sms_inbox.id)).status_code == 200
    with db.read() as s:
        messages = list(s.scalars(select(Message)))
        assert len(messages) == 1
        m = messages[0]
        assert (m.channel, m.direction, m.external_id, m.body_text) == ("sms", "inbound", SID, "Where is my order?")
        assert m.meta["from"] == CALLER and m.meta["to"] == SMS_NUMBER
        identity = s.scalar(select(Identity).where(Identity.kind == "phone"))
        assert identity.address == CALLER and identity.customer_id == m.customer_id
        assert s.scalar(select(func.count()).select_from(Event).where(Event.name == "message.received")) == 1


def test_forged_missing_or_altered_signature_is_refused_and_nothing_stored(client, db, sms_inbox):
    path = f"/channels/twilio/sms/{sms_inbox.id}/inbound"
    params = sms(sms_inbox.id)
    good = sign(PUBLIC + path, params)
    cases = [
        post(client, path, params, signature=None),  # missing
        post(client, path, params, signature="c2lnbmF0dXJl"),  # forged
        post(client, path, {**params, "Body": "changed"}, signature=good),  # a changed parameter
        post(client, path, params, signature=sign(PUBLIC + path, params, token="another-token-123")),
        # Signed for the URL the app sees rather than the public one Twilio calls.
        post(client, path, params, url="http://testserver" + path),
        post(client, path, params, url=PUBLIC + f"/channels/twilio/sms/{sms_inbox.id + 1}/inbound"),
    ]
    for r in cases:
        assert r.status_code == 403, r.text
        assert r.headers["content-type"] == "application/problem+json"
    assert "X-Twilio-Signature" in cases[0].json()["detail"]
    assert count(db, Message) == 0 and count(db, Customer) == 0
    # The exact request Twilio's own validator signed is accepted.
    assert post(client, path, params, signature=good).status_code == 200
    assert count(db, Message) == 1


def test_mms_media_is_fetched_and_stored_as_attachments(client, db, sms_inbox, fake_twilio):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    url = fake_twilio.add_media(ACCOUNT, png, "image/png")
    params = sms(sms_inbox.id, Body="", NumMedia="1", MediaUrl0=url, MediaContentType0="image/png")
    r = post(client, f"/channels/twilio/sms/{sms_inbox.id}/inbound", params)
    assert r.status_code == 200, r.text
    with db.read() as s:
        att = s.scalar(select(Attachment))
        assert att.size == len(png) and att.content_type == "image/png" and att.filename == "mms-0.png"
        assert s.get(Message, att.message_id).external_id == SID
    assert fake_twilio.media_gets == 1


def test_oversized_mms_media_is_refused_with_the_limit_named(client, db, settings, sms_inbox, fake_twilio):
    settings.max_attachment_bytes = 100
    small = fake_twilio.add_media(ACCOUNT, b"GIF89a" + b"\0" * 10, "image/gif")
    big = fake_twilio.add_media(ACCOUNT, b"\xff\xd8\xff" + b"\0" * 500, "image/jpeg")
    params = sms(
        sms_inbox.id,
        NumMedia="2",
        MediaUrl0=small,
        MediaContentType0="image/gif",
        MediaUrl1=big,
        MediaContentType1="image/jpeg",
    )
    r = post(client, f"/channels/twilio/sms/{sms_inbox.id}/inbound", params)
    assert r.status_code == 413, r.text
    body = r.json()
    assert "RAPPORT_MAX_ATTACHMENT_BYTES" in body["detail"] and "MediaUrl1" in body["detail"]
    assert body["limit"] == 100
    # Nothing half-stored: no message, no attachment row, no customer.
    assert count(db, Message) == 0 and count(db, Attachment) == 0 and count(db, Customer) == 0


def _reply(client, db, world, sms_inbox, text="Your order ships today.") -> int:
    r = post(client, f"/channels/twilio/sms/{sms_inbox.id}/inbound", sms(sms_inbox.id))
    assert r.status_code == 200
    with db.read() as s:
        conv_id = s.scalar(select(Message.conversation_id))
    with db.write() as s:
        agent = world.agent
        actor = type(SYSTEM)(kind="agent", id=agent.id, role=agent.role, name=agent.name)
        return conversations.reply(s, actor, conv_id, text=text).id


def test_reply_goes_out_through_twilio_once_with_a_status_callback(client, db, world, sms_inbox, fake_twilio):
    load_handlers()
    message_id = _reply(client, db, world, sms_inbox)
    assert run_due(db) == 1
    assert fake_twilio.faults == []
    assert len(fake_twilio.messages) == 1
    form = fake_twilio.messages[0]["form"]
    assert form["To"] == [CALLER] and form["From"] == [SMS_NUMBER] and form["Body"] == ["Your order ships today."]
    assert form["StatusCallback"] == [f"{PUBLIC}/channels/twilio/sms/{sms_inbox.id}/status?m={message_id}"]
    with db.read() as s:
        m = s.get(Message, message_id)
        assert m.delivery_status == "sent" and m.external_id.startswith("SM") and m.delivery_error is None
    # A repeated delivery (the job claimed again) never sends twice: the message already has Twilio's sid.
    with db.write() as s:
        s.get(Message, message_id).delivery_status = "queued"
    from rapport.conversations.tasks import deliver

    deliver(db, {"message_id": message_id})
    assert len(fake_twilio.messages) == 1


def test_messaging_service_is_used_instead_of_from_when_set(client, db, world, sms_inbox, fake_twilio):
    load_handlers()
    service_sid = "MG" + "ab" * 16
    with db.write() as s:
        from rapport.models import Inbox

        inbox = s.get(Inbox, sms_inbox.id)
        inbox.settings = {**inbox.settings, "messaging_service_sid": service_sid}
    _reply(client, db, world, sms_inbox)
    run_due(db)
    assert fake_twilio.faults == []
    form = fake_twilio.messages[0]["form"]
    assert form["MessagingServiceSid"] == [service_sid] and "From" not in form


def test_a_refused_send_records_the_error_and_retries_with_backoff(
    client, db, world, sms_inbox, fake_twilio, frozen_clock
):
    load_handlers()
    message_id = _reply(client, db, world, sms_inbox)
    fake_twilio.fail_next.append((400, 21610, "Attempt to send to unsubscribed recipient"))
    run_due(db)
    with db.read() as s:
        m = s.get(Message, message_id)
        assert m.delivery_status == "queued" and m.external_id is None
        assert "21610" in m.delivery_error and "unsubscribed" in m.delivery_error
        job = s.scalar(select(Job).where(Job.kind == "messages.deliver"))
        assert job.state == "queued" and job.attempts == 1 and job.due_at > frozen_clock[0]
    assert run_due(db) == 0  # not before its backoff
    from datetime import timedelta

    frozen_clock[0] += timedelta(minutes=5)
    assert run_due(db) == 1
    with db.read() as s:
        m = s.get(Message, message_id)
        assert m.delivery_status == "sent" and m.external_id.startswith("SM") and m.delivery_error is None
    assert len(fake_twilio.messages) == 2 and fake_twilio.faults == []


def test_status_callbacks_move_delivery_forward_once(client, db, world, sms_inbox, fake_twilio):
    load_handlers()
    message_id = _reply(client, db, world, sms_inbox)
    run_due(db)
    with db.read() as s:
        sid = s.get(Message, message_id).external_id
    path = f"/channels/twilio/sms/{sms_inbox.id}/status"
    query = f"?m={message_id}"

    def status(value: str, **extra):
        params = {"MessageSid": sid, "AccountSid": ACCOUNT, "MessageStatus": value, "To": CALLER, **extra}
        return post(client, path + query, params)

    def changes():
        with db.read() as s:
            rows = s.scalars(
                select(Event.payload)
                .where(Event.name == "message.delivery_changed", Event.message_id == message_id)
                .order_by(Event.id)
            )
            return [(p["from"], p["to"]) for p in rows]

    assert status("delivered").status_code == 200
    assert status("delivered").status_code == 200  # replayed
    assert status("sent").status_code == 200  # late, out of order
    assert changes() == [("queued", "sent"), ("sent", "delivered")]
    # Forged callbacks change nothing.
    r = post(client, path + query, {"MessageSid": sid, "MessageStatus": "failed"}, signature="Zm9yZ2Vk")
    assert r.status_code == 403
    assert status("undelivered", ErrorCode="30003").status_code == 200
    with db.read() as s:
        m = s.get(Message, message_id)
        assert m.delivery_status == "failed" and "undelivered" in m.delivery_error and "30003" in m.delivery_error
    # A callback for another message's id is refused.
    assert post(client, path + f"?m={message_id + 99}", {"MessageSid": sid, "MessageStatus": "read"}).status_code == 404


def test_wrong_channel_or_unknown_inbox_is_not_found(client, world, sms_inbox):
    params = sms(sms_inbox.id)
    assert post(client, f"/channels/twilio/sms/{world.email_inbox.id}/inbound", params).status_code == 404
    assert post(client, "/channels/twilio/sms/999999/inbound", params).status_code == 404
    assert TOKEN  # the fixture's token signs every accepted request above


def test_reply_attachments_go_as_signed_expiring_media_links(client, db, world, sms_inbox, fake_twilio, frozen_clock):
    from datetime import timedelta

    from rapport.conversations.attachments import IncomingFile

    load_handlers()
    post(client, f"/channels/twilio/sms/{sms_inbox.id}/inbound", sms(sms_inbox.id))
    png = b"\x89PNG\r\n\x1a\n" + b"\1" * 32
    with db.read() as s:
        conv_id = s.scalar(select(Message.conversation_id))
    with db.write() as s:
        actor = type(SYSTEM)(kind="agent", id=world.agent.id, role=world.agent.role)
        conversations.reply(s, actor, conv_id, text="The label", files=[IncomingFile("label.png", png, "image/png")])
    run_due(db)
    assert fake_twilio.faults == []
    (url,) = fake_twilio.messages[0]["form"]["MediaUrl"]
    assert url.startswith(f"{PUBLIC}/channels/twilio/sms/media/")
    path = url.removeprefix(PUBLIC)
    got = client.get(path)
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-disposition"].startswith("attachment")
    assert client.get(path.replace("sig=", "sig=x")).status_code == 403
    frozen_clock[0] += timedelta(hours=25)
    assert client.get(path).status_code == 403


def test_a_send_refused_on_every_attempt_ends_failed(client, db, world, sms_inbox, fake_twilio, frozen_clock):
    from datetime import timedelta

    load_handlers()
    message_id = _reply(client, db, world, sms_inbox)
    attempts = 0
    while True:
        fake_twilio.fail_next.append((400, 21211, "The 'To' number is not a valid phone number."))
        assert run_due(db) == 1
        attempts += 1
        with db.read() as s:
            if s.get(Message, message_id).delivery_status != "queued":
                break
        frozen_clock[0] += timedelta(hours=2)
    with db.read() as s:
        m = s.get(Message, message_id)
        assert m.delivery_status == "failed" and "21211" in m.delivery_error
        job = s.scalar(select(Job).where(Job.kind == "messages.deliver"))
        assert job.state == "dead" and attempts == job.max_attempts
        change = s.scalar(select(Event.payload).where(Event.name == "message.delivery_changed"))
        assert (change["from"], change["to"]) == ("queued", "failed") and "21211" in change["error"]

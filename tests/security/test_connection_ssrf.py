"""Admin-set connection targets (Twilio's and Meta's API bases, IMAP and SMTP servers) pass the SSRF guard that
webhooks pass: on save (what needs no lookup) and right before each connection, to the address that was checked.

DNS is the edge faked here: a resolver that maps made-up names, as an attacker's DNS would answer them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rapport.channels.email.imap import ImapClient, ImapError
from rapport.channels.email.settings import ImapSettings, SmtpSettings
from rapport.conversations import service as conversations
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models import Message
from rapport.worker.runner import load_handlers, run_due
from tests.channels.twilio.conftest import ACCOUNT, TOKEN
from tests.channels.twilio.fake_twilio import FakeTwilio
from tests.conftest import World, inbound

IMAP = {"host": "imap.example.com", "port": 993, "username": "help", "password": "s3cret"}
TWILIO = {"account_sid": ACCOUNT, "auth_token": TOKEN, "phone_number": "+14155550100"}
WHATSAPP = {"phone_number_id": "123456", "access_token": "EAAx", "app_secret": "s", "verify_token": "v"}


@pytest.mark.parametrize(
    ("channel", "connection", "field"),
    [
        ("email", {"imap": {**IMAP, "host": "169.254.169.254"}}, "settings.imap.host"),
        ("email", {"smtp": {"host": "10.0.0.5", "port": 587}}, "settings.smtp.host"),
        ("email", {"smtp": {"host": "localhost", "port": 25, "security": "plain"}}, "settings.smtp.host"),
        ("sms", {**TWILIO, "api_base": "http://127.0.0.1:8080"}, "settings.api_base"),
        ("phone", {**TWILIO, "api_base": "http://[::ffff:169.254.169.254]"}, "settings.api_base"),
        ("whatsapp", {**WHATSAPP, "api_base": "http://192.168.1.1"}, "settings.api_base"),
    ],
)
def test_a_private_target_is_refused_on_save_unless_allowed(client, world, channel, connection, field):
    admin = World.auth(world.admin_token)
    body = {"name": f"Inbox {channel} {field}", "channel": channel, "settings": connection}
    r = client.post("/api/v1/inboxes", json=body, headers=admin)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["field"] == field and "allows private networks" in problem["detail"]
    # The explicit allowance, on that one connection.
    if channel == "email":
        allowed = {key: {**value, "allow_private": True} for key, value in connection.items()}
    else:
        allowed = {**connection, "allow_private": True}
    r = client.post("/api/v1/inboxes", json=body | {"settings": allowed}, headers=admin)
    assert r.status_code == 201, r.text


def test_never_multicast_even_when_allowed(client, world):
    admin = World.auth(world.admin_token)
    smtp = {"host": "224.0.0.1", "port": 25, "allow_private": True}
    r = client.post(
        "/api/v1/inboxes", json={"name": "M", "channel": "email", "settings": {"smtp": smtp}}, headers=admin
    )
    assert r.status_code == 422 and "nothing can be sent there" in r.json()["detail"]


def test_an_smtp_host_resolving_to_loopback_is_not_connected_to(db, world, client, dns, listener):
    port, accepted = listener
    dns["smtp.rebind.test"] = ["127.0.0.1"]
    smtp = {"host": "smtp.rebind.test", "port": port, "username": "help", "password": "s3cret", "timeout": 5}
    with db.write() as s:  # a name: nothing to check without a lookup on save
        inboxes.update(s, SYSTEM, world.email_inbox.id, settings={"smtp": smtp})
    conv = inbound(client, world.agent_token, world.email_inbox.id, address="jo@customer.test")["conversation_id"]
    actor = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)
    with db.write() as s:
        reply_id = conversations.reply(s, actor, conv, text="Hello").id
    load_handlers()
    run_due(db)
    assert accepted == []  # the password never went there
    with db.read() as s:
        message = s.get(Message, reply_id)
    assert message.delivery_status == "failed"
    assert "resolves to 127.0.0.1" in message.delivery_error and "loopback" in message.delivery_error


def test_an_imap_host_resolving_to_loopback_is_not_connected_to(dns, listener):
    port, accepted = listener
    dns["imap.rebind.test"] = ["127.0.0.1"]
    cfg = ImapSettings(host="imap.rebind.test", port=port, username="u", password="p", timeout=5)
    with pytest.raises(ImapError, match="resolves to 127.0.0.1, a loopback address"):
        ImapClient(cfg).connect()
    assert accepted == []


@pytest.mark.parametrize("protocol", ["imap", "smtp"])
def test_the_connection_goes_to_the_address_that_was_checked(dns, listener, protocol):
    """DNS rebinding: the name's next answer changes, but the socket goes to the address the guard checked."""
    from rapport.channels.email import connect  # (new with the guard)

    port, accepted = listener
    dns["mail.rebind.test"] = ["127.0.0.1", "127.0.0.2"]  # checked (loopback, allowed here), then another answer
    common = {"host": "mail.rebind.test", "port": port, "timeout": 5, "allow_private": True}
    with pytest.raises(Exception):  # noqa: B017 (the listener is no mail server; only where it connected matters)
        if protocol == "imap":
            connect.imap(ImapSettings(**common, username="u", password="p"), None)
        else:
            connect.smtp(SmtpSettings(**common), None)
    assert [peer[0] for peer in accepted] == ["127.0.0.1"]  # nothing listens on 127.0.0.2: a second lookup fails


def test_a_twilio_api_base_resolving_to_loopback_gets_no_request(client, db, world, dns):
    fake = FakeTwilio()
    fake.accounts[ACCOUNT] = TOKEN
    fake.thread.start()
    try:
        dns["twilio.rebind.test"] = ["127.0.0.1"]
        api_base = f"http://twilio.rebind.test:{fake.server.server_address[1]}"
        with db.write() as s:
            inbox = inboxes.create(
                s, SYSTEM, name="SMS", channel="sms", address="+14155550100", settings={**TWILIO, "api_base": api_base}
            )
            customer_conv = conversations_for(s, inbox.id)
        actor = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)
        with db.write() as s:
            reply_id = conversations.reply(s, actor, customer_conv, text="Hello").id
        load_handlers()
        run_due(db)
        assert fake.messages == []
        with db.read() as s:
            message = s.get(Message, reply_id)
        assert message.delivery_status == "failed" and "loopback" in message.delivery_error
    finally:
        fake.server.shutdown()
        fake.server.server_close()
        fake.thread.join(timeout=5)


def conversations_for(session, inbox_id: int) -> int:
    """A conversation in the SMS inbox from a customer with a phone number."""
    from rapport.conversations.inbound import Inbound, receive_inbound

    got = receive_inbound(
        session,
        SYSTEM,
        Inbound(inbox_id=inbox_id, sender_kind="phone", sender_address="+14155550123", text="hi", channel="sms"),
    )
    return session.scalar(select(Message.conversation_id).where(Message.id == got.message_id))

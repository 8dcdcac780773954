"""No network I/O inside a database transaction: a slow mail server must not hold the writer's turn.

The SMTP server here is real (aiosmtpd) and deliberately stuck: its DATA handler waits on an Event that only the
test sets. While a reply (or a system mail) sits in that DATA, an unrelated write must complete. Nothing is timed:
the waits below are guards against a hang, never measurements.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from rapport.conversations import delivery
from rapport.conversations import service as conversations
from rapport.customers import service as customers
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.ratelimit import limit_mail
from rapport.mail.mailer import send_system_mail
from rapport.models import Message
from rapport.models.enums import Role
from rapport.worker.runner import OUTSIDE_TRANSACTION, load_handlers, run_due
from tests.conftest import free_port, inbound

GUARD = 30  # seconds: only ever reached when the code under test is wrong (the write waits for the send)


class StuckSmtp:
    """An SMTP handler that holds every DATA until the test releases it."""

    def __init__(self):
        self.in_data, self.release = threading.Event(), threading.Event()
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.in_data.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, GUARD * 2)
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture
def stuck_smtp(settings) -> Iterator[StuckSmtp]:
    """The stuck server on a free loopback port; the system mailer points at it too."""
    handler, port = StuckSmtp(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    handler.port = port
    yield handler
    handler.release.set()
    controller.stop()


def _queue_reply(db, client, world, stuck_smtp) -> int:
    with db.write() as s:
        inboxes.update(
            s,
            SYSTEM,
            world.email_inbox.id,
            settings={
                "smtp": {"host": "127.0.0.1", "port": stuck_smtp.port, "security": "plain", "allow_private": True}
            },
        )
    conv_id = inbound(client, world.agent_token, world.email_inbox.id, address="jo@customer.test")["conversation_id"]
    agent = Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")
    with db.write() as s:
        return conversations.reply(s, agent, conv_id, text="It ships today.").id


def _queue_system_mail(db, client, world, stuck_smtp) -> None:
    with db.write() as s:
        allowance = limit_mail(s, to="pat@example.net", client="test")
        send_system_mail(s, to="pat@example.net", subject="Your link", text="Open it", allowance=allowance)


def _unrelated_write(db) -> None:
    with db.write() as s:
        customers.create(s, SYSTEM, identities=[("email", "unrelated@customer.test")], name="Unrelated")


@pytest.mark.parametrize("queue_mail", [_queue_reply, _queue_system_mail], ids=["reply", "system-mail"])
def test_a_write_completes_while_a_mail_is_stuck_in_smtp_data(db, client, world, stuck_smtp, queue_mail):
    load_handlers()
    queue_mail(db, client, world, stuck_smtp)
    worker = threading.Thread(target=run_due, args=(db,), daemon=True)
    worker.start()
    assert stuck_smtp.in_data.wait(GUARD), "the job never reached the SMTP server's DATA"
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            open_txns = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%'"
                )
            )
        assert open_txns == 0, "a transaction stays open while the mail server is talked to"
    wrote = threading.Event()
    writer = threading.Thread(target=lambda: (_unrelated_write(db), wrote.set()), daemon=True)
    writer.start()
    try:
        assert wrote.wait(GUARD), "an unrelated write waited for the mail server"
        assert worker.is_alive() and not stuck_smtp.received  # the send was still in flight all along
    finally:
        stuck_smtp.release.set()
        worker.join(GUARD)
        writer.join(GUARD)
    assert len(stuck_smtp.received) == 1


def test_the_attempt_is_recorded_before_the_mail_leaves(db, client, world, stuck_smtp):
    load_handlers()
    reply_id = _queue_reply(db, client, world, stuck_smtp)
    worker = threading.Thread(target=run_due, args=(db,), daemon=True)
    worker.start()
    try:
        assert stuck_smtp.in_data.wait(GUARD)
        with db.read() as s:
            message = s.get(Message, reply_id)
            # Committed before the server was called: were the process to die now, the send is known to be in doubt.
            assert delivery.in_doubt(message) and delivery.attempts(message)["attempts"] == 1
            assert message.delivery_status == "queued"
    finally:
        stuck_smtp.release.set()
        worker.join(GUARD)
    with db.read() as s:
        message = s.get(Message, reply_id)
        assert message.delivery_status == "sent" and not delivery.in_doubt(message)


def test_every_channel_sender_leaves_its_network_call_for_after_the_commit():
    """A sender returns an Outgoing (transmit after commit); none may talk to a provider inside the transaction."""
    load_handlers()
    from rapport.channels.email.sender import send as email_send
    from rapport.channels.sms.sender import send_sms
    from rapport.channels.whatsapp.sender import send as whatsapp_send

    for fn in (email_send, send_sms, whatsapp_send):
        assert fn.__annotations__["return"] in ("Outgoing", "Outgoing | None"), fn
    assert {"messages.deliver", "mail.system"} <= OUTSIDE_TRANSACTION


def _crash_after_the_server_accepted(db, reply_id: int) -> None:
    """What a process killed right after the server's 250 leaves behind: the attempt recorded, no outcome."""
    from rapport.conversations import tasks

    with db.write() as s:
        outgoing = tasks._prepare(s, reply_id)
    outgoing.transmit()  # the server accepted it ... and the process died before the bookkeeping


def test_a_send_in_doubt_after_a_crash_is_reconciled_not_repeated(db, client, world, smtp_server):
    load_handlers()
    reply_id = _queue_reply(db, client, world, smtp_server)
    _crash_after_the_server_accepted(db, reply_id)
    with db.read() as s:
        message = s.get(Message, reply_id)
        assert delivery.in_doubt(message) and message.delivery_status == "queued"
    run_due(db)  # the job is retried
    assert len(smtp_server.messages) == 1  # the marker written at the 250 says it went: not sent again
    with db.read() as s:
        message = s.get(Message, reply_id)
        assert message.delivery_status == "sent" and not delivery.in_doubt(message)
        assert smtp_server.messages[0]["Message-ID"] == f"<{message.external_id}>"


def test_a_send_whose_outcome_is_unknown_is_sent_again_with_the_same_message_id(db, client, world, smtp_server):
    load_handlers()
    reply_id = _queue_reply(db, client, world, smtp_server)
    _crash_after_the_server_accepted(db, reply_id)
    from rapport.channels.email import sender

    for marker in (sender.get_settings().mail_dir / "sent").rglob("*"):
        if marker.is_file():
            marker.unlink()  # the process died between the 250 and the marker: nothing says it went
    run_due(db)
    first, second = smtp_server.messages  # at least once: the customer's client shows one (same Message-ID)
    assert first["Message-ID"] == second["Message-ID"]


def test_saving_a_webhook_or_a_mail_server_looks_up_no_name(client, world, monkeypatch):
    """Saving runs in a write transaction: a slow DNS server must not hold it (names are resolved at send time)."""
    lookups = []
    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):
        lookups.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    auth = {"Authorization": f"Bearer {world.admin_token}"}
    r = client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/in", "event_types": ["*"]}, headers=auth
    )
    assert r.status_code == 201, r.text
    smtp = {"host": "smtp.example.com", "port": 587, "security": "starttls"}
    r = client.patch(f"/api/v1/inboxes/{world.email_inbox.id}", json={"settings": {"smtp": smtp}}, headers=auth)
    assert r.status_code == 200, r.text
    assert lookups == []

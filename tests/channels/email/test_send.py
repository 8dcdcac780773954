"""Replies sent by SMTP (to a real aiosmtpd server) through the messages.deliver job, and mail received by SMTP."""

from __future__ import annotations

import smtplib
from email.utils import parseaddr

import pytest
from sqlalchemy import select, update

from rapport.channels.email import tokens
from rapport.channels.email.smtp_in import SmtpReceiver
from rapport.conversations import service as conversations
from rapport.conversations.attachments import IncomingFile
from rapport.kernel.permissions import Actor
from rapport.models import Conversation, Customer, EmailReceipt, Message
from rapport.models.enums import Role
from rapport.worker.runner import run_due
from tests.channels.email.conftest import receive
from tests.channels.email.mails import mail
from tests.conftest import free_port


def _agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")


def _conversation(db, inbox, **kw) -> tuple[int, int]:
    (first,) = receive(db, inbox.id, mail(message_id="q1@customer.test", references=["older@customer.test"], **kw))
    return first.conversation_id, first.message_id


def _reply(db, world, conv_id: int, **kw) -> int:
    with db.write() as s:
        return conversations.reply(s, _agent(world), conv_id, **kw).id


def test_a_reply_goes_out_with_threading_headers_and_both_alternatives(db, world, inbox, smtp_server):
    conv_id, _ = _conversation(db, inbox, frm="Jo Customer <jo@customer.test>", subject="My order")
    reply_id = _reply(db, world, conv_id, text="It ships today.", html="<p>It ships <b>today</b>.</p>")
    assert smtp_server.messages == []  # nothing leaves inside the transaction
    run_due(db)
    (sent,) = smtp_server.messages
    assert parseaddr(sent["From"]) == ("Alex Agent via Support", "help@example.com")
    assert parseaddr(sent["To"]) == ("Jo Customer", "jo@customer.test")
    assert sent["Subject"] == f"Re: My order [#{conv_id}]"
    assert sent["In-Reply-To"] == "<q1@customer.test>"
    assert sent["References"] == "<older@customer.test> <q1@customer.test>"
    assert sent["X-Loop"] == "help@example.com" and sent["Auto-Submitted"] is None
    assert smtp_server.envelopes[0].mail_from == "help@example.com"
    assert sent.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in sent.get_payload()}
    assert parts["text/plain"].strip() == "It ships today." and "<b>today</b>" in parts["text/html"]
    with db.read() as s:
        message = s.get(Message, reply_id)
    assert sent["Message-ID"] == f"<{message.external_id}>"
    assert tokens.read(message.external_id).conversation_id == conv_id
    assert message.delivery_status == "sent"


def test_the_customers_answer_to_a_reply_threads_back(db, world, inbox, smtp_server):
    conv_id, _ = _conversation(db, inbox)
    _reply(db, world, conv_id, text="Which size?")
    run_due(db)
    sent_id = smtp_server.messages[0]["Message-ID"].strip("<>")
    with db.write() as s:
        conversations.update(s, _agent(world), conv_id, conversations.Changes(status="pending"))
    (answer,) = receive(db, inbox.id, mail(subject="Re: My order", in_reply_to=sent_id, text="Size 42"))
    assert answer.conversation_id == conv_id
    with db.read() as s:
        assert s.get(Conversation, conv_id).status == "open"


def test_a_reply_is_never_sent_twice(db, world, inbox, smtp_server):
    conv_id, _ = _conversation(db, inbox)
    reply_id = _reply(db, world, conv_id, text="Once only.")
    run_due(db)
    first_id = smtp_server.messages[0]["Message-ID"]
    # A worker that sent the mail but died before its commit leaves the job to run again.
    with db.write() as s:
        s.execute(update(Message).where(Message.id == reply_id).values(delivery_status="queued", external_id=None))
        from rapport.worker import queue

        queue.enqueue(s, "messages.deliver", {"message_id": reply_id})
    run_due(db)
    run_due(db)
    assert len(smtp_server.messages) == 1
    with db.read() as s:
        message = s.get(Message, reply_id)
    assert message.delivery_status == "sent" and f"<{message.external_id}>" == first_id


def test_attachments_go_out_with_the_reply(db, world, inbox, smtp_server):
    conv_id, _ = _conversation(db, inbox)
    files = [IncomingFile("label.pdf", b"%PDF-1.4 label", "application/pdf")]
    _reply(db, world, conv_id, text="Your return label.", files=files)
    run_due(db)
    (sent,) = smtp_server.messages
    assert sent.get_content_type() == "multipart/mixed"
    (attachment,) = [p for p in sent.walk() if p.get_filename()]
    assert (attachment.get_filename(), attachment.get_payload(decode=True)) == ("label.pdf", b"%PDF-1.4 label")


@pytest.mark.parametrize("field", ["customer name", "subject"])
def test_header_injection_is_refused(db, world, inbox, smtp_server, field):
    conv_id, _ = _conversation(db, inbox)
    with db.write() as s:
        conv = s.get(Conversation, conv_id)
        if field == "subject":
            conv.subject = "Hi\r\nBcc: everyone@victim.test"
        else:
            s.get(Customer, conv.customer_id).name = "Jo\r\nBcc: everyone@victim.test"
    reply_id = _reply(db, world, conv_id, text="Hello")
    run_due(db)
    # The line break is taken out of the value (kit.headers), so the reply still goes out, with no Bcc.
    (sent,) = smtp_server.messages
    assert sent["Bcc"] is None and smtp_server.envelopes[0].rcpt_tos == ["jo@customer.test"]
    assert "Bcc: everyone@victim.test" in (sent["Subject"] if field == "subject" else sent["To"])
    with db.read() as s:
        message = s.get(Message, reply_id)
    assert message.delivery_status == "sent"


def test_an_inbox_without_smtp_settings_fails_the_delivery_clearly(db, world, bare_inbox, smtp_server):
    (first,) = receive(db, bare_inbox.id, mail())
    reply_id = _reply(db, world, first.conversation_id, text="Hello")
    run_due(db)
    with db.read() as s:
        message = s.get(Message, reply_id)
    assert message.delivery_status == "failed" and "no SMTP settings" in message.delivery_error
    assert smtp_server.messages == []


def test_mail_received_by_smtp_is_stored_before_250(db, world):
    receiver = SmtpReceiver(db, "127.0.0.1", free_port())
    receiver.start()
    try:
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client:
            refused = client.sendmail("jo@customer.test", ["help@example.com"], mail(subject="By SMTP"))
            assert refused == {}
            # The 250 came back: the mail is committed already.
            with db.read() as s:
                message = s.scalars(select(Message)).one()
                assert message.body_text.startswith("Hello, where is my order?")
                assert s.scalars(select(EmailReceipt.source)).one() == "smtp"
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("jo@customer.test", ["nobody@example.com"], mail())
    finally:
        receiver.stop()


def test_a_bounce_received_by_smtp_has_an_empty_return_path(db, world):
    receiver = SmtpReceiver(db, "127.0.0.1", free_port())
    receiver.start()
    try:
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client:
            client.sendmail("", ["help@example.com"], mail(frm="notices@customer.test", subject="Notice"))
    finally:
        receiver.stop()
    with db.read() as s:
        receipt = s.scalars(select(EmailReceipt)).one()
    assert (receipt.outcome, receipt.reason) == ("quarantined", "auto_reply")

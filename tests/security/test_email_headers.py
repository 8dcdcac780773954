"""Header injection: no value that reaches a reply's headers (a customer's name, a subject, the agent's and the inbox's
names, the ids it answers) can become a header of its own. Each variant comes in by a real way in (the inbound API,
a raw mail through the pipeline, a customer PATCH), an agent replies, and the raw bytes the SMTP server received are
read header by header.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from rapport.channels.email.pipeline import RawMail, ingest
from rapport.conversations import service as conversations
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.ratelimit import limit_mail
from rapport.mail import mailer
from rapport.models import Agent, Conversation, Customer, Inbox, Message
from rapport.models.enums import Role
from rapport.worker.runner import run_due
from tests.channels.email.mails import mail
from tests.conftest import World

EVIL = "evil@attacker.test"
# The same payload in each disguise a value can carry it: raw CR LF, other line breaks, and RFC 2047 encoded words
# (once, and encoded twice so that one decoding on the way in leaves an encoded word to be decoded on the way out).
RAW = f"Jo\r\nReply-To: {EVIL}\r\nX-Evil: 1"
# No NUL here: the API refuses a NUL outright with a 422 (tests/security/test_api_inputs.py).
OTHER_BREAKS = f"Jo\x0bReply-To: {EVIL}\x85X-Evil: 1\u2028X-Evil2: 1\x0c"
ENCODED = "=?utf-8?q?Jo=0D=0AReply-To=3A_evil=40attacker.test=0D=0AX-Evil=3A_1?="
TWICE = "=?utf-8?q?=3D=3Futf-8=3Fq=3FJo=3D0D=3D0AReply-To=3A_evil=40attacker.test=3D0D=3D0AX-Evil=3A_1=3F=3D?="
VARIANTS = {"raw": RAW, "other-breaks": OTHER_BREAKS, "encoded": ENCODED, "encoded-twice": TWICE}
SENT_HEADERS = {
    "from", "to", "subject", "date", "message-id", "in-reply-to", "references", "x-loop", "x-auto-response-suppress",
    "auto-submitted", "mime-version", "content-type", "content-transfer-encoding",
}  # fmt: skip


@pytest.fixture
def mailbox(db, world, smtp_server):
    """The world's email inbox, sending through the test's real SMTP server."""
    settings = {
        "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "plain", "allow_private": True},
        "from_name": "Support",
    }
    with db.write() as s:
        return inboxes.update(s, SYSTEM, world.email_inbox.id, settings=settings)


def _headers(raw: bytes) -> list[tuple[str, str]]:
    """The header block of a raw mail, unfolded: (lower-cased name, value) per header line."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    out: list[tuple[str, str]] = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + line)
        else:
            name, _, value = line.partition(":")
            out.append((name.strip().lower(), value))
    return out


def _reply_and_read(db, world, smtp_server, conv_id: int) -> list[tuple[str, str]]:
    agent = Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")
    with db.write() as s:
        reply_id = conversations.reply(s, agent, conv_id, text="Here is your answer.").id
    run_due(db)
    with db.read() as s:
        message = s.get(Message, reply_id)
        assert message.delivery_status == "sent", message.delivery_error
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["jo@customer.test"]
    headers = _headers(envelope.content)
    names = [name for name, _ in headers]
    assert "reply-to" not in names and not any(n.startswith("x-evil") for n in names), names
    assert set(names) <= SENT_HEADERS, names
    assert len(names) == len(set(names)), names  # not a second Subject or To either
    assert all(c not in value for _, value in headers for c in "\x00\x0b\x0c\x85\u2028"), headers
    return headers


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_sender_name_and_subject_through_the_inbound_api(db, world, client, mailbox, smtp_server, variant):
    body = {
        "inbox_id": mailbox.id,
        "channel": "email",
        "sender": {"kind": "email", "address": "jo@customer.test", "name": VARIANTS[variant][:200]},
        "subject": "Order " + VARIANTS[variant],
        "text": "Where is my order?",
    }
    r = client.post("/api/v1/messages/inbound", json=body, headers=World.auth(world.agent_token))
    assert r.status_code in (200, 201), r.text
    with db.read() as s:
        name = s.get(Customer, r.json()["customer_id"]).name
    assert not any(c in name for c in "\r\n\x00\x0b\x85\u2028"), name  # cleaned where it is stored
    _reply_and_read(db, world, smtp_server, r.json()["conversation_id"])


@pytest.mark.parametrize("variant", ["encoded", "encoded-twice"])
def test_a_raw_mail_with_encoded_line_breaks_in_subject_and_from_name(db, world, mailbox, smtp_server, variant):
    payload = VARIANTS[variant]
    raw = mail(frm="jo@customer.test", subject="x", message_id="m1@customer.test")
    # Written by hand: the test's own mail builder would refuse the very headers under test.
    raw = raw.replace(b"From: jo@customer.test", f"From: {payload} <jo@customer.test>".encode())
    raw = raw.replace(b"Subject: x", f"Subject: {payload}".encode())
    (outcome,) = ingest(db, mailbox.id, [RawMail(raw, source="test")])
    assert outcome.outcome == "message", outcome
    headers = _reply_and_read(db, world, smtp_server, outcome.conversation_id)
    assert dict(headers)["in-reply-to"].strip() == "<m1@customer.test>"


def test_references_that_are_no_plain_message_ids_are_left_out(db, world, mailbox, smtp_server):
    raw = mail(frm="jo@customer.test", message_id="m2@customer.test")
    bad = f"<{ENCODED}@x>"  # an id of printable ASCII that a reader would decode
    raw = raw.replace(b"Message-ID:", f"References: <ok@customer.test> {bad}\r\nMessage-ID:".encode())
    (outcome,) = ingest(db, mailbox.id, [RawMail(raw, source="test")])
    with db.write() as s:  # as an older Rapport may have stored it
        s.execute(
            update(Message)
            .where(Message.id == outcome.message_id)
            .values(meta={"email": {"message_id": "m2@customer.test", "references": ["ok@customer.test", bad[1:-1]]}})
        )
    headers = dict(_reply_and_read(db, world, smtp_server, outcome.conversation_id))
    assert headers["references"].split() == ["<ok@customer.test>", "<m2@customer.test>"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_customer_name_set_through_the_api(db, world, client, mailbox, smtp_server, variant):
    (outcome,) = ingest(db, mailbox.id, [RawMail(mail(frm="Jo <jo@customer.test>"), source="test")])
    with db.read() as s:
        customer_id = s.get(Message, outcome.message_id).customer_id
    r = client.patch(
        f"/api/v1/customers/{customer_id}", json={"name": VARIANTS[variant]}, headers=World.auth(world.admin_token)
    )
    assert r.status_code == 200, r.text
    assert not any(c in r.json()["name"] for c in "\r\n\x00\x0b\x85\u2028")
    _reply_and_read(db, world, smtp_server, outcome.conversation_id)


@pytest.mark.parametrize("variant", VARIANTS)
def test_agent_and_inbox_names_and_a_stored_subject(db, world, mailbox, smtp_server, variant):
    (outcome,) = ingest(db, mailbox.id, [RawMail(mail(frm="Jo <jo@customer.test>"), source="test")])
    value = VARIANTS[variant].replace("\x00", "")  # PostgreSQL stores no NUL at all
    with db.write() as s:
        # Straight into the rows, past every check on the way in: the sender must hold on its own.
        s.execute(update(Agent).where(Agent.id == world.agent.id).values(name=value))
        s.execute(update(Customer).values(name=value))
        settings = {**mailbox.settings, "from_name": value[:100]}
        s.execute(update(Inbox).where(Inbox.id == mailbox.id).values(settings=settings))
        s.execute(update(Conversation).where(Conversation.id == outcome.conversation_id).values(subject=value))
    _reply_and_read(db, world, smtp_server, outcome.conversation_id)


@pytest.mark.parametrize("variant", ["encoded", "encoded-twice"])
def test_system_mail_subjects(db, smtp_server, variant):
    with db.write() as s:
        allowance = limit_mail(s, to="pat@example.net", client="test")
        subject = "Sign in " + VARIANTS[variant]
        mailer.send_system_mail(s, to="pat@example.net", subject=subject, text="Hello", allowance=allowance)
    run_due(db)
    (envelope,) = smtp_server.envelopes
    names = [name for name, _ in _headers(envelope.content)]
    assert "reply-to" not in names and not any(n.startswith("x-evil") for n in names), names

"""A formatted email reply with copies and signatures, sent by SMTP (a real aiosmtpd server): the HTML part is the
sanitised formatting, the text part the same words in plain text, both end with the signatures; Cc arrives as a
header and a recipient, Bcc as a recipient only."""

from __future__ import annotations

from email.utils import getaddresses, parseaddr

import pytest

from rapport.agents import service as agents
from rapport.conversations import service as conversations
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models.enums import Role
from rapport.worker.runner import run_due
from tests.channels.email.conftest import receive
from tests.channels.email.mails import mail


@pytest.fixture
def shop(db, world, smtp_server):
    """The world's email inbox sending through the test SMTP server, with its signature and the agent's."""
    smtp = {"host": "127.0.0.1", "port": smtp_server.port, "security": "plain", "allow_private": True}
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.agent.id, signature="Alex, **Support**")
        return inboxes.update(
            s, SYSTEM, world.email_inbox.id, settings={"smtp": smtp, "from_name": "Support"}, signature="Shop Ltd"
        )


def test_copies_and_signatures_arrive_as_written(db, world, shop, smtp_server):
    (first,) = receive(db, shop.id, mail(frm="Jo <jo@customer.test>", subject="Kettle", message_id="k1@customer.test"))
    agent = Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")
    with db.write() as s:
        conversations.reply(
            s,
            agent,
            first.conversation_id,
            markdown="A new kettle ships **today**:\n\n1. unpack\n2. plug in",
            cc=["Boss@Shop.test", "team@shop.test"],
            bcc=["audit@shop.test"],
        )
    run_due(db)
    (sent,) = smtp_server.messages
    (envelope,) = smtp_server.envelopes
    assert parseaddr(sent["To"])[1] == "jo@customer.test"
    assert [a for _, a in getaddresses([sent["Cc"]])] == ["boss@shop.test", "team@shop.test"]
    assert sent["Bcc"] is None and b"audit@shop.test" not in envelope.content
    assert envelope.rcpt_tos == ["jo@customer.test", "boss@shop.test", "team@shop.test", "audit@shop.test"]
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in sent.get_payload()}
    assert parts["text/plain"].replace("\r\n", "\n").strip() == (
        "A new kettle ships today:\n\n1. unpack\n2. plug in\n\n-- \nAlex, Support\n\nShop Ltd"
    )
    assert (
        "<strong>today</strong>" in parts["text/html"]
        and "<ol><li>unpack</li><li>plug in</li></ol>" in parts["text/html"]
    )
    assert "<p>-- </p><p>Alex, <strong>Support</strong></p><p>Shop Ltd</p>" in parts["text/html"]

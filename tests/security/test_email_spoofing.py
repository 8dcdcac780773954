"""Spoofed customers (issue 13, email 2): a forged From never joins the customer's conversation, and a Reply-To
that is none of the customer's addresses never draws a reply without the agent confirming it.

The whole path is real: raw mails through the pipeline the IMAP fetcher uses, replies through the
messages.deliver job to a real SMTP server (aiosmtpd), the API and the conversation page over HTTP.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

import pytest
from sqlalchemy import select

from rapport.channels.email.pipeline import RawMail, ingest
from rapport.conversations import service as conversations
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models import Conversation, EmailReceipt, Event, Inbox, Message
from rapport.models.enums import Role
from rapport.worker.runner import run_due
from tests.channels.email.mails import mail

TRUSTED = "mx.example.com"
JO = "Jo Customer <jo@customer.test>"
ATTACKER = "thief@evil.test"


def _ar(result: str, server: str = TRUSTED) -> str:
    return f"{server}; spf=pass smtp.mailfrom=jo@customer.test; dmarc={result} header.from=customer.test"


def _raw(*auth: str, reply_to: str | None = None, **kw) -> bytes:
    """A mail with Authentication-Results on top (the first given is topmost), as the receiving server leaves it."""
    body = mail(**kw)
    top = b"".join(f"Authentication-Results: {value}\r\n".encode() for value in auth)
    if reply_to:
        top += f"Reply-To: {reply_to}\r\n".encode()
    return top + body


def _receive(db, inbox_id: int, raw: bytes):
    (outcome,) = ingest(db, inbox_id, [RawMail(raw, source="test")])
    return outcome


def _configure(db, inbox_id: int, smtp_port: int, **extra) -> None:
    settings = {
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "plain", "allow_private": True},
        "from_name": "Support",
    }
    with db.write() as s:
        inboxes.update(s, SYSTEM, inbox_id, settings=settings | extra)


def _agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")


def _reply(db, world, conv_id: int, text: str, **kw) -> None:
    with db.write() as s:
        conversations.reply(s, _agent(world), conv_id, text=text, **kw)


@pytest.fixture
def desk(db, world, smtp_server):
    """The email inbox, sending through the test SMTP server, trusting mx.example.com's Authentication-Results."""
    _configure(db, world.email_inbox.id, smtp_server.port, trusted_authserv_ids=[TRUSTED])
    return world.email_inbox.id


@pytest.fixture
def open_case(db, world, desk, smtp_server) -> tuple[int, str]:
    """Jo's authenticated mail, answered by an agent: (conversation id, the Message-ID of our reply)."""
    first = _receive(db, desk, _raw(_ar("pass"), frm=JO, subject="My order", message_id="jo1@customer.test"))
    assert first.outcome == "message" and first.new_conversation
    _reply(db, world, first.conversation_id, "Which size?")
    run_due(db)
    (sent,) = smtp_server.messages
    return first.conversation_id, sent["Message-ID"].strip("<>")


def _attack(conv_id: int, our_reply: str, *auth: str) -> bytes:
    """Jo's From, an answer to our reply (In-Reply-To, [#number]), and the attacker's Reply-To."""
    return _raw(
        *auth,
        reply_to=ATTACKER,
        frm=JO,
        subject=f"Re: My order [#{conv_id}]",
        in_reply_to=our_reply,
        text="Please send the invoice and the account details to my new address.",
    )


def test_a_from_failing_dmarc_opens_a_flagged_conversation_instead_of_joining(db, world, client, open_case):
    conv_id, our_reply = open_case
    outcome = _receive(db, world.email_inbox.id, _attack(conv_id, our_reply, _ar("fail")))
    assert outcome.outcome == "message"
    assert outcome.conversation_id != conv_id and outcome.new_conversation
    with db.read() as s:
        assert s.get(Conversation, conv_id).message_count == 2  # Jo's mail and our reply, nothing more
        flagged = s.get(Conversation, outcome.conversation_id)
        assert flagged.sender_unverified and flagged.customer_id == s.get(Conversation, conv_id).customer_id
        assert not s.get(Conversation, conv_id).sender_unverified
        event = s.scalar(select(Event).where(Event.name == "conversation.sender_unverified"))
        assert event.conversation_id == outcome.conversation_id and event.message_id == outcome.message_id
        assert event.payload["address"] == "jo@customer.test" and event.payload["authserv_id"] == TRUSTED
        assert "dmarc=fail" in event.payload["reason"]
        stored = s.get(Message, outcome.message_id)
        assert stored.meta["email"]["auth"]["status"] == "fail"
    api = client.get(f"/api/v1/conversations/{outcome.conversation_id}", headers=world.auth(world.agent_token))
    assert api.status_code == 200 and api.json()["sender_unverified"] is True
    original = client.get(f"/api/v1/conversations/{conv_id}", headers=world.auth(world.agent_token))
    assert original.json()["sender_unverified"] is False


def test_the_agents_reply_goes_to_the_customer_not_to_the_forged_reply_to(db, world, smtp_server, open_case):
    conv_id, our_reply = open_case
    outcome = _receive(db, world.email_inbox.id, _attack(conv_id, our_reply, _ar("fail")))
    _reply(db, world, outcome.conversation_id, "Could you confirm this was you?")
    run_due(db)
    sent = smtp_server.messages[-1]
    assert parseaddr(sent["To"])[1] == "jo@customer.test"
    assert smtp_server.envelopes[-1].rcpt_tos == ["jo@customer.test"]
    assert all(ATTACKER not in e.rcpt_tos for e in smtp_server.envelopes)


def test_without_a_trusted_server_an_unknown_reply_to_still_draws_no_reply(db, world, smtp_server):
    # No authserv-id is named: mail threads as before (documented), but the Reply-To is no customer address.
    _configure(db, world.email_inbox.id, smtp_server.port)
    first = _receive(db, world.email_inbox.id, _raw(frm=JO, message_id="jo1@customer.test"))
    attack = _receive(db, world.email_inbox.id, _raw(reply_to=ATTACKER, frm=JO, in_reply_to="jo1@customer.test"))
    assert attack.conversation_id == first.conversation_id
    _reply(db, world, first.conversation_id, "Here are the details.")
    run_due(db)
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["jo@customer.test"]]
    with db.read() as s:
        assert s.get(Message, attack.message_id).meta["email"]["auth"]["status"] == "unchecked"


def test_forged_authentication_results_are_ignored(db, world, open_case):
    conv_id, our_reply = open_case
    # Another server's verdict, however good, is not evidence.
    untrusted = _receive(db, world.email_inbox.id, _attack(conv_id, our_reply, _ar("pass", server="mx.evil.test")))
    assert untrusted.conversation_id != conv_id and untrusted.new_conversation
    # The trusted server's header is the topmost; one the sender wrote below it, claiming the same name, counts not.
    lower = _receive(db, world.email_inbox.id, _attack(conv_id, our_reply, _ar("fail"), _ar("pass")))
    assert lower.conversation_id not in (conv_id, untrusted.conversation_id)
    # A mail with no header from the trusted server at all is not authenticated either.
    bare = _receive(db, world.email_inbox.id, _attack(conv_id, our_reply))
    assert bare.conversation_id != conv_id
    with db.read() as s:
        assert s.get(Conversation, conv_id).message_count == 2
        unverified = select(Event.payload).where(Event.name == "conversation.sender_unverified").order_by(Event.id)
        reasons = s.scalars(unverified).all()
    assert "no Authentication-Results from mx.example.com" in reasons[0]["reason"]
    assert "dmarc=fail" in reasons[1]["reason"]
    assert "no Authentication-Results" in reasons[2]["reason"]


def test_an_authenticated_answer_still_threads(db, world, open_case):
    conv_id, our_reply = open_case
    # The server's header on top, and a stale one lower down (a forwarder's): only the topmost counts.
    raw = _raw(_ar("pass"), _ar("fail"), frm=JO, subject="Re: My order", in_reply_to=our_reply, text="Size 42")
    outcome = _receive(db, world.email_inbox.id, raw)
    assert outcome.conversation_id == conv_id and not outcome.new_conversation
    # DKIM aligned with the From domain passes where the server wrote no DMARC result.
    dkim = _raw(f"{TRUSTED}; dkim=pass header.d=customer.test header.b=Ab+/1", frm=JO, in_reply_to=our_reply)
    assert _receive(db, world.email_inbox.id, dkim).conversation_id == conv_id
    with db.read() as s:
        assert not s.scalars(select(Event).where(Event.name == "conversation.sender_unverified")).all()


def test_the_inbox_can_quarantine_unverified_senders_instead(db, world, smtp_server, open_case):
    conv_id, our_reply = open_case
    _configure(
        db, world.email_inbox.id, smtp_server.port, trusted_authserv_ids=[TRUSTED], unverified_sender="quarantine"
    )
    outcome = _receive(db, world.email_inbox.id, _attack(conv_id, our_reply, _ar("fail")))
    assert outcome.outcome == "quarantined" and outcome.reason == "unverified_sender"
    assert "dmarc=fail" in outcome.detail and outcome.message_id is None
    with db.read() as s:
        receipt = s.scalar(select(EmailReceipt).where(EmailReceipt.reason == "unverified_sender"))
        assert receipt.sender == "jo@customer.test"
        assert s.get(Conversation, conv_id).message_count == 2


def test_an_unknown_reply_to_is_shown_and_used_only_once_confirmed(db, world, client, smtp_server, desk):
    raw = _raw(_ar("pass"), reply_to="Jo at home <jo.home@elsewhere.test>", frm=JO, message_id="jo2@customer.test")
    conv_id = _receive(db, desk, raw).conversation_id
    auth = world.auth(world.agent_token)
    options = client.get(f"/api/v1/conversations/{conv_id}/reply-options", headers=auth).json()
    assert options["reply_to"] == {"address": "jo.home@elsewhere.test", "from_address": "jo@customer.test"}
    # Not confirmed: the reply goes to the From.
    r = client.post(f"/api/v1/conversations/{conv_id}/replies", json={"text": "First"}, headers=auth)
    assert r.status_code == 201, r.text
    # A confirmation must name the Reply-To awaiting it, nothing else.
    wrong = {"text": "Second", "confirm_reply_to": ATTACKER}
    r = client.post(f"/api/v1/conversations/{conv_id}/replies", json=wrong, headers=auth)
    assert r.status_code == 422 and "jo.home@elsewhere.test" in r.json()["detail"]
    confirmed = {"text": "Second", "confirm_reply_to": "Jo.Home@elsewhere.test"}
    r = client.post(f"/api/v1/conversations/{conv_id}/replies", json=confirmed, headers=auth)
    assert r.status_code == 201, r.text
    run_due(db)
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["jo@customer.test"], ["jo.home@elsewhere.test"]]


def test_the_conversation_page_shows_the_flag_and_asks_before_using_a_reply_to(
    db, world, client, smtp_server, open_case
):
    conv_id, our_reply = open_case
    flagged = _receive(db, world.email_inbox.id, _attack(conv_id, our_reply, _ar("fail"))).conversation_id
    r = client.post("/sign-in", data={"email": "alex@example.com", "password": "agent password 1", "next": "/inbox"})
    assert r.status_code in (200, 303)
    page = client.get(f"/conversations/{flagged}")
    assert page.status_code == 200
    assert "Unverified sender" in page.text and "dmarc=fail" in page.text  # the header and the timeline
    assert ATTACKER in page.text and f'name="confirm_reply_to" value="{ATTACKER}"' in page.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    form = {"csrf_token": csrf, "text": "Confirmed on the phone", "mode": "reply", "channel": "email"}
    r = client.post(f"/conversations/{flagged}/messages", data=form | {"confirm_reply_to": ATTACKER})
    assert r.status_code in (200, 303), r.text
    r = client.post(f"/conversations/{flagged}/messages", data=form | {"text": "And without the box"})
    assert r.status_code in (200, 303), r.text
    run_due(db)
    assert [e.rcpt_tos for e in smtp_server.envelopes[1:]] == [[ATTACKER], ["jo@customer.test"]]
    unflagged = client.get(f"/conversations/{conv_id}")
    assert "Unverified sender" not in unflagged.text and 'name="confirm_reply_to"' not in unflagged.text


def test_trusted_authserv_ids_are_checked_as_settings(client, world):
    auth = world.auth(world.admin_token)
    bad = {"settings": {"trusted_authserv_ids": ["mx.example.com; dmarc=pass"]}}
    r = client.patch(f"/api/v1/inboxes/{world.email_inbox.id}", json=bad, headers=auth)
    assert r.status_code == 422 and "settings.trusted_authserv_ids" in r.text
    bad = {"settings": {"unverified_sender": "ignore"}}
    r = client.patch(f"/api/v1/inboxes/{world.email_inbox.id}", json=bad, headers=auth)
    assert r.status_code == 422 and "settings.unverified_sender" in r.text
    good = {"settings": {"trusted_authserv_ids": ["MX.Example.com"], "unverified_sender": "quarantine"}}
    r = client.patch(f"/api/v1/inboxes/{world.email_inbox.id}", json=good, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["unverified_sender"] == "quarantine"


def test_the_admin_inbox_form_names_the_trusted_servers(client, world, db):
    r = client.post("/sign-in", data={"email": "ada@example.com", "password": "correct horse battery", "next": "/"})
    assert r.status_code in (200, 303)
    page = client.get(f"/admin/inboxes/{world.email_inbox.id}")
    assert 'name="settings.trusted_authserv_ids"' in page.text and 'name="settings.unverified_sender"' in page.text
    assert "Senders are not authenticated" not in page.text  # not connected at all yet: nothing to say
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    form = {
        "csrf_token": csrf,
        "name": "Support email",
        "active": "on",
        "settings.smtp.host": "127.0.0.1",
        "settings.smtp.port": "2525",
        "settings.smtp.security": "plain",
        "settings.smtp.allow_private": "true",
        "settings.trusted_authserv_ids": "mx.example.com\r\nmx2.example.com\r\n",
        "settings.unverified_sender": "quarantine",
    }
    r = client.post(f"/admin/inboxes/{world.email_inbox.id}", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    with db.read() as s:
        stored = s.get(Inbox, world.email_inbox.id).settings
    assert stored["trusted_authserv_ids"] == ["mx.example.com", "mx2.example.com"]
    assert stored["unverified_sender"] == "quarantine"
    bad = form | {"settings.trusted_authserv_ids": "mx.example.com; dmarc=pass"}
    r = client.post(f"/admin/inboxes/{world.email_inbox.id}", data=bad, follow_redirects=False)
    assert r.status_code == 422 and "Nothing was saved" in r.text

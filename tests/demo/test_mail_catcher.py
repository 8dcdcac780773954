"""The demo's mail catcher: replies and sign-in links reach a loopback SMTP server and are listed, links clickable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from rapport.agents.auth import actor_for
from rapport.channels.email.pipeline import RawMail, ingest
from rapport.cli import follow_served_address
from rapport.conversations import service as conversations
from rapport.demo import DEMO_EMAIL, generate, mailcatcher
from rapport.demo.load import DEMO_PASSWORD, ensure_login, send_mail_to, verify_customer_emails
from rapport.models import Agent, Conversation, Identity, Inbox, Message
from rapport.worker.runner import run_due
from tests.channels.portal.conftest import csrf, request_link
from tests.web.pages.conftest import sign_in_as


@pytest.fixture
def catcher(db, settings) -> Iterator[mailcatcher.MailCatcher]:
    """A small demo whose mail (inbox replies and system mail) goes to a running mail catcher."""
    generate(db, conversations=60, customers=20)
    ensure_login(db)
    running = mailcatcher.MailCatcher(settings.data_dir, keep=settings.demo_mail_keep, max_bytes=1024 * 1024).start()
    send_mail_to(db, settings, host=running.host, port=running.port)
    yield running
    running.stop()


def _work(db) -> None:
    for _ in range(20):  # the jobs the test's writes queued, delivery among them
        if not run_due(db):
            return


def test_a_reply_to_an_email_conversation_is_delivered_to_the_catcher_and_listed(db, settings, client, catcher):
    # a customer writes in through the inbound pipeline, so the test does not hang on the demo's status mix, which
    # follows the wall clock
    with db.read() as s:
        support = s.scalar(select(Inbox.id).where(Inbox.channel == "email").order_by(Inbox.id))
        address = s.scalar(select(Identity.address).where(Identity.kind == "email").order_by(Identity.id))
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = address, "support@example.com", "Where is parcel 42?"
    mail["Message-ID"] = "<catcher-test@customer.example>"
    mail.set_content("It has not arrived yet.")
    (outcome,) = ingest(db, support, [RawMail(mail.as_bytes(), source="test")])
    with db.write() as s:
        demo = s.scalar(select(Agent).where(Agent.email == DEMO_EMAIL))
        conv = s.get(Conversation, outcome.conversation_id)
        reply = conversations.reply(
            s, actor_for(s, demo, None), conv.id, text="Your order is on its way: https://track.example/p/42?x=1&y=2."
        )
        subject = conv.subject
    _work(db)
    with db.read() as s:
        assert s.get(Message, reply.id).delivery_status == "sent"
    (mail,) = mailcatcher.caught(settings.data_dir)
    assert subject in mail.subject and "@" in mail.to
    sign_in_as(client, DEMO_EMAIL, DEMO_PASSWORD)
    page = client.get("/demo/mail")
    assert page.status_code == 200
    assert 'href="/demo/mail"' in page.text  # in the top bar while the demo runs
    assert subject in page.text and mail.to in page.text
    assert '<a href="https://track.example/p/42?x=1&amp;y=2" rel="noopener noreferrer">' in page.text


def test_a_portal_sign_in_link_names_the_served_port_and_can_be_followed(db, settings, client, catcher):
    assert follow_served_address(settings, host="0.0.0.0", port=8123) == "http://127.0.0.1:8123"  # noqa: S104
    address = verify_customer_emails(db)
    assert request_link(client, address).status_code == 200
    _work(db)
    (mail,) = mailcatcher.caught(settings.data_dir)
    (link,) = [part.href for part in mail.parts if part.href]
    assert link.startswith("http://127.0.0.1:8123/portal/sign-in/") and mail.to == address
    sign_in_as(client, DEMO_EMAIL, DEMO_PASSWORD)
    assert f'<a href="{link}"' in client.get("/demo/mail").text
    path = link.removeprefix("http://127.0.0.1:8123")
    page = client.get(path)
    assert page.status_code == 200
    signed = client.post(path, data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    with db.read() as s:
        assert s.scalar(select(Identity.verified).where(Identity.address == address))


def test_html_mail_is_shown_as_text_and_the_catch_is_bounded(settings, client, world):
    settings.demo_mail_catcher, settings.demo_mail_keep = True, 3
    for number in range(5):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", f"Mail {number}"
        message.set_content(
            '<p onclick="steal()">Hi <script>alert(1)</script><a href="https://ok.example/x">go</a>'
            '<a href="javascript:alert(2)">bad</a></p>',
            subtype="html",
        )
        raw = message.as_bytes()
        mailcatcher.store(settings.data_dir, raw, mail_from="a@example.com", rcpt_tos=["b@example.com"], keep=3)
    caught = mailcatcher.caught(settings.data_dir)
    assert [m.subject for m in caught] == ["Mail 4", "Mail 3", "Mail 2"]
    sign_in_as(client, "ada@example.com", "correct horse battery")
    page = client.get("/demo/mail").text
    assert "An HTML mail, shown as text" in page
    body = page[page.index('<p class="text">') :]
    body = body[: body.index("</p>")]
    assert "<script" not in body and "onclick" not in body and "<p>" not in body and "javascript" not in body
    assert body.endswith('Links:\n<a href="https://ok.example/x" rel="noopener noreferrer">https://ok.example/x</a>')


def test_there_is_no_mail_page_outside_the_demo(settings, client, world):
    sign_in_as(client, "ada@example.com", "correct horse battery")
    assert client.get("/demo/mail").status_code == 404
    assert 'href="/demo/mail"' not in client.get("/profile").text
    settings.demo_mail_catcher = True
    assert 'href="/demo/mail"' in client.get("/profile").text
    client.post("/sign-out", data={"csrf_token": csrf_token(client)})
    sign_in_as(client, "alex@example.com", "agent password 1")
    assert client.get("/demo/mail").status_code == 403  # admins only: it holds customers' sign-in links
    assert 'href="/demo/mail"' not in client.get("/profile").text


def csrf_token(client) -> str:
    """The session's CSRF token, off the profile page."""
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/profile").text).group(1)

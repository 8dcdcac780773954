"""Email in a real browser: an agent's reply reaches a real SMTP server, threaded; an admin connects an inbox."""

from __future__ import annotations

import re
import time
from email.utils import parseaddr

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect
from sqlalchemy import select

from rapport.channels.email.pipeline import RawMail, ingest
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Inbox
from tests.browser.conftest import shot, sign_in
from tests.channels.email.mails import mail
from tests.conftest import SmtpInbox, free_port

pytestmark = pytest.mark.browser
ALEX = ("alex@example.com", "agent password 1")
ADA = ("ada@example.com", "correct horse battery")
TWILIO_SID = "AC" + "d4" * 16


@pytest.fixture
def smtp_relay():
    """A real SMTP server (aiosmtpd) on a free loopback port, for an email inbox's replies."""
    received = SmtpInbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    received.port = controller.port
    yield received
    controller.stop()


def test_a_reply_is_delivered_by_smtp_with_threading_headers(new_page, db, world, smtp_relay):
    """The agent replies on the conversation page; the server's worker sends it through the inbox's SMTP."""
    smtp = {"host": "127.0.0.1", "port": smtp_relay.port, "security": "plain", "allow_private": True}
    with db.write() as s:
        inbox = inboxes.create(
            s, SYSTEM, name="Shop mail", channel="email", address="help@shop.test", settings={"smtp": smtp}
        )
    first = mail(
        frm="Jo Customer <jo@customer.test>",
        to="help@shop.test",
        subject="Broken kettle",
        text="My kettle stopped working.",
        message_id="kettle-1@customer.test",
        references=["order-77@shop.test"],
    )
    (received,) = ingest(db, inbox.id, [RawMail(first, source="test")])
    page = new_page()
    sign_in(page, *ALEX)
    page.goto(f"/conversations/{received.conversation_id}")
    expect(page.locator("#channel")).to_have_value("email")
    page.get_by_label(re.compile("^Message")).fill("Sorry about that: a new kettle ships today.")
    page.get_by_role("button", name="Send").click()
    outbound = page.locator("#timeline .msg.outbound")
    expect(outbound).to_contain_text("a new kettle ships today")
    expect(outbound.locator(".delivery")).to_have_text("sent", timeout=20_000)  # live, after the SMTP server's 250
    shot(page, "email-reply")

    deadline = time.monotonic() + 10
    while not smtp_relay.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    (sent,) = smtp_relay.messages
    assert parseaddr(sent["To"]) == ("Jo Customer", "jo@customer.test")
    assert parseaddr(sent["From"]) == ("Alex Agent via Shop mail", "help@shop.test")
    assert sent["Subject"] == f"Re: Broken kettle [#{received.conversation_id}]"
    assert sent["In-Reply-To"] == "<kettle-1@customer.test>"
    assert sent["References"] == "<order-77@shop.test> <kettle-1@customer.test>"
    assert sent["Message-ID"].startswith(f"<rapport.{received.conversation_id}.")
    assert smtp_relay.envelopes[0].mail_from == "help@shop.test"
    assert smtp_relay.envelopes[0].rcpt_tos == ["jo@customer.test"]
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in sent.get_payload()}
    assert "Sorry about that: a new kettle ships today." in parts["text/plain"]
    assert "a new kettle ships today" in parts["text/html"]


def test_an_admin_connects_an_sms_inbox_through_the_admin_page(new_page, db, world):
    """Admin > Inboxes > New inbox: the settings follow the channel, a wrong SID is named next to its field
    without a reload, and the saved inbox shows its connection and webhook URL but never its auth token."""
    page = new_page()
    sign_in(page, *ADA)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Inboxes").click()
    expect(page.get_by_role("heading", name="Inboxes")).to_be_visible()
    page.get_by_role("link", name="New inbox").click()
    expect(page).to_have_url(re.compile(r"/admin/inboxes/new$"))
    page.evaluate("window.__marker = 1")  # survives only if the page is never fully reloaded
    page.get_by_label("Name (required)").fill("Texts")
    page.get_by_label("Channel").select_option("sms")
    expect(page.get_by_label("Account SID")).to_be_visible()  # the settings part followed the channel
    expect(page.get_by_label("Server")).to_have_count(0)
    page.get_by_label("Address or number").fill("+4915112345678")
    page.get_by_label("Team").select_option(label="Support")
    page.get_by_label("Account SID").fill("AC123")
    page.get_by_label("Auth token").fill("tw-secret-token-42")
    page.get_by_label("Phone number").fill("+4915112345678")
    page.get_by_role("button", name="Create inbox").click()
    error = page.locator("#s-account-sid-error")
    expect(error).to_contain_text("AC followed by 32 characters")
    expect(page.get_by_label("Account SID")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Account SID")).to_be_focused()
    assert page.evaluate("window.__marker") == 1
    shot(page, "admin-inbox-error")
    with db.read() as s:
        assert s.scalar(select(Inbox.id).where(Inbox.name == "Texts")) is None

    page.get_by_label("Account SID").fill(TWILIO_SID)
    page.get_by_label("Auth token").fill("tw-secret-token-42")  # secrets are never sent back into the page
    page.get_by_role("button", name="Create inbox").click()
    expect(page.locator("#alerts")).to_contain_text("Created the inbox 'Texts'.")
    expect(page.locator(".state.ready")).to_have_text("Connected")
    assert page.evaluate("window.__marker") == 1
    with db.read() as s:
        inbox = s.scalar(select(Inbox).where(Inbox.name == "Texts"))
    assert inbox.settings["auth_token"] == "tw-secret-token-42" and inbox.team_id == world.team.id
    expect(page).to_have_url(re.compile(rf"/admin/inboxes/{inbox.id}$"))
    expect(page.locator(".connect")).to_contain_text(f"/channels/twilio/sms/{inbox.id}/inbound")
    assert "tw-secret-token-42" not in page.content()
    shot(page, "admin-inbox-created")
    page.get_by_role("link", name="Inboxes").first.click()
    expect(page.get_by_role("row", name=re.compile("Texts"))).to_contain_text("Connected")

"""The chat widget's email confirmation in a real browser: give an address, type the mailed code, see the history."""

from __future__ import annotations

import re
import time

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from tests.conftest import SmtpInbox, free_port

pytestmark = pytest.mark.browser
KEY = "pk_browser_code_0123456789"
OPEN_SHADOW = (
    "const attach = Element.prototype.attachShadow;"
    "Element.prototype.attachShadow = function (init) { return attach.call(this, { ...init, mode: 'open' }); };"
)


@pytest.fixture
def mail_catcher(monkeypatch):
    """A real SMTP server the app's worker (in the server process) sends to: set before `server` starts."""
    port = free_port()
    received = SmtpInbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("RAPPORT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RAPPORT_SMTP_PORT", str(port))
    yield received
    controller.stop()


def test_the_widget_confirms_an_address_by_the_mailed_code(mail_catcher, new_page, db, world, server):
    with db.write() as s:
        inboxes.create(
            s, SYSTEM, name="Web chat", channel="chat", settings={"public_key": KEY, "allowed_origins": [server]}
        )
        receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=world.email_inbox.id,
                sender_kind="email",
                sender_address="pat@example.net",
                subject="Kettle",
                text="Earlier, by email: my kettle leaks",
            ),
        )
    page = new_page(viewport=(390, 844))
    page.add_init_script(OPEN_SHADOW)
    page.goto(f"/chat/demo?key={KEY}")
    page.get_by_role("button", name="Chat with us").click()
    page.locator("#rc-text").fill("Hello from the chat")
    page.locator("#rc-text").press("Enter")
    expect(page.locator(".log")).to_contain_text("Hello from the chat")
    page.locator("#rc-email").fill("pat@example.net")  # nobody is online: the widget offers email
    page.get_by_role("button", name="Continue by email").click()
    expect(page.locator("#rc-code")).to_be_visible()
    for _ in range(200):  # the server's worker sends the mail after commit
        if mail_catcher.messages:
            break
        time.sleep(0.05)
    body = mail_catcher.messages[-1].get_payload(decode=True).decode()
    code = re.search(r"Your code: (\d{6})", body).group(1)
    page.locator("#rc-code").fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".notice")).to_contain_text("confirmed")
    expect(page.locator(".log")).to_contain_text("Earlier, by email: my kettle leaks")
    expect(page.locator("#rc-code")).to_be_hidden()

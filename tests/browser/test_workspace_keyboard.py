"""The workspace by keyboard alone: assign from the inbox and the conversation, mention an agent, reply."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in
from tests.browser.test_workspace import ALEX, email_conversation

pytestmark = pytest.mark.browser


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_assign_to_me_from_the_inbox_by_keyboard(new_page, db, world):
    """j selects the row, Tab reaches its "Assign to me", Enter assigns; the row then names the agent."""
    cid = email_conversation(db, world)
    page = new_page()
    sign_in(page, *ALEX)
    page.keyboard.press("j")
    row = page.locator(f'[data-href="/conversations/{cid}"]')
    expect(row.locator("a")).to_be_focused()
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="Assign to me")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f'[data-href="/conversations/{cid}"] .assignee-cell')).to_have_text("Alex Agent")
    expect(page.locator('[data-view-key="mine"] .count')).to_have_text("1")


def test_reply_with_a_mention_and_assign_by_keyboard(new_page, db, world):
    """n opens a note; @ lists agents, Enter inserts the handle; Ctrl+Enter sends; Tab reaches Assign to me."""
    cid = email_conversation(db, world)
    page = new_page()
    sign_in(page, *ALEX)
    page.goto(f"/conversations/{cid}")
    expect(page.locator("body[data-live=ready]")).to_have_count(1)
    page.keyboard.press("n")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type("Could you check the courier, @b")
    options = page.locator("#mention-list [role=option]:visible")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Bo Agent")
    expect(page.locator("#reply-text")).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    shot(page, "mention-autocomplete")
    page.keyboard.press("Enter")
    expect(page.locator("#mention-list")).to_be_hidden()
    expect(page.locator("#reply-text")).to_have_value("Could you check the courier, @bo ")
    page.keyboard.type("please?")
    page.keyboard.press("Control+Enter")
    note = page.locator("#timeline .msg.note")
    expect(note).to_contain_text("Could you check the courier, @bo please?")
    expect(note.locator(".who")).to_contain_text("Alex Agent")  # the author, not a channel
    expect(note.locator(".channel-tag")).to_have_count(0)

    page.keyboard.press("Escape")  # leave the composer, then r switches to a reply
    page.keyboard.press("r")
    page.keyboard.type("We have asked the courier.")
    page.keyboard.press("Control+Enter")
    reply = page.locator("#timeline .msg.outbound")
    expect(reply).to_contain_text("We have asked the courier.")
    expect(reply.locator(".who strong")).to_have_text("Alex Agent")  # the agent's name instead of "Reply"

    tab_to(page, "button.assign-me")
    page.keyboard.press("Enter")
    expect(page.locator('[data-head="assignee"]')).to_have_text("Alex Agent")
    expect(page.locator("#a-assignee")).to_have_value(str(world.agent.id))


def test_customer_name_opens_the_profile(new_page, db, world):
    """The conversation names its customer as a link to their profile."""
    cid = email_conversation(db, world)
    page = new_page()
    sign_in(page, *ALEX)
    page.goto(f"/conversations/{cid}")
    page.locator("#thread-head").get_by_role("link", name="Jo Customer").click()
    page.wait_for_url("**/customers/*")
    expect(page.get_by_role("heading", name="Jo Customer")).to_be_visible()

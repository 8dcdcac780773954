"""Notifications in a real browser: the badge updates live while another agent assigns and mentions; the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in
from tests.browser.test_workspace import ADA, ALEX, email_conversation

pytestmark = pytest.mark.browser


def test_badge_updates_live_when_another_agent_assigns_and_mentions(new_page, db, world):
    """Alex keeps the inbox open; Ada assigns him a conversation and mentions him; his badge counts up, no reload."""
    cid = email_conversation(db, world)
    alex, ada = new_page(), new_page()
    sign_in(alex, *ALEX)
    expect(alex.locator("body[data-live=ready]")).to_have_count(1)
    expect(alex.get_by_role("link", name="Notifications, none unread")).to_be_visible()
    alex.evaluate("window.__marker = 1")  # survives only if the page is not reloaded

    sign_in(ada, *ADA)
    ada.goto(f"/conversations/{cid}")
    ada.get_by_label("Assignee").select_option(label="Alex Agent")
    ada.get_by_role("button", name="Save changes").click()
    expect(ada.locator("#panel .notice")).to_have_text("Saved.")
    expect(alex.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()

    ada.get_by_label("Internal note").check()
    ada.get_by_label(re.compile("^Message")).fill("@alex could you call the courier?")
    ada.get_by_role("button", name="Send").click()
    expect(ada.locator("#timeline .msg.note")).to_contain_text("could you call the courier?")
    expect(alex.locator("#notification-count .badge-count")).to_have_text("2")
    assert alex.evaluate("window.__marker") == 1
    shot(alex, "notifications-badge")

    alex.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(alex.get_by_role("heading", name="Notifications")).to_be_visible()
    items = alex.locator(".notification.unread")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Ada Admin mentioned you")
    expect(items.nth(1)).to_contain_text("Ada Admin assigned you")
    shot(alex, "notifications-page")
    items.first.get_by_role("link").click()
    alex.wait_for_url(f"**/conversations/{cid}")
    expect(alex.get_by_role("link", name="Notifications, none unread")).to_be_visible()  # both were about it


def test_the_page_shows_a_customer_reply_live_and_marks_all_read(new_page, db, world):
    """On the notifications page (no inbox open) a customer's reply appears by itself; Mark all read clears it."""
    cid = email_conversation(db, world)
    alex, ada = new_page(), new_page()
    sign_in(alex, *ALEX)
    alex.goto("/notifications")
    expect(alex.get_by_text("No notifications yet")).to_be_visible()
    expect(alex.locator("body[data-live=ready]")).to_have_count(1)
    sign_in(ada, *ADA)
    ada.goto(f"/conversations/{cid}")
    ada.get_by_label("Assignee").select_option(label="Alex Agent")
    ada.get_by_role("button", name="Save changes").click()
    expect(alex.locator(".notification.unread")).to_have_count(1)
    email_conversation(db, world, text="Any news about my parcel?")  # the customer writes again
    expect(alex.locator(".notification.unread").first).to_contain_text("Jo Customer replied on")
    expect(alex.locator("#notification-count .badge-count")).to_have_text("2")
    alex.get_by_role("button", name="Mark all read").click()
    expect(alex.get_by_role("status")).to_have_text("Marked 2 notifications read.")
    expect(alex.locator(".notification.unread")).to_have_count(0)
    expect(alex.get_by_role("link", name="Notifications, none unread")).to_be_visible()
    shot(alex, "notifications-read")

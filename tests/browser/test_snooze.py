"""Snooze by keyboard alone, on a laptop and a phone: open a conversation from the inbox (j, Enter), Tab to a Snooze
preset, Enter; it leaves the inbox and sits in Snoozed; Unsnooze brings it back. Every page on the way fits the
screen, logs no console error and has no serious axe-core violation; screenshots under test-artifacts/pages/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, watch
from tests.browser.test_workspace import ALEX, email_conversation
from tests.browser.test_workspace_keyboard import tab_to

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_snooze_and_unsnooze_by_keyboard(new_page, db, world, viewport):
    cid = email_conversation(db, world)
    row = f'[data-href="/conversations/{cid}"]'
    page = new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    watch(page, errors)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    sign_in(page, *ALEX)

    page.keyboard.press("j")  # the first row
    expect(page.locator(f"{row} a")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/conversations/{cid}")
    expect(page.locator("body[data-live=ready]")).to_have_count(1)
    check(page, "snooze-control", viewport, found, summary)

    tab_to(page, 'button[name="preset"][value="tomorrow"]', limit=150)
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox/all")
    expect(page.locator("#alerts")).to_contain_text(f"Snoozed #{cid} until")
    expect(page.locator(row)).to_have_count(0)
    expect(page.locator('[data-view-key="snoozed"] .count')).to_have_text("1")
    check(page, "snooze-inbox-after", viewport, found, summary)

    page.goto("/inbox/snoozed")
    expect(page.locator(row)).to_have_count(1)
    check(page, "snoozed-view", viewport, found, summary)

    page.goto(f"/conversations/{cid}")
    expect(page.locator("[data-snoozed]")).to_contain_text("Snoozed until")
    expect(page.locator("#timeline")).to_contain_text("snoozed it until")
    check(page, "snoozed-conversation", viewport, found, summary)
    tab_to(page, 'form[action$="/unsnooze"] button', limit=150)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/conversations/{cid}")
    expect(page.locator("[data-snoozed]")).to_have_count(0)
    page.goto("/inbox/all")
    expect(page.locator(row)).to_have_count(1)

    page.goto("/inbox/all?sort=priority")
    expect(page.locator('nav.sort a[aria-current="true"]')).to_have_text("Priority")
    check(page, "inbox-by-priority", viewport, found, summary)

    found.setdefault("console", []).extend(errors)
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

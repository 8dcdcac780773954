"""The command palette by keyboard: Ctrl+K, a number or a name, Enter; axe-clean and within a phone's width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in
from tests.browser.test_pages_quality import AXE, SERIOUS, VIEWPORTS
from tests.browser.test_workspace import ALEX, email_conversation

pytestmark = pytest.mark.browser


def _axe_serious(page) -> list:
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => [v.impact, v.id]))"
    )
    return [v for v in found if v[0] in SERIOUS]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_ctrl_k_jumps_to_a_conversation_by_number(new_page, db, world, viewport):
    cid = email_conversation(db, world)
    page = new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, *ALEX)
    page.goto("/customers")
    page.keyboard.press("Control+k")
    expect(page.locator("#palette-q")).to_be_focused()
    expect(page.locator("#palette-list [role=option]").first).to_be_visible()  # pages and views before typing
    page.keyboard.type(f"#{cid}")
    first = page.locator("#palette-list [role=option]").first
    expect(first).to_contain_text(f"#{cid}")
    expect(first).to_have_attribute("aria-selected", "true")
    assert _axe_serious(page) == []
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"scrolls horizontally: {width}"
    shot(page, f"palette-{viewport}")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('/customers')[0]}/conversations/{cid}")
    assert errors == []


def test_arrows_choose_and_escape_closes(new_page, db, world):
    email_conversation(db, world)
    page = new_page()
    sign_in(page, *ALEX)
    page.keyboard.press("Control+k")
    page.keyboard.type("inbox")
    options = page.locator("#palette-list [role=option]")
    expect(options.first).to_contain_text("Inbox")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#palette-q")).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    page.keyboard.press("Escape")
    expect(page.locator("#palette")).to_be_hidden()

"""The composer's macro picker by keyboard alone, on a laptop and a phone: "/" in the empty message box opens it,
typing filters, the arrow keys move and show each macro's preview, Enter picks and Enter on Apply applies it (the
reply and the change appear on the timeline); Escape closes it and gives the focus back to the message box. No
console error, no horizontal scroll, no serious axe-core violation; screenshots under test-artifacts/pages/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from rapport.kernel.permissions import SYSTEM
from rapport.macros import service as macros
from tests.browser.conftest import sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, watch
from tests.browser.test_workspace import ALEX, email_conversation

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pick_preview_and_apply_a_macro_by_keyboard(new_page, db, world, viewport):
    cid = email_conversation(db, world)
    with db.write() as s:
        macros.create(
            s,
            SYSTEM,
            name="Ask for the order number",
            visibility="shared",
            body="Hi {{ customer.first_name }}, which order is it?",
            changes={"status": "pending"},
        )
        macros.create(
            s,
            SYSTEM,
            name="Parcel on its way",
            visibility="shared",
            body="Hi {{ customer.first_name }}, parcel #{{ conversation.number }} is on its way.",
            note="Checked with the carrier",
            changes={"priority": "high", "add_tags": ["where-is-my-order"]},
        )
    # fmt: skip
    page = new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    watch(page, errors)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    sign_in(page, *ALEX)
    page.goto(f"/conversations/{cid}")
    expect(page.locator("body[data-live=ready]")).to_have_count(1)

    box = page.locator("#reply-text")
    box.focus()
    page.keyboard.press("/")
    dialog = page.locator("#macro-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#macro-q")).to_be_focused()
    expect(page.locator("#macro-list [role=option]")).to_have_count(2)
    expect(page.locator("#macro-preview")).to_contain_text("Hi Jo, which order is it?")
    check(page, "macro-picker", viewport, found, summary)

    page.keyboard.press("ArrowDown")
    expect(page.locator('#macro-list [aria-selected="true"]')).to_contain_text("Parcel on its way")
    expect(page.locator("#macro-preview")).to_contain_text(f"parcel #{cid} is on its way")
    expect(page.locator("#macro-preview")).to_contain_text("normal → high")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(box).to_be_focused()
    assert box.input_value() == ""
    page.keyboard.press("/")
    page.keyboard.press("/")  # twice: the message starts with a slash
    expect(dialog).to_be_hidden()
    expect(box).to_have_value("/")

    # axe-core (in check) leaves style attributes on the inputs it looked at, which htmx's settle would then copy
    # onto the swapped-in elements against the page's CSP: a fresh page before the live swaps.
    page.reload()
    expect(page.locator("body[data-live=ready]")).to_have_count(1)
    box.focus()
    page.keyboard.press("/")
    page.keyboard.type("parcel")
    expect(page.locator("#macro-list [role=option]")).to_have_count(1)
    expect(page.locator("#macro-preview")).to_contain_text("Checked with the carrier")
    page.keyboard.press("Enter")
    expect(page.locator("[data-macro-apply]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#macro-done")).to_have_text("Applied the macro “Parcel on its way”.")
    expect(page.locator("#timeline")).to_contain_text(f"parcel #{cid} is on its way")
    expect(page.locator("#timeline")).to_contain_text("applied the macro 'Parcel on its way'")
    check(page, "macro-applied", viewport, found, summary)

    page.goto("/macros")
    expect(page.locator("table.macro-table")).to_contain_text("Parcel on its way")
    check(page, "macro-list", viewport, found, summary)
    page.goto("/macros/new")
    check(page, "macro-editor", viewport, found, summary)

    found.setdefault("console", []).extend(errors)
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

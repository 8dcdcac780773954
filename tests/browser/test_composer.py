"""The composer by keyboard alone, on a laptop and a phone: Cc and Bcc, bold, italic and a link by their shortcuts
(Ctrl+K makes a link, not the Go-to palette), a list from the toolbar (one tab stop, arrows move, aria-pressed
follows the caret), a signature left off, Send; the timeline shows the formatting and the copies. A note hides the
email-only fields; z and the header's Snooze link reach the snooze choices, Enter snoozes. Every state fits the
screen, logs no console error and has no serious axe-core violation; screenshots under test-artifacts/pages/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rapport.agents import service as agents
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Message
from tests.browser.conftest import sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, watch
from tests.browser.test_workspace import ALEX, email_conversation
from tests.browser.test_workspace_keyboard import tab_to

pytestmark = pytest.mark.browser
TYPED = "Hello **world** and _soon_\n[the guide](https://shop.test/guide)\n- unpack\n- plug in\n"


def back_to(page, selector: str, limit: int = 20) -> None:
    """Press Shift+Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab")
    raise AssertionError(f"Shift+Tab never reached {selector}")


def measured(page, name: str, viewport: str, found: dict, summary: dict) -> None:
    """`check` the page, then take away the empty style attributes its screenshot leaves on every input (Playwright
    hides the caret that way): htmx would copy them onto the next swap's inputs, a CSP error the app never makes."""
    check(page, name, viewport, found, summary)
    page.evaluate("document.querySelectorAll('[style=\"\"]').forEach((e) => e.removeAttribute('style'))")


def pressed(page, name: str) -> str | None:
    """The aria-pressed of the toolbar's `name` button."""
    return page.locator(f'[data-format="{name}"]').get_attribute("aria-pressed")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_compose_format_copy_and_snooze_by_keyboard(new_page, db, world, viewport):
    cid = email_conversation(db, world)
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.agent.id, signature="Alex from **Support**")
        inboxes.update(s, SYSTEM, world.email_inbox.id, signature="Shop Ltd")
    page = new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    watch(page, errors)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    sign_in(page, *ALEX)
    page.goto(f"/conversations/{cid}")
    expect(page.locator("body[data-live=ready]")).to_have_count(1)
    expect(page.locator("[data-format-toolbar]")).to_be_visible()
    expect(page.locator(".signature-preview").first).to_contain_text("Alex from Support")

    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    back_to(page, "#reply-bcc")
    page.keyboard.type("audit@shop.test")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#reply-cc")).to_be_focused()
    page.keyboard.type("boss@shop.test")
    tab_to(page, "#reply-text", limit=10)

    page.keyboard.type("Hello ")
    page.keyboard.press("Control+b")
    page.keyboard.type("world")
    expect(page.locator('[data-format="bold"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("End")
    page.keyboard.type(" and ")
    assert pressed(page, "bold") == "false"
    page.keyboard.press("Control+i")
    page.keyboard.type("soon")
    assert pressed(page, "italic") == "true"
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("https://shop.test/guide")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Control+k")
    expect(page.locator("#palette[open]")).to_have_count(0)  # in the composer Ctrl+K is a link
    page.keyboard.type("the guide")
    page.keyboard.press("End")
    page.keyboard.press("Enter")

    back_to(page, "[data-format-toolbar] [data-format]", limit=3)  # the toolbar is one tab stop
    expect(page.locator('[data-format-toolbar] [tabindex="0"]')).to_have_count(1)
    page.keyboard.press("End")
    expect(page.locator('[data-format="quote"]')).to_be_focused()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(page.locator('[data-format="bullets"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#reply-text")).to_be_focused()
    assert pressed(page, "bullets") == "true"
    page.keyboard.type("unpack")
    page.keyboard.press("Enter")  # the next item
    page.keyboard.type("plug in")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # an empty item ends the list
    expect(page.locator("#reply-text")).to_have_value(TYPED)
    measured(page, "composer-formatted", viewport, found, summary)

    tab_to(page, 'input[name="sign"][value="inbox"]', limit=10)
    page.keyboard.press("Space")
    expect(page.locator('input[name="sign"][value="inbox"]')).not_to_be_checked()
    tab_to(page, "#composer button.primary", limit=10)
    page.keyboard.press("Enter")
    sent = page.locator("#timeline li.outbound").last
    expect(sent.locator("[data-recipients]")).to_have_text("Cc: boss@shop.test · Bcc: audit@shop.test")
    expect(sent.locator(".body strong").first).to_have_text("world")
    expect(sent.locator('.body a[href="https://shop.test/guide"]')).to_have_text("the guide")
    expect(sent.locator(".body li")).to_have_count(2)
    expect(sent.locator(".body")).to_contain_text("Alex from Support")
    expect(sent.locator(".body")).not_to_contain_text("Shop Ltd")
    expect(page.locator("#reply-cc")).to_have_value("")  # the form is ready for the next reply
    measured(page, "composer-sent", viewport, found, summary)
    with db.read() as s:
        outbound = select(Message).where(Message.conversation_id == cid, Message.direction == "outbound")
        message = s.scalars(outbound).one()
    assert message.meta["email"]["cc"] == ["boss@shop.test"] and message.meta["signatures"] == ["personal"]
    assert message.body_text.startswith("Hello world and soon\nthe guide (https://shop.test/guide)\n- unpack")

    page.keyboard.press("Escape")
    page.keyboard.press("n")  # a note: no copies, no signature
    expect(page.locator("#reply-cc")).to_be_hidden()
    expect(page.locator(".composer .signatures")).to_be_hidden()
    page.keyboard.press("Escape")

    page.keyboard.press("z")
    expect(page.locator('#panel .snooze button[name="preset"]').first).to_be_focused()
    measured(page, "snooze-by-z", viewport, found, summary)
    page.reload()
    expect(page.locator("body[data-live=ready]")).to_have_count(1)
    tab_to(page, "[data-snooze-jump]", limit=60)
    page.keyboard.press("Enter")
    first = page.locator('#panel .snooze button[name="preset"]').first
    expect(first).to_be_focused()
    label = first.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox/all")
    expect(page.locator("#alerts")).to_contain_text(f"Snoozed #{cid} until")
    assert label

    found.setdefault("console", []).extend(errors)
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

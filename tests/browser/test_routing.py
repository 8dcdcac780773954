"""Routing in a real browser, on a laptop and a phone: an admin routes the team and sets an agent's capacity and
skills through the forms; an agent reaches "Next best" from the keyboard (Tab, and its shortcut g then n) and lands on
the conversation it claimed.
Every page fits the screen (the top bar too), logs no console error and has no serious axe violation."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.kernel.permissions import SYSTEM
from rapport.routing import service
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, visit, watch

pytestmark = pytest.mark.browser
ADA = ("ada@example.com", "correct horse battery")
ALEX = ("alex@example.com", "agent password 1")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_routing_pages_meet_the_bar_and_work(new_page, db, world, server, viewport):
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    with db.write() as s:
        service.create_skill(s, SYSTEM, name="de", kind="language")
        conv = receive_inbound(
            s, SYSTEM, Inbound(world.email_inbox.id, "email", "jo@customer.test", text="Hi")
        ).conversation_id
        second = receive_inbound(
            s, SYSTEM, Inbound(world.email_inbox.id, "email", "sam@customer.test", text="Hello")
        ).conversation_id
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, *ADA)
    visit(page, "routing-empty", "/admin/routing", viewport, found, summary)

    # A refused form answers 422, which the browser logs as an error: that step runs before errors are collected.
    page.goto(f"/admin/routing/agents/{world.agent.id}")
    page.get_by_label("Capacity").fill("0")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#agent-capacity-error")).to_contain_text("Capacity must be a whole number from 1")

    errors: list[str] = []
    page.goto("/admin/routing")
    watch(page, errors)
    page.get_by_label("Team or inbox").select_option(f"team:{world.team.id}")
    page.get_by_label("Mode").select_option("balanced")
    page.get_by_label("Spillover after (minutes)").fill("15")
    page.get_by_role("button", name="Save routing").click()
    expect(page.locator("#queues-title + table")).to_contain_text("15 min, then every agent")
    page.get_by_role("link", name="Alex Agent").click()
    page.get_by_label("Capacity").fill("4")
    page.get_by_label("phone weight").fill("3")
    page.get_by_label("de").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#agents-title + .table-scroll")).to_contain_text("0 / 4")
    found["console"] = errors
    check(page, "routing", viewport, found, summary)
    visit(page, "routing-agent", f"/admin/routing/agents/{world.agent.id}", viewport, found, summary)

    agent = new_page(viewport=VIEWPORTS[viewport])
    sign_in(agent, *ALEX)
    watch(agent, found.setdefault("agent-console", []))
    button = agent.get_by_role("button", name="Next best conversation")
    for _ in range(30):  # keyboard reachable: Tab gets there
        agent.keyboard.press("Tab")
        if agent.evaluate("document.activeElement?.closest('form.next-best') !== null"):
            break
    expect(button).to_be_focused()
    agent.keyboard.press("Enter")
    agent.wait_for_url(f"**/conversations/{conv}")
    expect(agent.locator("#alerts")).to_contain_text(f"Conversation {conv} is yours")
    check(agent, "next-best", viewport, found, summary)
    agent.locator("body").click(position={"x": 1, "y": 300})  # out of any field: shortcuts are for the page
    agent.keyboard.press("g")
    agent.keyboard.press("n")
    agent.wait_for_url(f"**/conversations/{second}")
    expect(agent.locator("#alerts")).to_contain_text(f"Conversation {second} is yours")
    agent.get_by_label("de (language)").select_option("required")  # the panel's Skills control
    agent.get_by_role("button", name="Save skills").click()
    expect(agent.locator("#alerts")).to_contain_text("Skills saved")
    expect(agent.get_by_label("de (language)")).to_have_value("required")
    check(agent, "conversation-skills", viewport, found, summary)

    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pages" / f"axe-summary-routing-{viewport}.json").write_text(json.dumps(summary, indent=1))
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

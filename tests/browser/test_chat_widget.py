"""The chat widget in a real browser, on a laptop and a phone: "Talk to a person" shows the place in the queue and
the expected wait at once, then who joined; the agent's typing and name; a modal dialog worked by keyboard alone
(focus trapped, Escape closes and returns to the launcher); the inbox's colours; no console error; axe clean.

Screenshots go to test-artifacts/chat-widget/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from rapport.conversations import human
from rapport.conversations import service as conversations
from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.clock import now
from rapport.models import Agent, Conversation
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_pages_quality import AXE, SERIOUS, VIEWPORTS, watch
from tests.browser.test_workspace import ALEX, OPEN_SHADOW

pytestmark = pytest.mark.browser
KEY = "pk_browser_widget_0123456789"
OUT = ARTIFACTS / "chat-widget"
ACCENT, ON_ACCENT = "#0a5c36", "#ffffff"
ACTIVE = "document.querySelector('[data-rapport-chat]').shadowRoot.activeElement"


def seed(db, world, server, *, online: bool = True) -> None:
    """A themed chat inbox; one answered request (a 2-minute wait) and two visitors already waiting."""
    with db.write() as s:
        inbox = inboxes.create(
            s,
            SYSTEM,
            name="Web chat",
            channel="chat",
            settings={"public_key": KEY, "allowed_origins": [server], "theme": {"accent": ACCENT, "text": ON_ACCENT}},
        )
        alex = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)
        for n in range(3):
            got = receive_inbound(s, SYSTEM, Inbound(inbox.id, "chat", f"visitor-{n}", text="A person please"))
            human.request_human(s, SYSTEM, got.conversation_id, channel="chat", via="chat_button")
            s.flush()
            s.get(Conversation, got.conversation_id).human_requested_at = now() - timedelta(minutes=2 + n)
            if n == 0:
                s.flush()
                conversations.reply(s, alex, got.conversation_id, text="Hello")
        if online:
            s.get(Agent, world.agent.id).availability = "online"


def active(page) -> str:
    """The class of the focused control inside the widget ('' outside it)."""
    return page.evaluate(f"({ACTIVE} || {{}}).className || ''")


def axe(page) -> list[str]:
    """Serious or critical axe-core violations on the page (the widget's open shadow root included), and any of the
    `region` rule: the widget is a landmark of its own on whatever page embeds it."""
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target)})))"
    )
    return [f"{v['impact']} {v['id']} {v['targets']}" for v in found if v["impact"] in SERIOUS or v["id"] == "region"]


def shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_talk_to_a_person_by_keyboard_shows_the_queue_then_who_joined(new_page, db, world, server, viewport):
    seed(db, world, server)
    page = new_page(viewport=VIEWPORTS[viewport])
    page.add_init_script(OPEN_SHADOW)
    errors: list[str] = []
    watch(page, errors)
    page.goto(f"/chat/demo?key={KEY}")
    launcher = page.get_by_role("button", name="Chat with us")
    # The inbox's colours reach the launcher through the CSS custom properties.
    expect(launcher).to_have_css("background-color", "rgb(10, 92, 54)")
    page.keyboard.press("Tab")
    assert active(page) == "open"
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Chat with us")
    expect(dialog).to_be_visible()
    assert active(page) == "" or page.evaluate(f"{ACTIVE}.id") == "rc-text"
    # Tab goes round the dialog's controls and never leaves it, both ways.
    seen = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate(f"!!{ACTIVE} && !!{ACTIVE}.closest('[role=dialog]')"), "focus left the dialog"
        seen.add(active(page) or page.evaluate(f"{ACTIVE}.id"))
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(f"!!{ACTIVE} && !!{ACTIVE}.closest('[role=dialog]')"), "focus left the dialog"
    assert {"secondary close", "secondary person", "rc-text"} <= seen
    for _ in range(12):  # to "Talk to a person", by keyboard
        if "person" in active(page):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    status = dialog.get_by_role("status")
    expect(status).to_contain_text("You are number 3 in the queue.")
    expect(status).to_contain_text(re.compile(r"Expected wait: about \d+ minutes\."))
    assert not axe(page), axe(page)
    shot(page, f"{viewport}-queue")
    assert "person" in active(page)  # the focus stayed where the visitor was

    # An agent answers: the widget says who joined, and names them on the message.
    conv = page.evaluate(
        "fetch(`/chat/api/" + KEY + "/messages`, {headers: {'X-Rapport-Visitor': JSON.parse(localStorage.getItem("
        "Object.keys(localStorage).find(k => k.startsWith('rapport-chat:')))).token}}).then(r => r.json())"
        ".then(b => b.conversation_id)"
    )
    with db.write() as s:
        alex = Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)
        conversations.reply(s, alex, conv, text="Hi, I can help with that.")
    expect(status).to_contain_text("Alex joined.")
    expect(dialog.locator(".log li").last).to_contain_text("Alex")
    expect(dialog.locator(".log li").last).to_contain_text("Hi, I can help with that.")
    assert not axe(page), axe(page)
    shot(page, f"{viewport}-joined")

    # Escape closes the dialog and gives the focus back to the launcher.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert active(page) == "open"
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert not errors, errors


def test_with_nobody_online_the_widget_offers_email(new_page, db, world, server):
    seed(db, world, server, online=False)
    page = new_page(viewport=VIEWPORTS["phone"])
    page.add_init_script(OPEN_SHADOW)
    errors: list[str] = []
    watch(page, errors)
    page.goto(f"/chat/demo?key={KEY}")
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_role("button", name="Talk to a person").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("You are number 3 in the queue.")
    expect(status).to_contain_text("No one is available right now. Leave your email and we will answer there.")
    expect(page.get_by_label("Your email address")).to_be_visible()
    assert not axe(page), axe(page)
    shot(page, "phone-nobody-online")
    assert not errors, errors


def test_the_agent_typing_in_the_composer_shows_in_the_widget(new_page, db, world, server):
    seed(db, world, server)
    visitor = new_page(viewport=VIEWPORTS["laptop"])
    visitor.add_init_script(OPEN_SHADOW)
    errors: list[str] = []
    watch(visitor, errors)
    visitor.goto(f"/chat/demo?key={KEY}")
    visitor.get_by_role("button", name="Chat with us").click()
    visitor.locator("#rc-text").fill("Where is my parcel?")
    visitor.locator("#rc-text").press("Enter")
    expect(visitor.locator(".log")).to_contain_text("Where is my parcel?")
    with db.read() as s:
        conv = s.query(Conversation.id).order_by(Conversation.id.desc()).first()[0]
    agent = new_page()
    sign_in(agent, *ALEX)
    agent.goto(f"/conversations/{conv}")
    expect(agent.locator("body[data-live=ready]")).to_have_count(1)
    agent.locator("#reply-text").press_sequentially("Let me look", delay=20)
    expect(visitor.locator(".typing")).to_have_text("Alex is typing…")
    shot(visitor, "laptop-typing")
    # The typing stops showing once the reply arrives.
    agent.locator("#reply-text").press("Control+Enter")
    expect(visitor.locator(".log li").last).to_contain_text("Let me look")
    expect(visitor.locator(".typing")).to_have_text("")
    assert not errors, errors

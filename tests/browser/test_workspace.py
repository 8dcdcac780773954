"""The agent workspace in a real browser: sign in, inbox, reply, chat round trip, collision, keyboard, CSRF."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rapport.categories import service as categories
from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation
from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser
ALEX = ("alex@example.com", "agent password 1")
ADA = ("ada@example.com", "correct horse battery")
KEY = "pk_browser_chat_0123456789"
OPEN_SHADOW = (
    "const attach = Element.prototype.attachShadow;"
    "Element.prototype.attachShadow = function (init) { return attach.call(this, { ...init, mode: 'open' }); };"
)


def email_conversation(db, world, text: str = "My parcel never arrived", subject: str = "Parcel") -> int:
    """An email conversation from Jo, written straight through the service."""
    with db.write() as s:
        result = receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=world.email_inbox.id,
                sender_kind="email",
                sender_address="jo@customer.test",
                sender_name="Jo Customer",
                subject=subject,
                text=text,
            ),
        )
    return result.conversation_id


def test_sign_in_and_inbox(new_page, db, world):
    """A signed-out visitor lands on sign-in; a wrong password says so; the right one opens the inbox."""
    cid = email_conversation(db, world)
    page = new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    shot(page, "sign-in")
    page.get_by_label("Email").fill(ALEX[0])
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_contain_text("do not match")
    page.get_by_label("Password").fill(ALEX[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="All")).to_be_visible()
    row = page.locator(f'[data-href="/conversations/{cid}"]')
    expect(row).to_contain_text("Jo Customer")
    expect(page.locator('[data-view-key="unassigned"] .count')).to_have_text("1")
    shot(page, "inbox")
    page.get_by_role("link", name=re.compile("^Mine")).click()
    expect(page.locator(".empty")).to_contain_text("Nothing is assigned to you")


def test_reply_appears_in_timeline(new_page, db, world):
    """An agent replies from the conversation page; the reply shows in the timeline without a reload."""
    cid = email_conversation(db, world)
    page = new_page()
    sign_in(page, *ALEX)
    page.goto(f"/conversations/{cid}")
    expect(page.locator("#channel")).to_have_value("email")
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    page.get_by_label(re.compile("^Message")).fill("We are sending a new parcel today.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline .msg.outbound")).to_contain_text("We are sending a new parcel today.")
    assert page.evaluate("window.__marker") == 1
    shot(page, "conversation")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, the composer still reachable
    page.get_by_label(re.compile("^Message")).scroll_into_view_if_needed()
    expect(page.get_by_label(re.compile("^Message"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    shot(page, "conversation-phone")
    with db.read() as s:
        assert s.get(Conversation, cid).message_count == 2


def test_chat_round_trip(new_page, db, world, server):
    """A visitor writes in the widget; the agent sees it live, answers; the visitor sees the answer live."""
    with db.write() as s:
        inboxes.create(
            s, SYSTEM, name="Web chat", channel="chat", settings={"public_key": KEY, "allowed_origins": [server]}
        )
    agent = new_page()
    sign_in(agent, *ALEX)
    expect(agent.locator("body[data-live=ready]")).to_have_count(1)
    customer = new_page(viewport=(390, 844))
    # The widget's shadow root is closed; open it for the test so locators can reach inside (no behaviour changes).
    customer.add_init_script(OPEN_SHADOW)
    customer.goto(f"/chat/demo?key={KEY}")
    customer.get_by_role("button", name="Chat with us").click()
    expect(agent.locator('[data-view-key="all"] .count')).to_have_text("0")
    customer.locator("#rc-text").fill("Hello, is anyone there?")
    customer.locator("#rc-text").press("Enter")
    # The inbox list refreshes itself when the conversation arrives.
    expect(agent.locator('[data-view-key="all"] .count')).to_have_text("1")  # counts update live
    row = agent.locator("[data-row]").first
    expect(row).to_be_visible()
    row.locator("a").click()
    expect(agent.locator("#timeline .msg.inbound")).to_contain_text("Hello, is anyone there?")
    expect(agent.locator("body[data-live=ready]")).to_have_count(1)
    expect(agent.locator("#channel")).to_have_value("chat")
    customer.locator("#rc-text").fill("My order is late.")
    customer.locator("#rc-text").press("Enter")
    expect(agent.locator("#timeline")).to_contain_text("My order is late.")
    agent.get_by_label(re.compile("^Message")).fill("Hi! Let me check that for you.")
    agent.get_by_role("button", name="Send").click()
    expect(customer.locator(".log")).to_contain_text("Hi! Let me check that for you.")
    shot(customer, "chat-widget")
    shot(agent, "chat-agent")


def test_collision_notice(new_page, db, world):
    """Two agents on one conversation see each other, and that the other is typing."""
    cid = email_conversation(db, world)
    alex, ada = new_page(), new_page()
    sign_in(alex, *ALEX)
    sign_in(ada, *ADA)
    alex.goto(f"/conversations/{cid}")
    expect(alex.locator("body[data-live=ready]")).to_have_count(1)
    ada.goto(f"/conversations/{cid}")
    expect(alex.locator("#collision")).to_contain_text("Ada is viewing this conversation")
    expect(ada.locator("#collision")).to_contain_text("Alex is viewing this conversation")
    ada.get_by_label(re.compile("^Message")).press_sequentially("On it")
    expect(alex.locator("#collision")).to_contain_text("Ada is typing a reply")
    shot(alex, "collision")


def test_keyboard_only_reply(new_page, db, world):
    """Sign in, pick the conversation with j, open it with Enter, reply with r and Ctrl+Enter: no mouse."""
    cid = email_conversation(db, world)
    page = new_page()
    page.goto("/")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus
    page.keyboard.type(ALEX[0])
    page.keyboard.press("Tab")
    page.keyboard.type(ALEX[1])
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox/**")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/conversations/{cid}")
    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#timeline .msg.outbound")).to_contain_text("Typed without a mouse.")


def test_forged_cross_site_post_is_refused(new_page, db, world, server):
    """A page on another site that posts a form to the workspace changes nothing."""
    cid = email_conversation(db, world)
    page = new_page()
    sign_in(page, *ALEX)
    forged = (
        f'<form id=f method=post action="{server}/conversations/{cid}/actions">'
        "<input name=status value=solved><input name=csrf_token value=guess></form>"
        "<script>document.getElementById('f').submit()</script>"
    )
    page.route("http://attacker.test/**", lambda route: route.fulfill(body=forged, content_type="text/html"))
    with page.expect_response(f"{server}/conversations/{cid}/actions") as answer:
        page.goto("http://attacker.test/prize")
    assert answer.value.status == 403
    with db.read() as s:
        assert s.get(Conversation, cid).status == "new"


def test_header_follows_another_agents_changes(new_page, db, world):
    """Ada changes the conversation; Alex's header shows it live, but not while he edits the actions form."""
    cid = email_conversation(db, world)
    with db.write() as s:
        categories.create(s, SYSTEM, name="shipping")
    alex, ada = new_page(), new_page()
    sign_in(alex, *ALEX)
    sign_in(ada, *ADA)
    for page in (alex, ada):
        page.goto(f"/conversations/{cid}")
        expect(page.locator("html[data-ready]")).to_have_count(1)  # scripts initialised, live stream connected
    alex.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    ada.get_by_label("Status").select_option("pending")
    ada.get_by_label("Priority").select_option("urgent")
    ada.get_by_label("Category").select_option("shipping")
    ada.get_by_role("button", name="Save changes").click()
    expect(alex.locator('[data-head="status"]')).to_have_text("pending")
    expect(alex.locator('[data-head="priority"]')).to_have_text("urgent")
    expect(alex.locator('[data-head="category"]')).to_have_text("shipping")
    expect(alex.locator("#a-status")).to_have_value("pending")  # the panel too, as Alex is not editing it
    # While Alex edits the actions form, neither the header nor the form is redrawn under him.
    alex.get_by_label("Add tag").fill("half-typed")
    ada.get_by_label("Assignee").select_option(label="Ada Admin")
    ada.get_by_role("button", name="Save changes").click()
    expect(ada.locator('[data-head="assignee"]')).to_have_text("Ada Admin")
    alex.wait_for_timeout(1000)  # the push has long arrived (Ada's own page shows it)
    expect(alex.locator('[data-head="assignee"]')).to_have_text("nobody")
    expect(alex.get_by_label("Add tag")).to_have_value("half-typed")
    alex.locator("#timeline").click()  # focus leaves the form: the header catches up
    expect(alex.locator('[data-head="assignee"]')).to_have_text("Ada Admin")
    expect(alex.get_by_label("Add tag")).to_have_value("half-typed")  # an unsaved choice is kept
    alex.get_by_label("Add tag").fill("")  # nothing unsaved any more: the next change redraws the panel too
    alex.locator("#timeline").click()
    expect(alex.locator("#a-assignee option:checked")).to_have_text("Ada Admin")
    assert alex.evaluate("window.__marker") == 1
    shot(alex, "conversation-header-live")

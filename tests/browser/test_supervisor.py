"""The supervisor board in a real browser: a chat visitor's request for a person appears live and is reassigned."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rapport.agents import service as agents
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation
from tests.browser.conftest import shot, sign_in
from tests.browser.test_workspace import ALEX, KEY, OPEN_SHADOW, email_conversation

pytestmark = pytest.mark.browser
SAM = ("sam@example.com", "supervisor password 1")
BO = ("bo@example.com", "bo agent password 1")


def test_talk_to_a_person_reaches_the_board_live_and_is_reassigned(new_page, db, world, server):
    """A visitor asks for a person in the chat widget; the open board shows it without a reload; Sam assigns it."""
    with db.write() as s:
        inboxes.create(
            s, SYSTEM, name="Web chat", channel="chat", settings={"public_key": KEY, "allowed_origins": [server]}
        )
        agents.update_agent(s, SYSTEM, world.supervisor.id, password=SAM[1])
        agents.update_agent(s, SYSTEM, world.agent.id, availability="online")
        agents.update_agent(s, SYSTEM, world.agent2.id, password=BO[1])
    board = new_page()
    sign_in(board, *SAM)
    board.get_by_role("link", name="Supervisor").click()
    expect(board.get_by_role("heading", name="Supervisor", exact=True)).to_be_visible()
    expect(board.locator("body[data-live=ready]")).to_have_count(1)
    expect(board.locator("#human-queue")).to_have_count(0)
    expect(board.get_by_text("Nobody is asking for a person right now.")).to_be_visible()
    board.evaluate("window.__marker = 1")  # survives only if the page is not reloaded

    customer = new_page(viewport=(390, 844))
    customer.add_init_script(OPEN_SHADOW)  # the widget's shadow root is closed; open it so locators reach inside
    customer.goto(f"/chat/demo?key={KEY}")
    customer.get_by_role("button", name="Chat with us").click()
    customer.locator("#rc-text").fill("My parcel is lost.")
    customer.locator("#rc-text").press("Enter")
    expect(board.locator('[data-figure="waiting"]')).to_have_text("1")  # the message alone: waiting, not yet human
    customer.get_by_role("button", name="Talk to a person").click()

    row = board.locator("#human-queue tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("chat")
    expect(row).to_contain_text("just now")
    expect(board.locator('[data-figure="human"]')).to_have_text("1")
    assert board.evaluate("window.__marker") == 1
    with db.read() as s:
        conv_id = s.query(Conversation.id).filter(Conversation.human_requested_at.is_not(None)).scalar()
    shot(board, "supervisor-board")

    select = board.get_by_label(f"Assign conversation #{conv_id} to")
    expect(select.locator(f'option[value="agent:{world.agent.id}"]')).to_have_text(re.compile(r"^Alex Agent · online"))
    select.select_option(f"agent:{world.agent.id}")
    row.get_by_role("button", name="Assign").click()
    expect(board.locator("#alerts")).to_contain_text(f"Assigned conversation #{conv_id} to Alex Agent.")
    expect(board.locator("#human-queue tbody tr")).to_contain_text("Alex Agent")
    expect(board.locator(f'[data-agent="{world.agent.id}"]')).to_contain_text("chat 1")
    assert board.evaluate("window.__marker") == 1
    with db.read() as s:
        assert s.get(Conversation, conv_id).assignee_id == world.agent.id
    shot(board, "supervisor-reassigned")
    board.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, wide tables scroll in their card
    assert board.evaluate("document.documentElement.scrollWidth") <= 390
    shot(board, "supervisor-phone")
    board.set_viewport_size({"width": 1280, "height": 720})


def test_the_board_waits_while_the_supervisor_chooses(new_page, db, world):
    """An agent going online reaches the board live, but not while the supervisor's focus is in the board."""
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.supervisor.id, password=SAM[1])
        agents.update_agent(s, SYSTEM, world.agent2.id, password=BO[1])
    cid = email_conversation(db, world)
    board = new_page()
    sign_in(board, *SAM)
    board.goto("/supervisor")
    expect(board.locator("body[data-live=ready]")).to_have_count(1)
    online = board.locator('[data-figure="online"]')
    expect(online).to_have_text("0 of 4")
    board.get_by_label(f"Assign conversation #{cid} to").focus()  # the supervisor is about to choose an assignee
    bo = new_page()
    sign_in(bo, *BO)
    bo.goto("/profile")
    bo.get_by_label("online").check()
    bo.get_by_role("button", name="Save", exact=True).click()
    expect(bo.locator("#alerts")).to_contain_text("Profile saved.")
    expect(board.locator("#board-live")).to_contain_text("Live updates wait while you work in the board")
    expect(online).to_have_text("0 of 4")
    expect(board.get_by_label(f"Assign conversation #{cid} to")).to_be_focused()
    board.get_by_role("heading", name="Supervisor", exact=True).click()  # the focus leaves the board
    expect(online).to_have_text("1 of 4")
    expect(board.locator(f'[data-agent="{world.agent2.id}"]')).to_contain_text("online")
    expect(board.locator("#board-live")).to_have_text("Updates live as customers write and agents work.")


def test_agents_have_no_supervisor_menu(new_page, db, world):
    """An agent's menu has no Supervisor entry, and the address answers in plain words."""
    page = new_page()
    sign_in(page, *ALEX)
    expect(page.get_by_role("link", name="Inbox")).to_be_visible()
    expect(page.get_by_role("link", name="Supervisor")).to_have_count(0)
    page.goto("/supervisor")
    expect(page.locator("main")).to_contain_text("needs the role 'supervisor'")

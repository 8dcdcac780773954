"""Service targets in the browser: the inbox's Due column and Due soon view, the conversation's clocks panel and the
board's counts, on a laptop and a phone — no sideways scroll, no console error, axe clean, screenshots."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation
from tests.browser.conftest import sign_in
from tests.browser.test_pages_quality import OUT, VIEWPORTS, visit
from tests.browser.test_workspace import ADA
from tests.sla.clock_rows import Policy, clock

pytestmark = pytest.mark.browser


def seed(db, world) -> dict[str, int]:
    """Three conversations under a policy: one late, one due soon (with a paused resolution), one on track; and
    one without a deadline. The server's clock is the real one, so deadlines are set from it."""
    now = datetime.now(UTC)
    ids = {}
    with db.write() as s:
        p = Policy(s)
        for name, subject, offset in (
            ("late", "Refund still missing after two weeks", -65),
            ("soon", "Cannot sign in to my account since the update", 25),
            ("later", "Question about the invoice address", 240),
            ("none", "Thanks for the quick help", None),
        ):
            got = receive_inbound(
                s,
                SYSTEM,
                Inbound(world.email_inbox.id, "email", f"{name}@customer.example", f"{name.title()} Customer",
                        subject=subject, text=f"{subject}. Please help."),
            )  # fmt: skip
            ids[name] = got.conversation_id
            if offset is None:
                continue
            due = now + timedelta(minutes=offset)
            conv = s.get(Conversation, got.conversation_id)
            conv.sla_due_at, conv.sla_policy_id = due, p.policy.id
            state = "breached" if offset < 0 else "running"
            clock(s, p, conv.id, state=state, due_at=due, warn_at=due - timedelta(minutes=60), started_at=now)
        clock(s, p, ids["soon"], target="resolution", state="paused", target_seconds=86400, calendar_version_id=None,
              spent_seconds=3600, paused_reason="pending", started_at=now)  # fmt: skip
    return ids


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_service_targets_meet_the_bar(new_page, db, world, server, viewport):
    ids = seed(db, world)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, *ADA)

    visit(page, "sla-inbox-sort-due", "/inbox/all?sort=due", viewport, found, summary)
    rows = page.locator("#conversation-list tbody tr")
    expect(rows.first).to_contain_text("Breached")
    expect(rows.first).to_contain_text(re.compile(r"late by 1 h \d+ min"))
    expect(rows.nth(1)).to_contain_text("Due soon")
    expect(rows.nth(1)).to_contain_text(re.compile(r"due in 2\d min"))
    expect(rows.nth(2)).to_contain_text("On track")
    expect(rows.last).to_contain_text("Thanks for the quick help")  # no deadline: last

    visit(page, "sla-inbox-due-soon", "/inbox/due", viewport, found, summary)
    expect(page.locator("#view-title")).to_have_text("Due soon")
    expect(page.locator("#conversation-list tbody tr")).to_have_count(3)

    visit(page, "sla-conversation", f"/conversations/{ids['soon']}", viewport, found, summary)
    panel = page.locator("[data-clocks]")
    expect(panel).to_contain_text("Service targets")
    expect(panel.locator('[data-clock="first_reply"]')).to_contain_text("Due soon")
    expect(panel.locator('[data-clock="resolution"]')).to_contain_text("paused (pending), 23 h left")

    visit(page, "sla-supervisor", "/supervisor", viewport, found, summary)
    expect(page.locator('[data-figure="breached"]')).to_have_text("1")

    page.emulate_media(color_scheme="dark")
    visit(page, "sla-inbox-dark", "/inbox/all?sort=due", viewport, found, summary)
    visit(page, "sla-conversation-dark", f"/conversations/{ids['late']}", viewport, found, summary)

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"axe-summary-sla-{viewport}.json").write_text(json.dumps(summary, indent=1))
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)


def test_deadlines_move_on_while_the_page_is_open(new_page, db, world, server):
    """A deadline's words follow the clock between refreshes: 'due in 25 min' becomes 'late by …', and Breached."""
    ids = seed(db, world)
    page = new_page(viewport=VIEWPORTS["laptop"])
    sign_in(page, *ADA)
    page.clock.install(time=datetime.now(UTC))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/inbox/due")
    row = page.locator(f'tr[data-href="/conversations/{ids["soon"]}"] .due-cell')
    expect(row).to_contain_text("Due soon")
    page.clock.fast_forward("30:00")
    expect(row.locator(".pill")).to_have_text("Breached")
    expect(row.locator("time")).to_have_text(re.compile(r"late by \d+ min"))
    page.goto(f"/conversations/{ids['soon']}")
    first = page.locator('[data-clock="first_reply"]')
    expect(first).to_contain_text(re.compile(r"due in 2\d min"))
    page.clock.fast_forward("31:00")
    expect(first.locator(".pill")).to_have_text("Breached")
    expect(first.locator("time[data-due]")).to_have_text(re.compile(r"late by \d+ min"))
    expect(page.locator('[data-clock="resolution"]')).to_contain_text("paused (pending), 23 h left")  # stands still
    assert errors == []

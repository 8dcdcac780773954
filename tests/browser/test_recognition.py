"""Recognition in a real browser, on a laptop and a phone: the kudos wall (filtered by team), an agent's kudos, the
follow-ups page completing one, the customer profile's past answers, each fitting the screen with no console error
and no serious axe violation; and the kudos notification reaching the agent live."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rapport.events.consumers import run_consumers
from rapport.models import Job, SurveyRequest
from rapport.surveys.send import send as send_now
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, visit, watch
from tests.recognition.conftest import answer
from tests.surveys.conftest import make_survey, solved

pytestmark = pytest.mark.browser
ADA = ("ada@example.com", "correct horse battery")
ALEX = ("alex@example.com", "agent password 1")


def _mailed(db, world, frozen_clock, address: str) -> tuple[int, str]:
    """A survey mailed for a new conversation Alex replied to: (request id, link token)."""
    conv = solved(db, world, address=address)
    with db.read() as s:
        req = s.scalar(select(SurveyRequest).where(SurveyRequest.conversation_id == conv))
    frozen_clock[0] = max(frozen_clock[0], req.due_at)
    with db.write() as s:
        assert send_now(s, req.id) == "sent"
        text = s.scalar(select(Job.payload).where(Job.dedupe_key == f"survey:{req.id}"))["text"]
    return req.id, re.search(rf"/survey/{req.id}/(rsv_[A-Za-z0-9_-]+)\?score=", text).group(1)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_recognition_pages_meet_the_bar(new_page, db, world, frozen_clock, smtp_server, server, viewport):
    run_consumers(db)
    make_survey(db)
    happy = _mailed(db, world, frozen_clock, "jo@customer.test")
    unhappy = _mailed(db, world, frozen_clock, "kim@customer.test")
    answer(db, *happy, csat="5", expectations="3", comment="Alex <b>sorted</b> it in one reply!")
    answer(db, *unhappy, csat="1", expectations="1", comment="Still waiting.")
    run_consumers(db)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    page = new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    watch(page, errors)
    sign_in(page, *ADA)

    visit(page, "kudos-wall", "/kudos", viewport, found, summary)
    expect(page.locator(".kudos-card blockquote")).to_have_text(
        "Alex sorted it in one reply!"
    )  # stored as text, tags dropped
    page.get_by_label("Team").select_option(label="Support")
    page.get_by_label("Period").select_option(label="Last 7 days")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".kudos-card")).to_have_count(1)
    visit(page, "kudos-agent", f"/kudos/agents/{world.agent.id}", viewport, found, summary)
    with db.read() as s:
        customer_id = s.get(SurveyRequest, unhappy[0]).customer_id
    visit(page, "customer-survey-answers", f"/customers/{customer_id}", viewport, found, summary)
    expect(page.locator(".survey-answer")).to_contain_text("CSAT 1/5, expectations failed")

    visit(page, "followups", "/followups", viewport, found, summary)
    recovery = page.locator(".followup", has_text="Recovery follow-up").first
    recovery.get_by_label("Reason").select_option(label="Slow response")
    recovery.get_by_label("Outcome").fill("Called Kim, the parcel is on its way.")
    recovery.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text(re.compile(r"Follow-up \d+ completed\."))).to_be_visible()
    expect(page.locator("section", has_text="Recently done")).to_contain_text("Called Kim")
    check(page, "followups-done", viewport, found, summary)

    found["console"] = errors
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pages" / f"axe-summary-recognition-{viewport}.json").write_text(json.dumps(summary, indent=1))
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)


def test_kudos_reach_the_agent_live(new_page, db, world, frozen_clock, smtp_server, server):
    """Alex keeps the inbox open; a customer praises him in a survey; his badge counts up and the page says why."""
    run_consumers(db)  # the consumers' cursors start here; the server's worker runs them from now on
    make_survey(db)
    request_id, token = _mailed(db, world, frozen_clock, "jo@customer.test")
    alex = new_page()
    sign_in(alex, *ALEX)
    expect(alex.locator("body[data-live=ready]")).to_have_count(1)
    expect(alex.get_by_role("link", name="Notifications, none unread")).to_be_visible()
    answer(db, request_id, token, csat="5", comment="Brilliant help")
    expect(alex.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    alex.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(alex.locator(".notification.unread").first).to_contain_text("Kudos from a customer")
    alex.goto("/kudos/mine")
    expect(alex.locator(".kudos-card blockquote").first).to_have_text("Brilliant help")

"""The survey's thanks page with its offers in a real browser, on a laptop and a phone: the help article's link and
the callback form (labelled fields, one tap sends it, the team's note is made); no console error, no serious axe
violation, no horizontal scroll (screenshots in test-artifacts/pages)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rapport.models import Message
from tests.browser.test_pages_quality import VIEWPORTS, check, watch
from tests.surveys.conftest import sent
from tests.surveys.test_thanks import OFFERS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_thanks_page_offers_an_article_and_a_callback(new_page, db, world, frozen_clock, server, viewport):
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    request_id, token = sent(db, world, frozen_clock, **OFFERS)
    page = new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    watch(page, errors)
    page.goto(f"/survey/{request_id}/{token}?score=2")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_role("link", name="How returns work")).to_have_attribute("href", "/help/returns")
    check(page, "survey-thanks-offers", viewport, found, summary)
    page.reload()  # axe left in a page is not what the customer has
    page.get_by_label("Your phone number").fill("+44 20 7946 0000")
    page.get_by_label("When suits you").fill("Weekday mornings")
    page.get_by_role("button", name="Call me back").click()
    expect(page.get_by_role("status")).to_contain_text("the team has your callback request")
    check(page, "survey-thanks-callback", viewport, found, summary)
    with db.read() as s:
        note = s.scalar(select(Message.body_text).where(Message.direction == "note"))
    assert "Number: +44 20 7946 0000" in note and "Weekday mornings" in note
    found["console"] = errors
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

"""The survey report in a browser, on a laptop and a phone: the slice form, the distributions and intervals, the
comparison tables fit the screen (wide tables scroll inside their own region), log no console error and have no
serious axe violation; screenshots under test-artifacts/pages/."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_pages_quality import VIEWPORTS, visit
from tests.browser.test_workspace import ADA
from tests.surveys.report_data import Sent, lay_down

pytestmark = pytest.mark.browser


def seed(db, world) -> None:
    """Forty-odd answers over two channels, two segments, two agents and four waits; some surveys unanswered."""
    people = (world.agent.id, world.agent2.id)
    surveys = []
    for n in range(48):
        wait = (0.5, 2, 6, 30)[n % 4]
        score = (5, 4, 3, 2)[n % 4] if n % 3 else None  # a third unanswered
        surveys.append(
            Sent(
                csat=score, expectations=None if score is None else (3 if score == 5 else 2 if score > 2 else 1),
                reason="Speed" if score and score >= 4 else None, channel=("email", "sms")[n % 2],
                segment=("Enterprise", "Small business")[n % 5 == 0], assignee_id=people[n % 2], wait_hours=wait,
                days_ago=1 + n % 20,
            )
        )  # fmt: skip
    lay_down(db, world, surveys)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_survey_report_meets_the_bar(new_page, db, world, viewport):
    seed(db, world)
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, *ADA)
    visit(page, "report-surveys", "/reports/surveys", viewport, found, summary)
    expect(page.get_by_role("heading", name="How would you rate the support you received?")).to_be_visible()
    expect(page.get_by_role("table", name="Figures with 95 % intervals").first).to_contain_text("Top-2-box (4–5)")

    # The slice is a GET form: choose a channel and a comparison, and the URL carries them (and the CSV link too).
    page.get_by_label("Channel", exact=True).select_option("sms")
    page.get_by_label("Compare by", exact=True).select_option("wait")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports/surveys?*channel=sms*")
    expect(page.get_by_role("heading", name="By first reply wait")).to_be_visible()
    link = page.get_by_role("link", name="Download this report as CSV")
    assert "channel=sms" in link.get_attribute("href") and "by=wait" in link.get_attribute("href")
    here = urlsplit(page.url)
    visit(page, "report-surveys-sms", f"{here.path}?{here.query}", viewport, found, summary)

    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

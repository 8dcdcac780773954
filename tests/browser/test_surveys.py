"""The customer's survey page in a real browser, on a laptop and a phone: the mailed point preselected, another
chosen by keyboard, one tap sends it, the thanks page, the used link's page; and the admin pages. Every page fits
the screen, logs no console error and has no serious axe violation (screenshots in test-artifacts)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rapport.models import SurveyAnswer
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, visit, watch
from tests.surveys.conftest import sent

pytestmark = pytest.mark.browser
ADA = ("ada@example.com", "correct horse battery")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_survey_page_meets_the_bar_and_answers_in_one_tap(
    new_page, db, world, frozen_clock, smtp_server, server, viewport
):
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    request_id, token = sent(db, world, frozen_clock)
    page = new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    watch(page, errors)

    page.goto(f"/survey/{request_id}/{token}?score=4")
    expect(page.get_by_role("heading", name="How did we do?")).to_be_visible()
    four = page.get_by_role("radio", name="Good", exact=True)
    expect(four).to_be_checked()
    check(page, "survey", viewport, found, summary)
    page.goto(f"/survey/{request_id}/{token}?score=4")  # axe left in a page is not what the customer has
    # Keyboard: the chosen point takes focus, an arrow moves to the next one.
    four.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Very good")).to_be_checked()
    page.get_by_role("radio", name="Exceeded my expectations").check()
    page.get_by_label("Anything else?").fill("Quick and kind.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    check(page, "survey-thanks", viewport, found, summary)
    with db.read() as s:
        got = {a.question: (a.score, a.text) for a in s.scalars(select(SurveyAnswer))}
    assert got == {"csat": (5, None), "expectations": (3, None), "comment": (None, "Quick and kind.")}

    seen = len(errors)
    page.goto(f"/survey/{request_id}/{token}?score=1")
    expect(page.get_by_role("heading", name="You have answered already")).to_be_visible()
    # The refused link's page is answered 410 Gone on purpose; the browser logs that status as an error.
    assert [e for e in errors[seen:] if "410" not in e] == []
    del errors[seen:]
    check(page, "survey-used-link", viewport, found, summary)

    admin = new_page(viewport=VIEWPORTS[viewport])
    sign_in(admin, *ADA)
    visit(admin, "surveys-admin", "/admin/surveys", viewport, found, summary)
    visit(admin, "survey-admin-edit", "/admin/surveys/1", viewport, found, summary)

    found["console"] = errors
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pages" / f"axe-summary-surveys-{viewport}.json").write_text(json.dumps(summary, indent=1))
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

"""The calendar admin pages in a real browser, on a laptop and a phone: a new calendar from the week grid with a
holiday preset (the subdivision list follows the country), an iCal file read and imported with one item left out;
every page fits the screen, logs no console error and has no serious axe violation (screenshots in test-artifacts)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from rapport.kit.clock import now
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, visit, watch
from tests.calendars.helpers import feed

pytestmark = pytest.mark.browser
ADA = ("ada@example.com", "correct horse battery")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_calendar_pages_meet_the_bar_and_work(new_page, db, world, server, viewport, tmp_path):
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, *ADA)
    visit(page, "calendars-empty", "/admin/calendars", viewport, found, summary)
    visit(page, "calendar-new", "/admin/calendars/new", viewport, found, summary)

    # The whole flow runs in one document before axe is injected (axe left in a page disturbs htmx's later swaps).
    errors: list[str] = []
    page.goto("/admin/calendars/new")
    watch(page, errors)
    page.get_by_label("Name").fill("Munich office")
    page.get_by_label("Timezone").select_option("Europe/Berlin")
    page.get_by_label("Monday").fill("09:00-12:00, 13:00-17:30")
    page.get_by_label("Saturday").fill("22:00-06:00")
    page.get_by_label("Country").select_option("DE")
    subdivision = page.get_by_label("Subdivision (state, region)")
    expect(subdivision.locator("option[value=BY]")).to_have_count(1)  # swapped in for Germany
    subdivision.select_option("BY")
    page.get_by_label("Own dates").fill("2026-12-24 closed Christmas Eve")
    page.get_by_role("button", name="Add calendar").click()
    expect(page.get_by_role("heading", name="Munich office", level=1)).to_be_visible()
    expect(page.get_by_label("Monday")).to_have_value("09:00-12:00, 13:00-17:30")
    expect(page.locator(".holiday-list")).to_contain_text("Christmas Day")
    edit = page.url

    ics = tmp_path / "closures.ics"
    soon = (now() + timedelta(days=20)).strftime("%Y%m%d")
    ics.write_text(
        feed(
            f"UID:inventory@example.com\r\nSUMMARY:Inventory day\r\nDTSTART;VALUE=DATE:{soon}",
            f"UID:party@example.com\r\nSUMMARY:Team party\r\nDTSTART;TZID=Europe/Berlin:{soon}T150000\r\n"
            f"DTEND;TZID=Europe/Berlin:{soon}T180000",
        )
    )

    def read_feed() -> None:
        page.get_by_label("iCal file (.ics)").set_input_files(str(ics))
        page.get_by_label("Feed name").fill("Company closures")
        page.get_by_role("button", name="Read the feed").click()
        expect(page.get_by_role("button", name="Import as a new version")).to_be_visible()

    read_feed()
    page.get_by_label("Leave out Team party").check()
    page.get_by_role("button", name="Import as a new version").click()
    expect(page.locator(".feed-dates")).to_contain_text("Inventory day")
    expect(page.locator(".feed-dates")).not_to_contain_text("Team party")
    expect(page.locator("#history-title + table tbody tr")).to_have_count(2)
    found["console"] = errors
    check(page, "calendar-after-import", viewport, found, summary)

    visit(page, "calendar-edit", edit, viewport, found, summary)
    page.goto(edit)
    read_feed()
    check(page, "calendar-feed-items", viewport, found, summary)
    visit(page, "calendars", "/admin/calendars", viewport, found, summary)

    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pages" / f"axe-summary-calendars-{viewport}.json").write_text(json.dumps(summary, indent=1))
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

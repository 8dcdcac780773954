"""The calendar's closures card in a real browser, on a laptop and a phone: a closed day and a span of hours added,
a reversed span refused beside its field, a closure removed; the page fits the screen, logs no console error and
has no serious axe violation (screenshots in test-artifacts)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from rapport.calendars import service
from rapport.kernel.permissions import SYSTEM
from rapport.kit.clock import now
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_pages_quality import VIEWPORTS, check, watch
from tests.calendars.helpers import OFFICE

pytestmark = pytest.mark.browser
ADA = ("ada@example.com", "correct horse battery")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_closures_are_added_refused_and_removed_in_the_page(new_page, db, world, server, viewport):
    with db.write() as s:
        cid = service.create(s, SYSTEM, name="Munich office", spec=OFFICE).id
    day = (now() + timedelta(days=20)).date()
    found: dict[str, list[str]] = {}
    summary: dict[str, list] = {}
    page = new_page(viewport=VIEWPORTS[viewport])
    sign_in(page, *ADA)
    errors: list[str] = []
    page.goto(f"/admin/calendars/{cid}")
    watch(page, errors)
    closures = page.locator(".closure-list li")
    expect(page.get_by_text("No closures to come.")).to_be_visible()

    def add(label: str, start: str, start_time: str = "", end: str = "", end_time: str = "") -> None:
        page.locator("#closure-label").fill(label)
        page.get_by_label("From date").fill(start)
        page.get_by_label("From time").fill(start_time)
        page.get_by_label("To date").fill(end)
        page.get_by_label("To time").fill(end_time)
        page.get_by_role("button", name="Add the closure").click()

    add("Stock-take", day.isoformat())
    expect(page.locator("#alerts")).to_contain_text("Added the closure 'Stock-take'")
    expect(closures).to_have_count(1)
    expect(closures.first).to_contain_text(f"Stock-take: {day:%a %Y-%m-%d} 00:00 to")

    later = day + timedelta(days=3)
    add("Training", later.isoformat(), "14:00", later.isoformat(), "13:00")  # ends before it starts
    error = page.locator("#closure-end-error")
    expect(error).to_have_text("The closure ends before it starts.")
    expect(page.get_by_label("To date")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#closure-label")).to_have_value("Training")  # what was typed stays
    # A refused form is answered 422 (swapped in all the same): the browser and htmx log that status, nothing else.
    assert errors and all("422" in e for e in errors), errors
    errors.clear()
    page.wait_for_timeout(1100)  # one version per second: a person is never this quick, the test is
    add("Training", later.isoformat(), "09:00", later.isoformat(), "12:30")
    expect(closures).to_have_count(2)
    expect(closures.nth(1)).to_contain_text(f"Training: {later:%a %Y-%m-%d} 09:00 to {later:%a %Y-%m-%d} 12:30")
    found["console"] = errors
    check(page, "calendar-closures", viewport, found, summary)

    page.goto(f"/admin/calendars/{cid}")
    page.wait_for_timeout(1100)
    page.get_by_role("button", name=f"Remove the closure Stock-take ({day:%Y-%m-%d} 00:00)").click()
    expect(closures).to_have_count(1)
    expect(closures.first).to_contain_text("Training")
    with db.read() as s:
        assert len(service.versions(s, cid)) == 4  # the first, then each edit a version from its moment

    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pages" / f"axe-summary-closures-{viewport}.json").write_text(json.dumps(summary, indent=1))
    problems = {name: issues for name, issues in found.items() if issues}
    assert not problems, json.dumps(problems, indent=1)

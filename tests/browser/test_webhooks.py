"""The webhook admin pages in a real browser: add an endpoint, copy its secret, send a test event, watch the log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in
from tests.webhooks.conftest import receiver  # noqa: F401  (the loopback receiver fixture)

pytestmark = pytest.mark.browser
ADA = ("ada@example.com", "correct horse battery")


def test_admin_adds_an_endpoint_and_a_test_event_is_delivered(new_page, world, receiver):  # noqa: F811
    page = new_page()
    sign_in(page, *ADA)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Webhooks", exact=True).first.click()
    expect(page.locator(".empty")).to_contain_text("No webhook endpoints yet")
    page.get_by_role("link", name="Add endpoint").click()

    page.get_by_label("URL to send events to").fill(receiver.url)
    page.get_by_role("button", name="Create endpoint").click()
    # Both mistakes at once, each beside its field: no event chosen, and loopback without the opt-in.
    expect(page.locator("#url-error")).to_contain_text("loopback")
    expect(page.locator("#events-error")).to_contain_text("Choose at least one event type")
    page.get_by_label("Every event, including types added later").check()
    expect(page.get_by_label("message.received")).to_be_disabled()  # moot while every event is ticked
    page.get_by_label("Every event, including types added later").uncheck()
    page.get_by_label("message.received").check()
    page.get_by_label("Allow private networks").check()
    shot(page, "webhook-form")
    page.get_by_role("button", name="Create endpoint").click()

    expect(page.get_by_role("heading", name="Endpoint created")).to_be_visible()
    expect(page.get_by_label("Signing secret")).to_have_value(re.compile(r"^whsec_"))
    shot(page, "webhook-secret")
    page.get_by_role("link", name="Go to the endpoint").click()
    expect(page.locator("#delivery-log .empty")).to_contain_text("No deliveries yet")
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    page.get_by_role("button", name="Send a test event").click()
    expect(page.locator("#delivery-log")).to_contain_text("Test event queued")
    # The log follows the pending delivery until the worker has sent it.
    expect(page.locator("#delivery-log .state").first).to_have_text("delivered", timeout=15_000)
    assert page.evaluate("window.__marker") == 1
    assert [r.headers["rapport-event"] for r in receiver.requests] == ["webhook.test"]
    shot(page, "webhook-log")

    page.get_by_role("link", name="Dead").click()
    expect(page.locator("#delivery-log .empty")).to_contain_text("No dead deliveries")
    expect(page).to_have_url(re.compile(r"state=dead"))

"""Customers and search in a real browser: top-bar search, the profile across channels, filters, merging."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.customers import service as customers
from rapport.kernel.permissions import SYSTEM
from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser
ALEX = ("alex@example.com", "agent password 1")
ADA = ("ada@example.com", "correct horse battery")
PHONE = "+447700900123"


def receive(db, inbox_id: int, kind: str, address: str, subject: str, text: str, **extra) -> tuple[int, int]:
    """One inbound message through the service; returns (customer id, conversation id)."""
    with db.write() as s:
        got = receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=inbox_id,
                sender_kind=kind,
                sender_address=address,
                sender_name=extra.pop("name", "Jo Customer"),
                subject=subject,
                text=text,
                **extra,
            ),
        )
    return got.customer_id, got.conversation_id


def jo_by_email_and_sms(db, world) -> tuple[int, int, int]:
    """Jo writes by email, then (with the phone number on her profile) by SMS: one customer, two channels."""
    cid, by_email = receive(db, world.email_inbox.id, "email", "jo@customer.test", "Parcel", "My parcel never came")
    with db.write() as s:
        customers.add_identity(s, SYSTEM, cid, "phone", PHONE)
        customers.update_profile(s, SYSTEM, cid, segment="gold", company="Bloggs & Co")
    same, by_sms = receive(db, world.api_inbox.id, "phone", PHONE, "Still waiting", "Any news?", channel="sms")
    assert same == cid and by_sms != by_email
    return cid, by_email, by_sms


def test_top_bar_search_finds_the_customer_and_the_profile_shows_both_channels(new_page, db, world):
    """/ focuses the top-bar search; the customer hit opens the profile listing the email and SMS conversations."""
    cid, by_email, by_sms = jo_by_email_and_sms(db, world)
    for n in range(3):  # other customers, so the list and the results are not trivially one row
        receive(
            db, world.email_inbox.id, "email", f"other{n}@customer.test", f"Order {n}", "Where is it?", name=f"Kim {n}"
        )
    page = new_page()
    sign_in(page, *ALEX)
    page.keyboard.press("/")
    expect(page.locator("#top-q")).to_be_focused()
    page.keyboard.type("jo@customer.test")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=jo%40customer.test"))
    customer_hit = page.locator(f'.result.customer[data-href="/customers/{cid}"]')
    expect(customer_hit).to_contain_text("Jo Customer")
    expect(customer_hit.locator("mark")).to_have_text("jo@customer.test")
    shot(page, "search-results")

    customer_hit.get_by_role("link", name="Jo Customer").click()
    expect(page).to_have_url(re.compile(f"/customers/{cid}$"))
    expect(page.get_by_role("heading", name="Jo Customer")).to_be_visible()
    rows = page.locator("#conversation-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"#{by_sms} Still waiting")
    expect(rows.nth(0)).to_contain_text("sms")
    expect(rows.nth(1)).to_contain_text(f"#{by_email} Parcel")
    expect(rows.nth(1)).to_contain_text("email")
    expect(page.locator("#customer-details")).to_contain_text(PHONE)
    expect(page.locator("#timeline-entries")).to_contain_text("Wrote by sms")
    expect(page.get_by_role("button", name="Merge…")).to_be_disabled()  # an agent may not merge
    shot(page, "customer-profile")

    page.get_by_role("link", name=f"#{by_sms} Still waiting").click()
    expect(page).to_have_url(re.compile(f"/conversations/{by_sms}$"))


def test_customer_list_search_and_search_filters_update_without_a_reload(new_page, db, world):
    """The customers list and the search page's filters answer through htmx; the page stays the same page."""
    cid, _, by_sms = jo_by_email_and_sms(db, world)
    receive(db, world.email_inbox.id, "email", "kim@customer.test", "Parcel lost", "Parcel gone", name="Kim Lee")
    page = new_page()
    sign_in(page, *ALEX)
    page.get_by_role("link", name="Customers").click()
    expect(page.locator("#customer-rows tr")).to_have_count(2)
    expect(page.locator(f'[data-href="/customers/{cid}"]')).to_contain_text("gold")
    shot(page, "customers")
    page.evaluate("window.__marker = 1")
    page.get_by_label(re.compile("^Find a customer")).fill("+44 7700")
    expect(page.locator("#customer-rows tr")).to_have_count(1)
    expect(page.locator("#customer-rows")).to_contain_text("Jo Customer")
    assert page.evaluate("window.__marker") == 1

    page.goto("/search?q=parcel")
    expect(page.locator(".result")).to_have_count(4)  # two conversations' subjects and two messages
    page.evaluate("window.__marker = 2")
    page.get_by_label("Channel").select_option("email")
    page.get_by_label("Assignee").select_option("me")
    expect(page.locator(".empty")).to_contain_text("with these filters")
    page.get_by_label("Assignee").select_option("")
    expect(page.locator(".result")).to_have_count(4)
    page.get_by_label("Show").select_option("messages")
    expect(page.locator(".result")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"kind=messages"))
    assert page.evaluate("window.__marker") == 2
    assert by_sms  # the SMS conversation has no "parcel": it is not among the results
    expect(page.locator(f'[data-href="/conversations/{by_sms}"]')).to_have_count(0)


def test_an_admin_merges_two_customers_from_the_profile(new_page, db, world):
    """Find the other customer from the profile, confirm both side by side, land on the survivor with a notice."""
    jo, by_email = receive(db, world.email_inbox.id, "email", "jo@customer.test", "Parcel", "My parcel never came")
    texter, by_sms = receive(db, world.api_inbox.id, "phone", PHONE, "Texting", "Any news?", channel="sms", name="")
    page = new_page()
    sign_in(page, *ADA)
    page.goto(f"/customers/{jo}")
    page.get_by_label("Name, email address or phone number").fill(PHONE)
    candidate = page.locator("#merge-candidates a")
    expect(candidate).to_have_count(1)
    candidate.click()
    expect(page.get_by_role("heading", name="Merge these two customers?")).to_be_visible()
    expect(page.locator(".side-card")).to_have_count(2)
    expect(page.get_by_label(re.compile("^Keep Jo Customer"))).to_be_checked()
    shot(page, "customer-merge")
    page.get_by_role("button", name="Merge customers").click()
    expect(page).to_have_url(re.compile(f"/customers/{jo}$"))
    expect(page.locator("#alerts")).to_contain_text(f"Merged customer {texter} into this one.")
    expect(page.locator("#conversation-rows tr")).to_have_count(2)
    expect(page.locator(f'[data-href="/conversations/{by_sms}"]')).to_contain_text("sms")
    expect(page.locator(f'[data-href="/conversations/{by_email}"]')).to_contain_text("email")

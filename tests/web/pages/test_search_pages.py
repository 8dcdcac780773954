"""The search page: one box over conversations, messages and customers; filters, paging, errors, escaping."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from rapport.models import Event
from tests.conftest import World, inbound

HX = {"hx-request": "true"}
RESULTS = HX | {"hx-target": "search-results"}


def hits(html: str) -> list[tuple[str, str]]:
    """(kind, link) of each result, in order."""
    return re.findall(r'<li class="result (\w+)" data-row data-href="([^"]+)"', html)


def test_top_bar_has_a_labelled_search_box_and_the_shortcut_is_listed(client, signed_in):
    html = client.get("/inbox/all").text
    top = '<form class="topsearch" role="search" aria-label="Search the workspace" method="get" action="/search">'
    assert top in html  # labelled: a page with its own search form has two search landmarks
    assert '<label for="top-q" class="sr-only">Search conversations, messages and customers</label>' in html
    assert "<dt><kbd>/</kbd></dt><dd>Search" in html


def test_empty_page_explains_the_query_syntax(client, signed_in):
    r = client.get("/search")
    assert r.status_code == 200
    assert '"wrong size"' in r.text and "refund*" in r.text and "Press <kbd>/</kbd>" in r.text
    assert '<h1 id="search-title">Search</h1>' in r.text  # (the top bar's search box is the way in; no menu entry)


def test_results_mix_conversations_messages_and_customers(client, world, signed_in):
    got = inbound(client, world.agent_token, world.email_inbox.id, text="The toaster burns bread", subject="Toaster")
    r = client.post("/api/v1/customers", json={"name": "Toaster Fan"}, headers=World.auth(world.agent_token))
    fan = r.json()["id"]
    html = client.get("/search", params={"q": "toaster"}).text
    conv = f"/conversations/{got['conversation_id']}"
    assert set(hits(html)) == {("conversation", conv), ("message", conv), ("customer", f"/customers/{fan}")}
    assert "<mark>Toaster</mark>" in html and "<mark>toaster</mark> burns bread" in html
    assert "icon-mail" in html and "</svg> email" in html and "from the customer" in html and "Support email" in html


def test_filters_narrow_the_results_without_a_reload(client, world, signed_in):
    by_email = inbound(client, world.agent_token, world.email_inbox.id, text="Kettle leaks", subject="Kettle")
    sms = {"kind": "phone", "address": "+447700900123"}
    by_sms = inbound(
        client,
        world.agent_token,
        world.api_inbox.id,
        text="Kettle loud",
        channel="sms",
        sender=sms,
        subject="Kettle noise",
    )
    client.post(
        f"/conversations/{by_email['conversation_id']}/actions",
        data={"csrf_token": signed_in, "status": "pending", "assignee_id": str(world.agent.id)},
        headers=HX,
    )
    client.post("/api/v1/customers", json={"name": "Kettle Collector"}, headers=World.auth(world.agent_token))
    email_conv, sms_conv = (
        f"/conversations/{by_email['conversation_id']}",
        f"/conversations/{by_sms['conversation_id']}",
    )

    def found(**params) -> set[tuple[str, str]]:
        r = client.get("/search", params={"q": "kettle", **params}, headers=RESULTS)
        assert r.status_code == 200 and "<html" not in r.text  # the results alone, swapped in by htmx
        return set(hits(r.text))

    assert {kind for kind, _ in found()} == {"conversation", "message", "customer"}
    assert found(channel="sms") == {("conversation", sms_conv), ("message", sms_conv)}
    assert found(status="pending") == {("conversation", email_conv), ("message", email_conv)}
    assert found(inbox_id=world.api_inbox.id) == {("conversation", sms_conv), ("message", sms_conv)}
    assert found(assignee_id="me") == {("conversation", email_conv), ("message", email_conv)}
    assert found(assignee_id=world.agent2.id) == set()
    assert found(team_id=world.team.id) == {("conversation", email_conv), ("message", email_conv)}
    assert found(kind="messages") == {("message", email_conv), ("message", sms_conv)}
    assert {kind for kind, _ in found(kind="customers")} == {"customer"}
    assert found(customer_id=by_sms["customer_id"]) == {("conversation", sms_conv), ("message", sms_conv)}
    one = client.get("/search", params={"q": "kettle", "customer_id": by_sms["customer_id"]}).text
    assert f'<option value="{by_sms["customer_id"]}" selected>Customer {by_sms["customer_id"]} only</option>' in one
    left_out = client.get("/search", params={"q": "kettle", "channel": "sms"}).text
    assert "customers are left out while a conversation filter is set" in left_out
    assert "<option selected>sms</option>" in left_out  # the full page keeps the chosen filters


def test_no_match_says_what_to_try(client, world, signed_in):
    inbound(client, world.agent_token, world.email_inbox.id, text="Hello there")
    html = client.get("/search", params={"q": "xylophone", "channel": "sms"}).text
    assert "Nothing matches “xylophone” with these filters" in html and "set the filters back to Any" in html


def test_errors_are_shown_next_to_the_field(client, signed_in):
    r = client.get("/search", params={"q": "ab*"})
    assert r.status_code == 422
    assert '<div id="search-q-error"><p class="error">A prefix search needs at least 3 letters' in r.text
    r = client.get("/search", params={"q": "ab*"}, headers=RESULTS)
    assert r.status_code == 422 and '<div id="search-q-error" hx-swap-oob="true"><p class="error">' in r.text
    r = client.get("/search", params={"q": "kettle", "inbox_id": "abc"}, headers=RESULTS)
    assert r.status_code == 422 and "Choose an inbox from the list." in r.text
    assert '<div id="search-filter-error" hx-swap-oob="true"><p class="error">Choose an inbox' in r.text
    r = client.get("/search", params={"q": "kettle", "status": "maybe"})
    assert r.status_code == 422 and "status must be one of" in r.text
    r = client.get("/search", params={"q": "x" * 501})
    assert r.status_code == 422 and "the limit is 500" in r.text
    r = client.get("/search", params={"q": "kettle", "cursor": "not-ours"})
    assert r.status_code == 422 and "The cursor is not valid for this search" in r.text


def test_paging_with_the_service_cursor(client, world, signed_in):
    for n in range(23):
        inbound(client, world.agent_token, world.api_inbox.id, f"p{n}@customer.test", f"Pumpkin number {n}")
    html = client.get("/search", params={"q": "pumpkin", "kind": "messages"}).text
    first = hits(html)
    assert len(first) == 20
    url = re.search(r'hx-get="(/search\?[^"]+cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "q=pumpkin" in url and "kind=messages" in url
    rest = client.get(url, headers=HX | {"hx-target": "search-list"})
    assert rest.status_code == 200 and "<ol" not in rest.text  # items to append, and the pager out of band
    assert len(hits(rest.text)) == 3 and 'id="search-pager" hx-swap-oob="true"' in rest.text
    assert "More results" not in rest.text
    ids = [int(m) for m in re.findall(r"Pumpkin</mark> number (\d+)", html + rest.text)]
    assert sorted(ids) == list(range(23))


def test_output_is_escaped(client, world, signed_in):
    inbound(
        client,
        world.agent_token,
        world.email_inbox.id,
        text="<script>alert(1)</script> walrus <img src=x onerror=alert(2)>",
        subject="<b>walrus</b>",
        sender={"kind": "email", "address": "w@customer.test", "name": "<i>Wally</i> walrus"},
    )
    html = client.get("/search", params={"q": "walrus"}).text
    assert len(hits(html)) == 3
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>" not in html and "<i>Wally" not in html
    assert "&lt;i&gt;Wally&lt;/i&gt;" in html and "<mark>walrus</mark>" in html


def test_get_changes_nothing(client, world, signed_in, db):
    inbound(client, world.agent_token, world.email_inbox.id, text="Parcel")
    with db.read() as s:
        before = s.scalar(select(func.count()).select_from(Event))
    assert client.get("/search", params={"q": "parcel"}).status_code == 200
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == before


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    r = client.get("/search", params={"q": "x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")

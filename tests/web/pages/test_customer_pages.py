"""Customer pages: the list and its search, the profile with the whole cross-channel history, editing, merging."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from rapport.agents import service as agents
from rapport.conversations import service as conversations
from rapport.customers import repository
from rapport.customers import service as customers
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation, Customer, Event, Identity
from tests.conftest import LATER, SUPERVISOR_PASSWORD, World, inbound, sign_in_as

HX = {"hx-request": "true"}
PHONE = "+447700900123"


def listed(html: str) -> list[int]:
    """Customer ids of the listed rows, in order."""
    return [int(i) for i in re.findall(r'data-row data-href="/customers/(\d+)"', html)]


def sms(client, world, address: str = PHONE, text: str = "Texting you instead", **extra) -> dict:
    """An inbound SMS from a phone number (through the API inbox, on the sms channel)."""
    body = {"sender": {"kind": "phone", "address": address}}
    return inbound(client, world.agent_token, world.api_inbox.id, text=text, channel="sms", **body, **extra)


def email_and_sms(client, world) -> tuple[int, int, int]:
    """Jo writes by email, gets a phone identity, then texts: one customer, two conversations, two channels."""
    by_email = inbound(client, world.agent_token, world.email_inbox.id, text="My order never came", subject="Order")
    r = client.post(
        f"/api/v1/customers/{by_email['customer_id']}/identities",
        json={"kind": "phone", "address": PHONE},
        headers=World.auth(world.agent_token),
    )
    assert r.status_code == 201, r.text
    by_sms = sms(client, world, subject="Still waiting")
    assert by_sms["customer_id"] == by_email["customer_id"]
    return by_email["customer_id"], by_email["conversation_id"], by_sms["conversation_id"]


def sign_in_supervisor(client, db, world) -> str:
    """Sign the client in as Sam Super (a supervisor); returns the CSRF token."""
    with db.write() as s:
        agents.update_agent(s, SYSTEM, world.supervisor.id, password=SUPERVISOR_PASSWORD)
    return sign_in_as(client, "sam@example.com", SUPERVISOR_PASSWORD, next="/", page="/customers")


def test_menu_and_list_show_recently_active_customers(client, world, signed_in, frozen_clock):
    first = inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "first")["customer_id"]
    frozen_clock[0] += LATER
    second = sms(client, world)["customer_id"]
    frozen_clock[0] += LATER
    inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "again")  # a is active again
    html = client.get("/customers").text
    assert '<a href="/customers"' in html and 'action="/search"' in html  # the menu, and the top bar's search box
    assert listed(html) == [first, second]
    assert "a@customer.test" in html and PHONE in html
    assert "Recently active customers" in html


def test_list_shows_identities_segment_last_contact_and_open_count(client, world, signed_in, db):
    cid, conv_email, _ = email_and_sms(client, world)
    with db.write() as s:
        customers.update_profile(s, SYSTEM, cid, segment="enterprise")
    client.post(f"/conversations/{conv_email}/actions", data={"csrf_token": signed_in, "status": "solved"}, headers=HX)
    html = client.get("/customers").text
    row = html[html.index(f'data-href="/customers/{cid}"') :].split("</tr>", 1)[0]
    assert "jo@customer.test" in row and PHONE in row and "Phone:" in row and "Email:" in row
    assert "enterprise" in row and "just now" in row
    assert re.search(r'class="num">1<span class="sr-only"> open of 2', row)


def test_empty_list_says_what_to_do(client, signed_in):
    html = client.get("/customers").text
    assert "No customer has written yet" in html and "Search above finds every customer" in html


def test_search_by_name_email_and_phone(client, world, signed_in):
    cid, _, _ = email_and_sms(client, world)
    kim = {"kind": "email", "address": "kim@else.test", "name": "Kim"}
    other = inbound(client, world.agent_token, world.email_inbox.id, text="hi", sender=kim)["customer_id"]
    assert listed(client.get("/customers", params={"q": "jo@customer.test"}).text) == [cid]
    assert listed(client.get("/customers", params={"q": "+44 7700 900123"}).text) == [cid]
    by_name = client.get("/customers", params={"q": "Jo"}, headers=HX | {"hx-target": "customer-results"})
    assert listed(by_name.text)[:1] == [cid] and other not in listed(by_name.text)
    assert "<mark>" in by_name.text and "<html" not in by_name.text  # a fragment, with the highlighted match
    none = client.get("/customers", params={"q": "nobody-like-this"}).text
    assert "No customer matches" in none


def test_search_error_is_shown_next_to_the_box(client, signed_in):
    r = client.get("/customers", params={"q": "ab*"})
    assert r.status_code == 422
    assert 'id="customer-q-error"><p class="error">A prefix search needs at least 3 letters' in r.text
    fragment = client.get("/customers", params={"q": "ab*"}, headers=HX | {"hx-target": "customer-results"})
    assert fragment.status_code == 422 and 'hx-swap-oob="true"><p class="error">A prefix search' in fragment.text


def test_list_pages_by_cursor_without_repeats(client, world, signed_in, db, frozen_clock, settings):
    ids = []
    for n in range(53):
        ids.append(inbound(client, world.agent_token, world.api_inbox.id, f"c{n}@customer.test", "hi")["customer_id"])
        frozen_clock[0] += LATER
    # The oldest customer writes again: first on page one, and not again on page two.
    inbound(client, world.agent_token, world.api_inbox.id, "c0@customer.test", "back again")
    html = client.get("/customers").text
    page1 = listed(html)
    assert page1[0] == ids[0] and page1[1:] == list(reversed(ids))[:49]
    more = re.search(r'hx-get="(/customers\?q=&amp;cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    rest = client.get(more, headers=HX | {"hx-target": "customer-rows"})
    assert rest.status_code == 200 and "<table" not in rest.text  # rows to append, and the pager out of band
    assert listed(rest.text) == list(reversed(ids))[49:52]
    assert 'id="customer-pager" hx-swap-oob="true"' in rest.text and "More customers" not in rest.text
    assert sorted(page1 + listed(rest.text)) == sorted(ids)
    bad = client.get("/customers", params={"cursor": "garbage"})
    assert bad.status_code == 422 and "out of date" in bad.text


def test_list_reads_a_bounded_number_of_conversations_per_page(client, world, db, frozen_clock):
    quiet = inbound(client, world.agent_token, world.api_inbox.id, "quiet@customer.test", "once")["customer_id"]
    busy = None
    for n in range(6):  # a busy customer: six conversations, all more recent than the quiet one's
        frozen_clock[0] += LATER
        got = inbound(client, world.agent_token, world.api_inbox.id, "busy@customer.test", f"n{n}")
        busy = got["customer_id"]
        with db.write() as s:
            for status in ("solved", "closed"):
                conversations.update(s, SYSTEM, got["conversation_id"], conversations.Changes(status=status))
    with db.read() as s:
        first, after = repository.recently_active(s, after=None, limit=50, scan=4, chunk=3)
        assert first == [busy] and after is not None  # the budget ran out: a short page that carries on
        second, end = repository.recently_active(s, after=after, limit=50, scan=4, chunk=3)
        assert second == [quiet] and end is None  # busy was shown already; the walk reached the oldest
        assert repository.recently_active(s, after=None, limit=1, scan=100)[0] == [busy]


def test_profile_shows_every_channel_and_conversation(client, world, signed_in):
    cid, conv_email, conv_sms = email_and_sms(client, world)
    html = client.get(f"/customers/{cid}").text
    assert f'href="/conversations/{conv_email}"' in html and f'href="/conversations/{conv_sms}"' in html
    assert html.index(f"#{conv_sms} Still waiting") < html.index(f"#{conv_email} Order")  # latest first
    assert "icon-mail" in html and "</svg> email" in html and "icon-smartphone" in html and "</svg> sms" in html
    assert 'class="kind">Email</span> jo@customer.test' in html and f'class="kind">Phone</span> {PHONE}' in html
    assert "Wrote by sms" in html and "Wrote by email" in html  # the timeline, across channels
    assert "2 open of 2 conversations" in html
    assert f'<input type="hidden" name="customer_id" value="{cid}">' in html  # search within this customer


def test_profile_pages_conversations_and_timeline(client, world, signed_in, frozen_clock):
    cid = None
    convs = []
    for n in range(27):
        got = inbound(client, world.agent_token, world.api_inbox.id, "many@customer.test", f"n{n}", subject=f"S{n}")
        cid, convs = got["customer_id"], [*convs, got["conversation_id"]]
        client.post(
            f"/conversations/{got['conversation_id']}/actions", data={"csrf_token": signed_in, "status": "solved"}
        )
        frozen_clock[0] += LATER
    assert len(set(convs)) == 27
    html = client.get(f"/customers/{cid}").text
    shown = [int(i) for i in re.findall(r'data-href="/conversations/(\d+)"', html)]
    assert shown == list(reversed(convs))[:25]
    url = re.search(r'hx-get="(/customers/\d+/conversations\?cursor=[^"]+)"', html).group(1)
    rest = client.get(url, headers=HX).text
    assert [int(i) for i in re.findall(r'data-href="/conversations/(\d+)"', rest)] == list(reversed(convs))[25:]
    assert "Older conversations" not in rest
    events = re.search(r'hx-get="(/customers/\d+/timeline\?before=\d+)"', html).group(1)
    earlier = client.get(events, headers=HX).text
    assert "<li>" in earlier and 'id="timeline-pager" hx-swap-oob="true"' in earlier


def test_output_is_escaped(client, world, signed_in, db):
    with db.write() as s:
        bad = customers.create(
            s,
            SYSTEM,
            identities=[("email", "x@customer.test")],
            name="<script>alert(1)</script> Mallory",
            company="<b>Evil</b> Inc",
            attributes={"<i>k</i>": "<img src=x onerror=alert(2)>"},
        )
        cid = bad.id
    inbound(client, world.agent_token, world.email_inbox.id, "x@customer.test", "hello")
    for html in (
        client.get("/customers").text,
        client.get(f"/customers/{cid}").text,
        client.get("/customers", params={"q": "mallory"}).text,
    ):
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>Evil</b>" not in html and "<img src=x" not in html


def test_edit_profile(client, world, signed_in, db):
    cid = inbound(client, world.agent_token, world.email_inbox.id)["customer_id"]
    form = {
        "csrf_token": signed_in,
        "name": "Jo Bloggs",
        "company": "Acme",
        "segment": "gold",
        "language": "en",
        "timezone": "Europe/Berlin",
        "vip": "on",
        "attributes": 'plan: pro\nseats: 12\ncode: "42"',
    }
    r = client.post(f"/customers/{cid}", data=form, headers=HX)
    assert r.status_code == 200 and "Saved." in r.text and "<html" not in r.text
    head = r.text.split('id="profile-head" hx-swap-oob="true">', 1)[1].split("</header>", 1)[0]  # the title too
    assert '<h1>Jo Bloggs <span class="chip warn">VIP</span></h1>' in head and "segment gold" in head
    with db.read() as s:
        c = s.get(Customer, cid)
        assert (c.name, c.company, c.segment, c.language, c.timezone, c.vip) == (
            "Jo Bloggs",
            "Acme",
            "gold",
            "en",
            "Europe/Berlin",
            True,
        )
        assert c.attributes == {"plan": "pro", "seats": 12, "code": "42"}
    html = client.get(f"/customers/{cid}").text
    assert "code: &#34;42&#34;\nplan: pro\nseats: 12" in html  # the form shows what reads back the same
    assert "Jo Bloggs" in html and "customer.updated" not in html and "changed " in html


def test_edit_errors_are_named_next_to_the_field(client, world, signed_in, db):
    cid = inbound(client, world.agent_token, world.email_inbox.id)["customer_id"]
    bad = {"csrf_token": signed_in, "name": "x" * 201, "timezone": "Mars/Olympus", "attributes": "no colon here"}
    r = client.post(f"/customers/{cid}", data=bad, headers=HX)
    assert r.status_code == 422
    assert 'id="c-timezone-error">&#39;Mars/Olympus&#39; is not a timezone name' in r.text
    assert 'id="c-attributes-error">Line 1: write each attribute as' in r.text
    r = client.post(f"/customers/{cid}", data=bad | {"timezone": "", "attributes": ""})
    assert r.status_code == 422 and 'id="c-name-error">At most 200 characters.' in r.text
    with db.read() as s:
        assert s.get(Customer, cid).name == "Jo"  # nothing changed


def test_edit_needs_the_csrf_token(client, world, signed_in, db):
    cid = inbound(client, world.agent_token, world.email_inbox.id)["customer_id"]
    r = client.post(f"/customers/{cid}", data={"name": "Hacked"})
    assert r.status_code == 403
    with db.read() as s:
        assert s.get(Customer, cid).name == "Jo"


def two_customers(client, world) -> tuple[dict, dict]:
    """Jo by email and the same person by SMS, not yet known to be one."""
    a = inbound(client, world.agent_token, world.email_inbox.id, text="Order missing", subject="Order")
    b = sms(client, world, subject="Texting")
    assert a["customer_id"] != b["customer_id"]
    return a, b


def test_agent_sees_merge_disabled_and_is_refused(client, world, signed_in, db):
    a, b = two_customers(client, world)
    html = client.get(f"/customers/{a['customer_id']}").text
    assert '<button type="button" disabled aria-describedby="merge-refusal">' in html
    assert "Merging customers needs the supervisor role" in html
    assert client.get(f"/customers/{a['customer_id']}/merge", params={"other": b["customer_id"]}).status_code == 403
    with db.read() as s:
        before = s.scalar(select(func.count()).select_from(Event))
    r = client.post(
        f"/customers/{a['customer_id']}/merge",
        data={"csrf_token": signed_in, "other_id": b["customer_id"], "keep": "this"},
    )
    assert r.status_code == 403 and "customers.merge" in r.text
    with db.read() as s:
        assert s.get(Customer, b["customer_id"]).merged_into_id is None
        assert s.get(Conversation, b["conversation_id"]).customer_id == b["customer_id"]
        assert s.scalar(select(func.count()).select_from(Event)) == before


def test_supervisor_merges_from_the_profile(client, world, db):
    a, b = two_customers(client, world)
    csrf = sign_in_supervisor(client, db, world)
    keep, gone = a["customer_id"], b["customer_id"]
    html = client.get(f"/customers/{keep}").text
    assert 'id="merge-q"' in html and "disabled" not in html.split('id="merge-title"', 1)[1].split("</section>", 1)[0]
    found = client.get(f"/customers/{keep}/merge", params={"q": PHONE}, headers=HX | {"hx-target": "merge-candidates"})
    assert f'href="/customers/{keep}/merge?other={gone}"' in found.text and "<html" not in found.text
    confirm = client.get(f"/customers/{keep}/merge", params={"other": gone}).text
    assert "Merge these two customers?" in confirm and PHONE in confirm and "jo@customer.test" in confirm
    assert client.post(f"/customers/{keep}/merge", data={"other_id": gone, "keep": "this"}).status_code == 403
    r = client.post(f"/customers/{keep}/merge", data={"csrf_token": csrf, "other_id": gone, "keep": "this"})
    assert r.status_code == 303 and r.headers["location"] == f"/customers/{keep}"
    page = client.get(f"/customers/{keep}").text
    assert f"Merged customer {gone} into this one." in page
    assert (
        f'href="/conversations/{a["conversation_id"]}"' in page
        and f'href="/conversations/{b["conversation_id"]}"' in page
    )
    assert f"merged customer {gone} into customer {keep}" in page and page.count(f"into customer {keep}") == 1
    assert "Wrote by sms" in page  # the merged customer's history came along
    with db.read() as s:
        assert s.get(Customer, gone).merged_into_id == keep
        assert set(s.scalars(select(Identity.customer_id))) == {keep}
    # The merged customer's address leads to the survivor.
    old = client.get(f"/customers/{gone}")
    assert old.status_code == 303 and old.headers["location"] == f"/customers/{keep}"


def test_supervisor_can_keep_the_other_profile(client, world, db):
    a, b = two_customers(client, world)
    csrf = sign_in_supervisor(client, db, world)
    r = client.post(
        f"/customers/{a['customer_id']}/merge", data={"csrf_token": csrf, "other_id": b["customer_id"], "keep": "other"}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/customers/{b['customer_id']}"
    with db.read() as s:
        assert s.get(Customer, a["customer_id"]).merged_into_id == b["customer_id"]
    same = client.get(f"/customers/{b['customer_id']}/merge", params={"other": a["customer_id"]})
    assert same.status_code == 409 and "already one customer" in same.text


def test_get_changes_nothing(client, world, signed_in, db):
    a, b = two_customers(client, world)
    with db.read() as s:
        before = s.scalar(select(func.count()).select_from(Event))
    for path in (
        "/customers",
        f"/customers/{a['customer_id']}",
        f"/customers/{a['customer_id']}/conversations",
        f"/customers/{a['customer_id']}/timeline",
        "/customers?q=jo",
    ):
        assert client.get(path).status_code == 200, path
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == before


def test_unknown_customer_is_a_page_in_plain_words(client, signed_in):
    r = client.get("/customers/999999")
    assert r.status_code == 404 and "There is no customer 999999." in r.text

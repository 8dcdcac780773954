"""Inbox views, counts, saved views and bulk actions."""

from __future__ import annotations

import re

from sqlalchemy import select

from rapport.models import Conversation, ConversationTag, SavedView
from tests.conftest import LATER, inbound


def ids_in(html: str) -> list[int]:
    """Conversation ids of the listed rows, in order."""
    return [int(i) for i in re.findall(r'data-href="/conversations/(\d+)"', html)]


def cid(result: dict) -> int:
    """The conversation id of an inbound answer."""
    return result["conversation_id"]


def test_built_in_views(client, world, signed_in, frozen_clock):
    first = cid(inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "first"))
    frozen_clock[0] += LATER
    second = cid(inbound(client, world.agent_token, world.api_inbox.id, "b@customer.test", "second"))
    frozen_clock[0] += LATER
    client.post(
        f"/conversations/{second}/actions",
        data={"csrf_token": signed_in, "assignee_id": str(world.agent.id)},
        headers={"hx-request": "true"},
    )
    assert ids_in(client.get("/inbox/all").text) == [second, first]  # latest update first
    assert ids_in(client.get("/inbox/mine").text) == [second]
    assert ids_in(client.get("/inbox/unassigned").text) == [first]
    assert ids_in(client.get("/inbox/teams").text) == [first]  # the email inbox belongs to Alex's team
    assert ids_in(client.get("/inbox/waiting").text) == [first, second]  # oldest inbound first
    counts = client.get("/inbox-counts").text
    assert re.search(r'data-view-key="mine">\s*<span>Mine</span> <span class="count"[^>]*>1<', counts)
    assert re.search(r'data-view-key="all">\s*<span>All active</span> <span class="count"[^>]*>2<', counts)


def test_empty_views_say_what_to_do(client, signed_in):
    html = client.get("/inbox/mine").text
    assert "Nothing is assigned to you" in html and "Unassigned" in html
    assert client.get("/inbox/nope").status_code == 404


def test_saved_view_filters_and_belongs_to_its_agent(client, world, signed_in, db, app):
    email = cid(inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "by email"))
    inbound(client, world.agent_token, world.api_inbox.id, "b@customer.test", "by api")
    r = client.post("/views", data={"csrf_token": signed_in, "name": "Email only", "channel": "email"})
    assert r.status_code == 303
    key = r.headers["location"].rsplit("/", 1)[1]
    html = client.get(f"/inbox/{key}").text
    assert ids_in(html) == [email] and "Email only" in html
    r = client.post("/views", data={"csrf_token": signed_in, "name": "Bad", "priority": "whenever"})
    assert r.status_code == 422 and "priority must be one of" in r.text
    with db.read() as s:
        assert s.scalars(select(SavedView.name)).all() == ["Email only"]
    from fastapi.testclient import TestClient

    other = TestClient(app, follow_redirects=False)
    other.post("/sign-in", data={"email": "ada@example.com", "password": "correct horse battery"})
    assert other.get(f"/inbox/{key}").status_code == 404
    r = client.post(f"/views/{key[6:]}/delete", data={"csrf_token": signed_in})
    assert r.status_code == 303 and client.get(f"/inbox/{key}").status_code == 404


def test_bulk_actions_without_reload(client, world, signed_in, db):
    a = cid(inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "one"))
    b = cid(inbound(client, world.agent_token, world.email_inbox.id, "b@customer.test", "two"))
    hx = {"hx-request": "true", "hx-target": "conversation-list"}
    r = client.post(
        "/inbox/all/bulk",
        data={"ids": [str(a), str(b)], "action": "assign", "value_assign": str(world.agent.id)},
        headers=hx | {"x-csrf-token": signed_in},
    )
    assert r.status_code == 200 and r.text.startswith('<div id="conversation-list"')
    assert "Updated 2 conversations." in r.text and r.headers["hx-trigger"] == "counts-changed"
    client.post(
        "/inbox/all/bulk",
        data={"ids": [str(a)], "action": "tag", "value_tag": "refund"},
        headers=hx | {"x-csrf-token": signed_in},
    )
    client.post(
        "/inbox/all/bulk",
        data={"ids": [str(b)], "action": "status", "value_status": "pending"},
        headers=hx | {"x-csrf-token": signed_in},
    )
    with db.read() as s:
        rows = {c.id: c for c in s.scalars(select(Conversation))}
        assert rows[a].assignee_id == rows[b].assignee_id == world.agent.id
        assert rows[b].status == "pending"
        assert s.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == a)).all() == ["refund"]
    r = client.post(
        "/inbox/all/bulk", data={"action": "status", "value_status": "open"}, headers=hx | {"x-csrf-token": signed_in}
    )
    assert r.status_code == 422 and "Select at least one" in r.text and r.headers["hx-retarget"] == "#alerts"
    r = client.post("/inbox/all/bulk", data={"ids": [str(a)], "action": "tag", "value_tag": "x"}, headers=hx)
    assert r.status_code == 403  # the htmx header carries the CSRF token; without it, nothing happens


def test_inbox_page_shows_times_in_the_agents_timezone(client, world, signed_in, frozen_clock):
    inbound(client, world.agent_token, world.email_inbox.id, "a@customer.test", "hello")
    client.post("/profile", data={"availability": "online", "timezone": "Asia/Tokyo", "csrf_token": signed_in})
    html = client.get("/inbox/all").text
    assert 'title="02 Nov 2026 18:00 JST"' in html and ">just now</time>" in html


def older_link(html: str) -> str | None:
    """The path of the list's "Older" link, if it has one."""
    found = re.search(r'href="(/inbox/[^"?]+\?after=[^"]+)" rel="next"', html)
    return found.group(1) if found else None


def newer_link(html: str) -> str | None:
    """The path of the list's "Newer" link, if it has one."""
    found = re.search(r'href="(/inbox/[^"?]+\?before=[^"]+)" rel="prev"', html)
    return found.group(1) if found else None


def test_views_page_by_keyset_both_ways(client, world, signed_in, settings, frozen_clock):
    settings.inbox_page_size = 3
    made = []
    for n in range(7):
        made.append(cid(inbound(client, world.agent_token, world.api_inbox.id, f"c{n}@customer.test", f"m{n}")))
        frozen_clock[0] += LATER
    newest_first = made[::-1]
    first = client.get("/inbox/all").text
    assert ids_in(first) == newest_first[:3] and newer_link(first) is None
    second = client.get(older_link(first)).text
    assert ids_in(second) == newest_first[3:6]
    # A conversation arriving meanwhile does not shift the page (an offset would show a row twice).
    late = cid(inbound(client, world.agent_token, world.api_inbox.id, "late@customer.test", "late"))
    assert ids_in(client.get(older_link(first)).text) == newest_first[3:6]
    third = client.get(older_link(second)).text
    assert ids_in(third) == newest_first[6:] and older_link(third) is None
    back = client.get(newer_link(third)).text
    assert ids_in(back) == newest_first[3:6] and newer_link(back) and older_link(back)
    top = client.get(newer_link(back)).text
    assert ids_in(top) == newest_first[:3]
    newest = client.get(newer_link(top)).text  # the late one arrived above the first page
    assert ids_in(newest) == [late] and newer_link(newest) is None
    # The waiting view pages oldest inbound first, with its own cursor.
    waiting = client.get("/inbox/waiting").text
    assert ids_in(waiting) == made[:3]
    assert ids_in(client.get(older_link(waiting)).text) == made[3:6]
    wrong_kind = older_link(first).replace("/inbox/all", "/inbox/waiting")
    r = client.get(wrong_kind)
    assert r.status_code == 422 and "page link is out of date" in r.text
    assert client.get("/inbox/all?after=garbage").status_code == 422


def test_live_refresh_keeps_the_page(client, world, signed_in, settings, frozen_clock):
    settings.inbox_page_size = 2
    for n in range(3):
        inbound(client, world.agent_token, world.api_inbox.id, f"c{n}@customer.test", f"m{n}")
        frozen_clock[0] += LATER
    path = older_link(client.get("/inbox/all").text)
    html = client.get(path).text
    query = path.split("?", 1)[1]
    assert f'hx-get="/inbox/all?{query}"' in html  # the live refresh reads this page again, not the first


def test_segment_filter(client, world, signed_in, db):
    from rapport.customers import service as customers
    from rapport.kernel.permissions import SYSTEM

    big = inbound(client, world.agent_token, world.email_inbox.id, "big@corp.test", "from a big one")
    small = inbound(client, world.agent_token, world.email_inbox.id, "small@shop.test", "from a small one")
    inbound(client, world.agent_token, world.email_inbox.id, "none@home.test", "no segment")
    with db.write() as s:
        customers.update_profile(s, SYSTEM, big["customer_id"], segment="enterprise")
        customers.update_profile(s, SYSTEM, small["customer_id"], segment="small_business")
    html = client.get("/inbox/all").text
    assert re.search(r'<label for="view-segment">Customer segment</label>', html)
    assert "<option>enterprise</option>" in html and "<option>small_business</option>" in html
    r = client.post("/views", data={"csrf_token": signed_in, "name": "Enterprise", "segment": "enterprise"})
    key = r.headers["location"].rsplit("/", 1)[1]
    assert ids_in(client.get(f"/inbox/{key}").text) == [cid(big)]
    counts = client.get("/inbox-counts").text
    assert re.search(rf'data-view-key="{key}">\s*<span>Enterprise</span> <span class="count"[^>]*>1<', counts)
    r = client.post(
        "/views", data={"csrf_token": signed_in, "name": "Small email", "segment": "small_business", "channel": "email"}
    )
    assert ids_in(client.get(r.headers["location"]).text) == [cid(small)]
    with db.read() as s:
        assert s.scalar(select(SavedView.filters).where(SavedView.name == "Small email")) == {
            "all": [
                {"field": "status", "op": "in", "value": ["new", "on_hold", "open", "pending"]},
                {"field": "channel", "op": "eq", "value": "email"},
                {"field": "segment", "op": "eq", "value": "small_business"},
            ]
        }


def test_counts_stop_at_the_cap(client, world, signed_in, settings):
    settings.inbox_count_cap = 2
    for n in range(3):
        inbound(client, world.agent_token, world.api_inbox.id, f"c{n}@customer.test", f"m{n}")
    counts = client.get("/inbox-counts").text
    assert re.search(
        r'data-view-key="all">\s*<span>All active</span> '
        r'<span class="count" aria-label="at least 2 conversations">2\+<',
        counts,
    )
    assert re.search(r'data-view-key="mine">\s*<span>Mine</span> <span class="count"[^>]*>0<', counts)


def test_filtered_counts_check_a_bounded_number_of_rows(client, world, signed_in, settings):
    for n in range(3):
        inbound(client, world.agent_token, world.email_inbox.id, f"e{n}@customer.test", f"mail {n}")
        inbound(client, world.agent_token, world.api_inbox.id, f"a{n}@customer.test", f"api {n}")
    r = client.post("/views", data={"csrf_token": signed_in, "name": "Email", "channel": "email"})
    key = r.headers["location"].rsplit("/", 1)[1]

    def shown() -> str:
        found = re.search(
            rf'data-view-key="{key}">\s*<span>Email</span> <span class="count"[^>]*>([^<]+)<',
            client.get("/inbox-counts").text,
        )
        return found.group(1)

    assert shown() == "3"  # every active conversation checked: the exact count
    settings.inbox_count_scan = 2
    assert re.fullmatch(r"[0-3]\+", shown())  # only some checked: what was found, as a lower bound
    assert len(ids_in(client.get(f"/inbox/{key}").text)) == 3  # the list itself is not bounded

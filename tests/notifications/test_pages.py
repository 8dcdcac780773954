"""The notifications page and the top bar's badge: escaping, unread count, opening, marking read (own rows only)."""

from __future__ import annotations

import re

from sqlalchemy import event

from rapport.workspace.conversations import page
from tests.notifications.conftest import ALEX, actor, assign, customer_writes, rows, signed_in

HX = {"hx-request": "true"}


def listed(html: str) -> list[int]:
    """Notification ids in the order the page lists them."""
    return [int(i) for i in re.findall(r'data-notification="(\d+)"', html)]


def test_the_page_lists_latest_first_unread_highlighted_and_escaped(app, db, world, run):
    sam = actor(db, world.supervisor.id)
    first = customer_writes(db, world, "Hello", subject="<b>Bold</b> subject")
    assign(db, sam, first, world.agent.id)
    second = customer_writes(db, world, "Hi", address="kim@customer.test", subject="Other")
    with db.write() as s:
        page.write(s, sam, second, mode="note", text="@alex <script>alert(1)</script>")
    run()
    assigned, mentioned = rows(db, world.agent.id)
    client, _ = signed_in(app, *ALEX)
    html = client.get("/notifications").text
    assert listed(html) == [mentioned.id, assigned.id]  # newest first
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; subject" in html and "<b>Bold</b>" not in html
    assert html.count('class="notification unread"') == 2 and html.count(">Unread</span>") == 2
    assert f'href="/conversations/{first}" hx-post="/notifications/{assigned.id}/open"' in html
    assert "Assigned to you" in html and "Mentioned" in html
    fragment = client.get("/notifications", headers=HX | {"hx-target": "notification-list"}).text
    assert fragment.startswith('<div id="notification-list"') and "<html" not in fragment


def test_an_empty_page_says_what_will_appear(app, world):
    client, _ = signed_in(app, *ALEX)
    html = client.get("/notifications").text
    assert "No notifications yet" in html and "@mentions you in a note" in html and 'href="/inbox/all"' in html


def test_the_badge_counts_unread_with_one_capped_query(app, db, world, run, settings, engine):
    client, _ = signed_in(app, *ALEX)
    empty = client.get("/notifications/badge")
    assert empty.status_code == 200 and "none unread" in empty.text and "badge-count" not in empty.text
    sam = actor(db, world.supervisor.id)
    for n in range(3):
        assign(db, sam, customer_writes(db, world, "Hi", address=f"c{n}@customer.test"), world.agent.id)
    run()
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731  (the statement text)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        badge = client.get("/notifications/badge").text
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert (
        '<span class="sr-only">Notifications, 3 unread</span><span class="badge-count" aria-hidden="true">3<' in badge
    )
    (counting,) = [q for q in seen if "notifications" in q]
    assert "count(" in counting.lower() and "LIMIT" in counting
    settings.notifications_badge_cap = 2
    capped = client.get("/notifications/badge").text
    assert "Notifications, more than 2 unread" in capped and ">2+</span>" in capped


def test_every_signed_in_page_carries_the_live_badge(client, app, world):
    inbox = signed_in(app, *ALEX)[0].get("/inbox/all").text
    assert re.search(r'<a href="/notifications" class="bell">.*<span id="notification-count"', inbox)
    assert 'aria-live="polite"' in inbox and 'hx-get="/notifications/badge"' in inbox
    assert "notification-count" not in client.get("/sign-in").text
    client.follow_redirects = False
    assert client.get("/notifications/badge").status_code == 303  # signed out: sent to sign in
    assert client.get("/notifications/badge", headers=HX).headers["hx-redirect"].startswith("/sign-in")


def test_opening_one_marks_its_conversation_read_and_goes_there(app, db, world, run):
    sam = actor(db, world.supervisor.id)
    cid = customer_writes(db, world, "Hello")
    assign(db, sam, cid, world.agent.id)
    with db.write() as s:
        page.write(s, sam, cid, mode="note", text="@alex this one is urgent")
    other = customer_writes(db, world, "Hi", address="kim@customer.test")
    assign(db, sam, other, world.agent.id)
    run()
    first = rows(db, world.agent.id)[0]
    client, csrf = signed_in(app, *ALEX)
    r = client.post(f"/notifications/{first.id}/open", headers=HX | {"x-csrf-token": csrf})
    assert r.status_code == 204 and r.headers["hx-redirect"] == f"/conversations/{cid}"
    read = [(n.conversation_id, n.read_at is not None) for n in rows(db, world.agent.id)]
    assert read == [(cid, True), (cid, True), (other, False)]  # everything about that conversation, nothing else
    r = client.post(f"/notifications/{first.id}/open", data={"csrf_token": csrf})  # without htmx: a plain redirect
    assert r.status_code == 303 and r.headers["location"] == f"/conversations/{cid}"
    assert "Notifications, 1 unread" in client.get("/notifications/badge").text


def test_mark_all_read_without_a_reload(app, db, world, run):
    sam = actor(db, world.supervisor.id)
    for n in range(2):
        assign(db, sam, customer_writes(db, world, "Hi", address=f"c{n}@customer.test"), world.agent.id)
    run()
    client, csrf = signed_in(app, *ALEX)
    headers = HX | {"hx-target": "notification-list", "x-csrf-token": csrf}
    r = client.post("/notifications/read", headers=headers)
    assert r.status_code == 200 and r.text.startswith('<div id="notification-list"')
    assert "Marked 2 notifications read." in r.text and 'class="notification unread"' not in r.text
    assert r.headers["hx-trigger"] == "badge-changed"  # the badge recounts
    assert all(n.read_at is not None for n in rows(db))
    assert "Nothing was unread." in client.post("/notifications/read", headers=headers).text
    r = client.post("/notifications/read", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/notifications"


def test_marking_read_touches_only_the_viewers_own_rows(app, db, world, run):
    sam = actor(db, world.supervisor.id)
    assign(db, sam, customer_writes(db, world, "Mine"), world.agent.id)
    assign(db, sam, customer_writes(db, world, "Bo's", address="kim@customer.test"), world.agent2.id)
    run()
    (bos,) = rows(db, world.agent2.id)
    client, csrf = signed_in(app, *ALEX)
    r = client.post(f"/notifications/{bos.id}/open", data={"csrf_token": csrf})
    assert r.status_code == 404 and "You have no notification" in r.text
    assert client.post("/notifications/read", data={"csrf_token": csrf}).status_code == 303
    assert rows(db, world.agent2.id)[0].read_at is None
    assert rows(db, world.agent.id)[0].read_at is not None
    assert str(bos.id) not in re.findall(r'data-notification="(\d+)"', client.get("/notifications").text)


def test_writes_need_the_csrf_token_and_gets_change_nothing(app, db, world, run):
    assign(db, actor(db, world.supervisor.id), customer_writes(db, world, "Hi"), world.agent.id)
    run()
    (mine,) = rows(db)
    client, _ = signed_in(app, *ALEX)
    assert client.post("/notifications/read", data={"csrf_token": "guess"}).status_code == 403
    assert client.post(f"/notifications/{mine.id}/open", headers=HX).status_code == 403
    for path in ("/notifications", "/notifications/badge"):
        assert client.get(path).status_code == 200
    assert rows(db)[0].read_at is None

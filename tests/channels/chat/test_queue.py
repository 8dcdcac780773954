"""What the widget reads after "Talk to a person": place in the queue, expected wait, who joined; its colours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.conversations import service
from rapport.kernel.permissions import Actor
from rapport.models import Agent, Conversation, Inbox
from tests.channels.chat.conftest import KEY, SHOP, new_visitor

API = f"/chat/api/{KEY}"


def _agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, role=world.agent.role, name=world.agent.name)


def test_talk_to_a_person_answers_the_place_in_the_queue_at_once(client, db, chat_inbox, world, frozen_clock):
    with db.write() as s:
        s.get(Agent, world.agent.id).availability = "online"
    first, second = new_visitor(client), new_visitor(client)
    r = client.post(f"{API}/person", json={}, headers=first)
    assert r.status_code == 200, r.text
    assert r.json()["queue"] == {
        "waiting": True,
        "position": 1,
        "agents_online": 1,
        "available": True,
        "seconds": None,
        "answered_by": None,
        "position_text": "You are number 1 in the queue.",
        "wait_text": "We cannot estimate the wait yet; a person will answer as soon as one is free.",
        "refresh_seconds": 15,
    }
    frozen_clock[0] += timedelta(seconds=5)
    got = client.post(f"{API}/person", json={"text": "Help with my order"}, headers=second).json()
    assert got["queue"]["position"] == 2 and got["queue"]["position_text"] == "You are number 2 in the queue."
    # The first is answered after three minutes: the second moves up, and the wait now has a figure.
    frozen_clock[0] += timedelta(seconds=175)
    with db.write() as s:
        service.reply(s, _agent(world), r.json()["conversation_id"], text="Hi, Alex here.")
    mine = client.get(f"{API}/queue", headers=first).json()
    assert mine["waiting"] is False and mine["answered_by"] == "Alex" and mine["wait_text"] == "Alex joined."
    assert mine["refresh_seconds"] is None
    theirs = client.get(f"{API}/queue", headers=second).json()
    assert (theirs["position"], theirs["seconds"]) == (1, 180)
    assert theirs["wait_text"] == "Expected wait: about 3 minutes."
    # The agent's name is on the reply the widget shows.
    items = client.get(f"{API}/messages", headers=first).json()["items"]
    assert items[-1]["author_name"] == "Alex"


def test_with_nobody_online_the_queue_says_so(client, chat_inbox):
    me = new_visitor(client)
    q = client.post(f"{API}/person", json={}, headers=me).json()["queue"]
    assert (q["waiting"], q["available"], q["position"]) == (True, False, 1)
    assert q["wait_text"] == "No one is available right now."


def test_the_queue_needs_the_visitors_token_and_is_empty_before_asking(client, chat_inbox):
    assert client.get(f"{API}/queue").status_code == 401
    assert client.get(f"{API}/queue", headers={"X-Rapport-Visitor": "rcv_forged"}).status_code == 401
    me = new_visitor(client)
    q = client.get(f"{API}/queue", headers=me).json()
    assert q["waiting"] is False and q["position"] is None and q["position_text"] == ""


def test_the_theme_comes_from_the_inbox_settings(client, db, chat_inbox):
    r = client.get(f"{API}/theme")
    assert r.json() == {"accent": "#2456c7", "text": "#ffffff"} and r.headers["cache-control"] == "public, max-age=300"
    with db.write() as s:
        inbox = s.get(Inbox, chat_inbox.id)
        inbox.settings = {**inbox.settings, "theme": {"accent": "#0B6", "text": "#000000"}}
    assert client.get(f"{API}/theme").json() == {"accent": "#00bb66", "text": "#000000"}
    assert client.get("/chat/api/no-such-key/theme").status_code == 404


def _patch(client, world, inbox_id: int, theme) -> object:
    settings = {"public_key": KEY, "allowed_origins": [SHOP], "theme": theme}
    return client.patch(
        f"/api/v1/inboxes/{inbox_id}", json={"settings": settings}, headers=world.auth(world.admin_token)
    )


@pytest.mark.parametrize(
    ("theme", "field", "words"),
    [
        ({"accent": "blue"}, "settings.theme.accent", "#rgb or #rrggbb"),
        ({"accent": "#12345g"}, "settings.theme.accent", "#rgb or #rrggbb"),
        ({"text": "red; background:url(x)"}, "settings.theme.text", "#rgb or #rrggbb"),
        ({"accent": "#ffd400", "text": "#ffffff"}, "settings.theme", "at least 4.5:1"),
        ({"accent": "#2456c7", "font": "Comic Sans"}, "settings.theme.font", "Extra inputs"),
    ],
)
def test_a_bad_theme_is_refused_by_name_and_nothing_is_saved(client, db, world, chat_inbox, theme, field, words):
    r = _patch(client, world, chat_inbox.id, theme)
    assert r.status_code == 422, r.text
    body = r.json()
    assert field in [e["field"] for e in body["errors"]] and words in body["detail"]
    with db.read() as s:
        assert "theme" not in s.get(Inbox, chat_inbox.id).settings


def test_a_readable_theme_is_stored(client, db, world, chat_inbox):
    r = _patch(client, world, chat_inbox.id, {"accent": "#ffd400", "text": "#1d1d1f"})
    assert r.status_code == 200, r.text
    assert client.get(f"{API}/theme").json() == {"accent": "#ffd400", "text": "#1d1d1f"}


def test_the_admin_form_sets_the_theme_and_names_a_bad_colour(client, admin_csrf, db, world, chat_inbox):
    form = {"csrf_token": admin_csrf, "name": "Web chat", "channel": "chat", "settings.public_key": KEY,
            "settings.allowed_origins": SHOP, "settings.theme.accent": "#ffd400",
            "settings.theme.text": "#fff"}  # fmt: skip
    r = client.post(f"/admin/inboxes/{chat_inbox.id}", data=form)
    assert r.status_code == 422 and "at least 4.5:1" in r.text and "Nothing was saved" in r.text
    r = client.post(
        f"/admin/inboxes/{chat_inbox.id}", data={**form, "settings.theme.text": "#111"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    with db.read() as s:
        assert s.get(Inbox, chat_inbox.id).settings["theme"] == {"accent": "#ffd400", "text": "#111"}
    page = client.get(f"/admin/inboxes/{chat_inbox.id}")
    assert 'name="settings.theme.accent"' in page.text and 'value="#ffd400"' in page.text


def test_a_chat_moved_into_another_customers_conversation_shows_no_standing(client, db, chat_inbox, world):
    other = new_visitor(client)
    theirs = client.post(f"{API}/person", json={}, headers=other).json()["conversation_id"]
    me = new_visitor(client)
    mine = client.post(f"{API}/person", json={}, headers=me).json()["conversation_id"]
    with db.write() as s:
        s.get(Conversation, mine).merged_into_id = theirs  # as an old cross-customer merge left it
    q = client.get(f"{API}/queue", headers=me).json()
    assert (q["waiting"], q["position"], q["answered_by"]) == (False, None, None)
    assert client.get(f"{API}/queue", headers=other).json()["position"] == 1

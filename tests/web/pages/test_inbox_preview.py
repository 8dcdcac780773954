"""The inbox rows: the latest message's preview and its author, a subject from the first message when the channel
has none, the priority, and "Assign to me"."""

from __future__ import annotations

import re

from rapport.conversations import service as conversations
from rapport.kernel.permissions import Actor
from rapport.models import Conversation
from rapport.models.enums import Role
from tests.conftest import inbound


def test_rows_show_preview_author_and_derived_subject(client, world, signed_in, db):
    """An email keeps its subject; a message without one is titled by its first line; the preview is the latest."""
    with_subject = inbound(client, world.agent_token, world.email_inbox.id, text="First words", subject="Parcel")
    no_subject = inbound(
        client, world.agent_token, world.api_inbox.id, address="kim@customer.test", text="App crashes\nwhen I log in"
    )
    alex = Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex Agent")
    with db.write() as s:
        conversations.reply(s, alex, with_subject["conversation_id"], text="We are on it.\nBest, Alex")
    html = client.get("/inbox/all").text
    assert '<h1 id="view-title">All active</h1>' in html
    assert "Parcel" in html and '<span class="by">Alex Agent:</span> We are on it. Best, Alex' in html
    assert '<span class="subject derived">App crashes</span>' in html
    assert "App crashes when I log in" in html  # the preview, on one line
    assert html.count('class="pill pr-normal"') == 2 and "(no subject)" not in html
    assert f'name="assign_me" value="{no_subject["conversation_id"]}"' in html


def test_assign_to_me_assigns_that_row_alone(client, world, signed_in, db):
    """A row's "Assign to me" assigns that conversation to the signed-in agent, whatever else is ticked."""
    first = inbound(client, world.agent_token, world.email_inbox.id)["conversation_id"]
    second = inbound(client, world.agent_token, world.email_inbox.id, address="kim@customer.test")["conversation_id"]
    r = client.post(
        "/inbox/all/bulk",
        data={"assign_me": str(first), "ids": [str(second)], "action": "tag", "value_tag": "x"},
        headers={"X-CSRF-Token": signed_in, "HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    with db.read() as s:
        assert s.get(Conversation, first).assignee_id == world.agent.id
        assert s.get(Conversation, second).assignee_id is None


def test_sort_by_creation_pages_by_its_own_cursor(client, world, signed_in, db, settings):
    """?sort=created lists the newest conversation first even when an older one was updated later, and its
    pages carry the sort and a cursor of their own kind (an updated-order cursor is refused)."""
    settings.inbox_page_size = 1
    older = inbound(client, world.agent_token, world.email_inbox.id, text="older")["conversation_id"]
    newer = inbound(client, world.agent_token, world.email_inbox.id, address="kim@customer.test")["conversation_id"]
    inbound(client, world.agent_token, world.email_inbox.id, text="again")  # Jo writes again: `older` updated last
    by_update = client.get("/inbox/all").text
    assert f'data-href="/conversations/{older}"' in by_update
    by_creation = client.get("/inbox/all?sort=created").text
    assert f'data-href="/conversations/{newer}"' in by_creation and 'aria-current="true">Newest first' in by_creation
    after = re.search(r'\?after=([^"&]+)&amp;sort=created" rel="next"', by_creation).group(1)
    second = client.get(f"/inbox/all?after={after}&sort=created").text
    assert f'data-href="/conversations/{older}"' in second
    assert client.get(f"/inbox/all?after={after}").status_code == 422  # a cursor of another order
    assert client.get("/inbox/all?sort=subject").status_code == 422  # not a sort the inbox offers
    assert client.get(f"/inbox/all?after={after}&sort=priority").status_code == 422  # nor this cursor for it

"""A note's @mentions are recorded by the conversations service, so a note posted through the API notifies too."""

from __future__ import annotations

from sqlalchemy import select

from rapport.models import Event
from tests.conftest import World
from tests.notifications.conftest import customer_writes, rows


def test_a_note_posted_through_the_api_notifies_the_agent_it_mentions(client, db, world, run):
    cid = customer_writes(db, world, "Refund please")
    r = client.post(
        f"/api/v1/conversations/{cid}/notes",
        json={"text": "@alex could you look at this refund? @nobody-here"},
        headers=World.auth(world.admin_token),
    )
    assert r.status_code == 201
    with db.read() as s:
        mentioned = s.execute(select(Event.message_id, Event.payload).where(Event.name == "agent.mentioned")).all()
    assert [(m.message_id, m.payload["agent_id"]) for m in mentioned] == [(r.json()["id"], world.agent.id)]
    run()
    (got,) = rows(db)
    assert (got.agent_id, got.kind, got.conversation_id, got.actor_name) == (
        world.agent.id,
        "mentioned",
        cid,
        "Ada Admin",
    )


def test_a_note_in_html_mentions_by_its_text_and_never_its_author(client, db, world, run):
    cid = customer_writes(db, world, "Refund please")
    h = World.auth(world.agent_token)  # Alex writes: their own handle notifies nobody
    r = client.post(f"/api/v1/conversations/{cid}/notes", json={"html": "<p>@alex and <b>@bo</b>, see</p>"}, headers=h)
    assert r.status_code == 201
    run()
    assert [(n.agent_id, n.kind) for n in rows(db)] == [(world.agent2.id, "mentioned")]

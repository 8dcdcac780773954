"""Event types are declared by their domains: names checked at declaration, every emitted payload fits its model,
and every event keeps the inbox and team its conversation had when it happened."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rapport.events import consumers, registry, typed
from rapport.events.outbox import record
from rapport.events.registry import Empty, UnknownEvent
from rapport.kernel.permissions import SYSTEM
from rapport.models import Event
from rapport.worker.runner import load_handlers
from tests.conftest import World, inbound


def test_a_handler_for_an_undeclared_event_is_refused_when_declared(monkeypatch):
    monkeypatch.setattr(consumers, "CONSUMERS", {})
    monkeypatch.setattr(consumers, "WANTS", {})
    typo = typed.Consumer("typo")
    with pytest.raises(UnknownEvent, match="conversation.teleported"):
        typo.on("conversation.teleported")
    typo.on("conversation.created")  # a declared name is taken


def test_a_malformed_or_repeated_event_name_is_refused():
    with pytest.raises(ValueError, match="noun.past_verb"):
        registry.declare("ConversationCreated", Empty, lambda who, p, c: "")
    with pytest.raises(ValueError, match="already declared"):
        registry.declare("conversation.created", Empty, lambda who, p, c: "")
    assert registry.lookup("conversation.created").payload.__name__ == "ConversationCreated"


def test_recording_an_undeclared_event_is_refused(db):
    with pytest.raises(UnknownEvent), db.write() as s:
        record(s, "conversation.teleported", SYSTEM)


def test_each_domain_declares_its_own_events():
    owners = {
        t.name: t.describe.__module__ for t in registry.all_types() if not t.describe.__module__.endswith("wording")
    }
    assert owners["conversation.created"] == "rapport.conversations.events"
    assert owners["call.queued"] == "rapport.channels.voice.events"
    assert registry.names(public=False) == ["notification.created"]  # a badge refresh is nobody else's business
    assert registry.notification_kinds() == {
        "conversation.assigned": "assigned",
        "agent.mentioned": "mentioned",
        "message.received": "customer_replied",
        "conversation.woke": "woke",
        "rule.notified": "rule",
        "kudos.given": "kudos",
    }


def _flow(client, world: World) -> int:
    """Work one conversation the way people do: in, reply, note with a mention, changes, notifications."""
    token = World.auth(world.admin_token)
    conv = inbound(client, world.agent_token, world.email_inbox.id, text="Where is my order?", subject="Order")
    cid = conv["conversation_id"]
    assert (
        client.post(f"/api/v1/conversations/{cid}/replies", json={"text": "On its way."}, headers=token).status_code
        < 300
    )
    note = {"text": "@alex please follow up"}
    assert client.post(f"/api/v1/conversations/{cid}/notes", json=note, headers=token).status_code < 300
    changes = {
        "status": "pending",
        "priority": "high",
        "assignee_id": world.agent.id,
        "add_tags": ["vip"],
        "subject": "Late",
    }
    r = client.patch(f"/api/v1/conversations/{cid}", json=changes, headers=token)
    assert r.status_code == 200, r.text
    r = client.patch(f"/api/v1/conversations/{cid}", json={"team_id": None}, headers=token)
    assert r.status_code == 200, r.text
    inbound(client, world.agent_token, world.email_inbox.id, text="Thanks!")  # reopens, notifies the assignee
    load_handlers()
    consumers.run_consumers(client.app.state.db)  # the notifications consumer starts at the present
    inbound(client, world.sup_token, world.email_inbox.id, text="Still waiting")  # not Alex: Alex is told
    consumers.run_consumers(client.app.state.db)
    return cid


def test_every_event_a_flow_writes_fits_its_declared_payload(client, world, db):
    _flow(client, world)
    with db.read() as s:
        rows = s.execute(select(Event.name, Event.payload)).all()
    names = {name for name, _ in rows}
    for name, payload in rows:
        registry.lookup(name).payload.model_validate(payload)  # raises on a field the model does not know
    expected = {"conversation.created", "message.received", "message.sent", "note.added", "conversation.assigned"}
    assert expected | {"conversation.status_changed", "notification.created", "conversation.tags_changed"} <= names


def test_events_keep_the_inbox_and_team_of_their_time(client, world, db):
    cid = _flow(client, world)
    with db.read() as s:
        rows = s.execute(
            select(Event.name, Event.inbox_id, Event.team_id).where(Event.conversation_id == cid).order_by(Event.id)
        ).all()
        others = s.execute(select(Event.inbox_id, Event.team_id).where(Event.conversation_id.is_(None))).all()
    moved = next(i for i, r in enumerate(rows) if r.name == "conversation.team_changed")
    assert {r.inbox_id for r in rows} == {world.email_inbox.id}
    assert {r.team_id for r in rows[:moved]} == {world.team.id}  # written while the conversation was Support's
    assert {r.team_id for r in rows[moved:]} == {None}  # the change itself and everything after it: no team
    assert rows[-1].name == "message.received"  # the bulk inbound path places its events too
    assert others and set(others) == {(None, None)}  # events without a conversation have no place


def test_imported_events_keep_their_conversations_inbox_and_team(db, tmp_path):
    from rapport.models import Conversation
    from rapport.transfer.importer import import_file
    from tests.transfer.helpers import DIRECTORY, conversation, write_jsonl

    import_file(db, write_jsonl(tmp_path / "a.jsonl", [*DIRECTORY, conversation("zd-1")]))
    line = {"type": "message", "conversation": "zd-1", "direction": "inbound", "text": "Any news?",
            "created_at": "2026-05-03T09:00:00Z"}  # fmt: skip
    assert import_file(db, write_jsonl(tmp_path / "b.jsonl", [line])).error_count == 0  # joins zd-1
    with db.read() as s:
        conv = s.scalars(select(Conversation)).one()
        places = s.execute(select(Event.inbox_id, Event.team_id).where(Event.conversation_id == conv.id)).all()
        customers = s.execute(select(Event.inbox_id, Event.team_id).where(Event.name == "customer.created")).all()
    assert conv.team_id is not None and len(places) >= 6  # created, three messages, status, the appended message
    assert set(places) == {(conv.inbox_id, conv.team_id)}
    assert set(customers) == {(None, None)}


def test_webhooks_see_only_public_events(client, world):
    from rapport.webhooks.tasks import subscribed

    admin = World.auth(world.admin_token)
    listed = client.get("/api/v1/webhooks/event-types", headers=admin).json()
    assert "message.received" in listed and "notification.created" not in listed
    body = {"url": "https://crm.example.com/hooks", "event_types": ["notification.created"]}
    r = client.post("/api/v1/webhooks", json=body, headers=admin)
    assert r.status_code == 422 and "notification.created" in r.text
    assert subscribed(["*"], "message.received") and not subscribed(["*"], "notification.created")

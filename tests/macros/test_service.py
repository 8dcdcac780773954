"""The macros service: changes without a reply, refusals that leave nothing written, moving and deleting macros."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from rapport.conversations import service as conversations
from rapport.conversations.fields import define
from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.problems import Conflict, Forbidden, Invalid
from rapport.macros import apply, service
from rapport.models import Event, FieldDefinition, MacroUsage, Message
from rapport.models.enums import FieldKind, Role
from tests.macros.helpers import conversation


def _actor(agent, team_ids=()) -> Actor:
    return Actor(kind="agent", id=agent.id, role=Role(agent.role), name=agent.name, team_ids=frozenset(team_ids))


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_a_note_and_a_status_without_a_reply(client, world, db):
    cid = conversation(client, world)
    alex = _actor(world.agent, [world.team.id])
    with db.write() as s:
        made = service.create(s, alex, name="Hold", note="Waiting on {{ customer.first_name }}'s bank",
                              changes={"status": "on_hold", "remove_tags": ["nothing-here"]})  # fmt: skip
    with db.write() as s:
        done = apply.apply(s, alex, made.id, cid)
        assert done.reply is None and done.note.body_text == "Waiting on Jo's bank"
        assert [c.field for c in done.plan.changes] == ["status"]  # a tag it does not have is not "removed"
    with db.read() as s:
        assert conversations.repository.get(s, cid).status == "on_hold"
        assert s.scalars(select(MacroUsage.message_id)).one() is None
        names = list(s.scalars(select(Event.name).where(Event.conversation_id == cid).order_by(Event.id)))
        assert names[-3:] == ["note.added", "conversation.status_changed", "macro.applied"]


def test_a_closed_conversation_or_a_field_gone_is_refused_and_nothing_is_written(client, world, db):
    cid = conversation(client, world)
    with db.write() as s:
        define(s, SYSTEM, key="plan", label="Plan", kind=FieldKind.select, options=["basic", "plus"])
        made = service.create(s, SYSTEM, name="Plus", visibility="shared", body="On {{ field.plan | no plan }}",
                              changes={"fields": {"plan": "plus"}})  # fmt: skip
        with pytest.raises(Invalid):
            service.create(s, SYSTEM, name="Bad", visibility="shared", changes={"fields": {"plan": "gold"}})
    with db.write() as s:
        plan = apply.preview(s, SYSTEM, made.id, cid)
        assert plan.reply == "On no plan" and [(c.label, c.after) for c in plan.changes] == [
            ("Status", "open"),
            ("Plan", "plus"),
        ]
        s.execute(delete(FieldDefinition))
    with db.read() as s:
        messages, events = _count(s, Message), _count(s, Event)
    with pytest.raises(Conflict, match="custom field"), db.write() as s:
        apply.apply(s, SYSTEM, made.id, cid)
    with db.write() as s:
        conversations.update(s, SYSTEM, cid, conversations.Changes(status="solved"))
        conversations.update(s, SYSTEM, cid, conversations.Changes(status="closed"))
    with pytest.raises(Conflict, match="closed"), db.read() as s:
        apply.preview(s, SYSTEM, made.id, cid)
    with db.read() as s:
        assert _count(s, Message) == messages and _count(s, MacroUsage) == 0
        assert _count(s, Event) == events + 2  # the two status changes, nothing of the macro


def test_moving_a_macro_needs_the_right_to_keep_it_there_and_deleting_takes_its_uses(client, world, db):
    cid = conversation(client, world)
    alex, sam = _actor(world.agent, [world.team.id]), _actor(world.supervisor, [world.team.id])
    with db.write() as s:
        mine = service.create(s, alex, name="Mine", body="Hi")
        with pytest.raises(Forbidden):
            service.update(s, alex, mine.id, visibility="shared")
        team = service.create(s, sam, name="Team", visibility="team", team_id=world.team.id, body="Hello")
        moved = service.update(s, sam, team.id, visibility="shared")
        assert (moved.visibility, moved.team_id, moved.owner_id) == ("shared", None, None)
        own = service.update(s, sam, team.id, visibility="personal")
        assert own.owner_id == world.supervisor.id
        with pytest.raises(Conflict):
            service.create(s, alex, name="MINE", body="x")  # the same name, case aside
    with db.write() as s:
        apply.apply(s, alex, mine.id, cid)
    with db.write() as s:
        service.delete(s, alex, mine.id)
    with db.read() as s:
        assert _count(s, MacroUsage) == 0
        assert s.scalar(select(func.count()).where(Event.name == "macro.deleted")) == 1


def test_a_reply_the_channel_would_refuse_is_refused_in_the_preview_already(db, world, frozen_clock):
    with db.write() as s:
        inbox = inboxes.create(
            s, SYSTEM, name="WhatsApp", channel="whatsapp", address="+15550001111",
            settings={"phone_number_id": "1555000", "access_token": "token", "app_secret": "secret",
                      "verify_token": "verify", "graph_version": "v21.0"},
        )  # fmt: skip
        cid = receive_inbound(
            s, SYSTEM, Inbound(inbox_id=inbox.id, sender_kind="whatsapp", sender_address="+4915112345678",
                               sender_name="Jo", text="Where is my parcel?"),
        ).conversation_id  # fmt: skip
        made = service.create(s, SYSTEM, name="Hi", visibility="shared", body="Hi {{ customer.first_name }}")
    with db.read() as s:
        assert apply.preview(s, SYSTEM, made.id, cid).channel == "whatsapp"
    frozen_clock[0] += timedelta(hours=24, minutes=1)  # WhatsApp's 24 hours have passed
    with pytest.raises(Conflict, match="24-hour"), db.read() as s:
        apply.preview(s, SYSTEM, made.id, cid)

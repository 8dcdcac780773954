"""The clocks carried out on conversations through the real services (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport.conversations import service
from rapport.conversations.service import Changes
from rapport.kernel.permissions import Actor
from rapport.models.enums import Status
from tests.sla.conftest import clocks, conversation, sla_events, write_in

MON_9 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def agent(world) -> Actor:
    return Actor(kind="agent", id=world.agent.id, name="Alex Agent", role="agent")


def reply(db, world, conversation_id: int, *, status: Status | None = None) -> None:
    with db.write() as s:
        service.reply(s, agent(world), conversation_id, text="On it", status=status)


def change(db, world, conversation_id: int, **changes) -> None:
    with db.write() as s:
        service.update(s, agent(world), conversation_id, Changes(**changes))


def test_a_customer_message_starts_the_first_reply_clock_and_sets_the_nearest_deadline(db, world, policy):
    conv_id = write_in(db, world)
    found = clocks(db, conv_id)
    assert set(found) == {"first_reply", "resolution"}
    first = found["first_reply"][0]
    assert first.state == "running" and first.started_at == MON_9
    assert first.due_at == MON_9 + timedelta(hours=1)
    assert first.warn_at == MON_9 + timedelta(minutes=45) and first.next_at == first.warn_at
    assert found["resolution"][0].due_at == MON_9 + timedelta(hours=8)
    conv = conversation(db, conv_id)
    assert conv.sla_policy_id == policy and conv.sla_due_at == MON_9 + timedelta(hours=1)
    assert [e[0] for e in sla_events(db, conv_id)] == ["sla.applied"]
    assert sla_events(db, conv_id)[0][1]["reason"] == "new conversation"


def test_a_person_replying_meets_the_first_reply(db, world, policy, frozen_clock):
    conv_id = write_in(db, world)
    frozen_clock[0] += timedelta(minutes=20)
    reply(db, world, conv_id)
    first = clocks(db, conv_id)["first_reply"][0]
    assert first.state == "met" and first.measured_seconds == 1200 and first.next_at is None
    assert conversation(db, conv_id).sla_due_at == MON_9 + timedelta(hours=8)
    met = [e for e in sla_events(db, conv_id) if e[0] == "sla.met"]
    assert len(met) == 1 and met[0][1]["target"] == "first_reply" and met[0][1]["measured_seconds"] == 1200


def test_a_note_meets_nothing(db, world, policy, frozen_clock):
    conv_id = write_in(db, world)
    frozen_clock[0] += timedelta(minutes=5)
    with db.write() as s:
        service.add_note(s, agent(world), conv_id, text="looking")
    assert clocks(db, conv_id)["first_reply"][0].state == "running"

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


def test_a_reply_after_the_deadline_is_breached_once_at_its_deadline(db, world, policy, frozen_clock):
    conv_id = write_in(db, world)
    frozen_clock[0] = MON_9 + timedelta(minutes=90)
    reply(db, world, conv_id)
    first = clocks(db, conv_id)["first_reply"][0]
    assert first.state == "breached" and first.measured_seconds == 5400 and first.stopped_at == frozen_clock[0]
    breached = [e for e in sla_events(db, conv_id) if e[0] == "sla.breached"]
    assert len(breached) == 1
    name, payload, occurred = breached[0]
    assert occurred == MON_9 + timedelta(hours=1) and payload["late_seconds"] == 1800
    assert payload["due_at"] == (MON_9 + timedelta(hours=1)).isoformat()


def test_pending_pauses_resolution_but_never_the_first_reply(db, world, policy, frozen_clock):
    conv_id = write_in(db, world)
    frozen_clock[0] = MON_9 + timedelta(minutes=10)
    change(db, world, conv_id, status=Status.pending)
    found = clocks(db, conv_id)
    assert found["first_reply"][0].state == "running"
    resolution = found["resolution"][0]
    assert resolution.state == "paused" and resolution.spent_seconds == 600 and resolution.due_at is None
    assert resolution.paused_reason == "pending" and resolution.next_at is None
    assert conversation(db, conv_id).sla_due_at == MON_9 + timedelta(hours=1)  # the paused clock has no deadline
    # The customer answers at 10:00: resolution resumes with 7 h 50 min left (to Tuesday 09:50).
    frozen_clock[0] = MON_9 + timedelta(hours=1)
    write_in(db, world, "Here is the detail", conversation_id=conv_id)
    resolution = clocks(db, conv_id)["resolution"][0]
    assert resolution.state == "running" and resolution.due_at == datetime(2026, 11, 3, 9, 50, tzinfo=UTC)
    names = [e[0] for e in sla_events(db, conv_id)]
    assert names.count("sla.paused") == 1 and names.count("sla.resumed") == 1


def test_a_customer_writing_after_a_reply_starts_a_next_reply_clock(db, world, policy, frozen_clock):
    conv_id = write_in(db, world)
    frozen_clock[0] = MON_9 + timedelta(minutes=10)
    reply(db, world, conv_id)
    frozen_clock[0] = MON_9 + timedelta(minutes=30)
    write_in(db, world, "Thanks, one more thing", conversation_id=conv_id)
    nxt = clocks(db, conv_id)["next_reply"][0]
    assert nxt.state == "running" and nxt.due_at == MON_9 + timedelta(minutes=150)
    frozen_clock[0] = MON_9 + timedelta(minutes=40)
    reply(db, world, conv_id)
    assert clocks(db, conv_id)["next_reply"][0].state == "met"


def test_reopening_starts_a_fresh_resolution_clock(db, world, policy, frozen_clock):
    conv_id = write_in(db, world)
    frozen_clock[0] = MON_9 + timedelta(minutes=30)
    reply(db, world, conv_id, status=Status.solved)
    found = clocks(db, conv_id)
    assert found["first_reply"][0].state == "met" and found["resolution"][0].state == "met"
    assert conversation(db, conv_id).sla_due_at is None
    frozen_clock[0] = MON_9 + timedelta(hours=2)
    write_in(db, world, "It broke again", conversation_id=conv_id)
    resolutions = clocks(db, conv_id)["resolution"]
    assert [r.state for r in resolutions] == ["met", "running"]
    assert resolutions[1].started_at == frozen_clock[0] and resolutions[1].due_at == datetime(
        2026, 11, 3, 11, 0, tzinfo=UTC
    )


def test_asking_for_a_person_runs_the_human_clock_until_one_answers(db, world, policy, frozen_clock):
    from rapport.conversations.human import request_human

    conv_id = write_in(db, world)
    frozen_clock[0] = MON_9 + timedelta(minutes=2)
    with db.write() as s:
        request_human(s, agent(world), conv_id, channel="chat", via="chat_button")
    human = clocks(db, conv_id)["human"][0]
    assert human.state == "running" and human.calendar_version_id is None
    assert human.due_at == MON_9 + timedelta(minutes=12)
    assert conversation(db, conv_id).sla_due_at == MON_9 + timedelta(minutes=12)
    frozen_clock[0] = MON_9 + timedelta(minutes=5)
    reply(db, world, conv_id)
    human = clocks(db, conv_id)["human"][0]
    assert human.state == "met" and human.measured_seconds == 180


def test_merging_cancels_the_merged_conversations_clocks(db, world, policy, frozen_clock):
    from rapport.conversations.merge import merge

    source = write_in(db, world)
    target = write_in(db, world, inbox=world.email_inbox)
    frozen_clock[0] = MON_9 + timedelta(minutes=5)
    with db.write() as s:
        merge(s, Actor(kind="agent", id=world.admin.id, name="Ada", role="admin"), source, target)
    assert {c.state for cs in clocks(db, source).values() for c in cs} == {"cancelled"}
    assert conversation(db, source).sla_due_at is None
    assert {c.state for cs in clocks(db, target).values() for c in cs} == {"running"}


def test_without_a_policy_nothing_runs(db, world, frozen_clock):
    conv_id = write_in(db, world)
    reply(db, world, conv_id)
    assert clocks(db, conv_id) == {} and conversation(db, conv_id).sla_policy_id is None

"""Snooze: status kept, out of the working views until the wake-up job (frozen clock) or the customer's message, the
Snoozed view soonest first, the wake-up told to the assignee or the team; bad times refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rapport.agents.auth import actor_for
from rapport.conversations import service, snooze
from rapport.conversations.inbound import receive_inbound
from rapport.conversations.inbound_types import Inbound
from rapport.events import consumers
from rapport.kernel.permissions import SYSTEM
from rapport.kit.problems import Conflict, Invalid
from rapport.models import Agent, Conversation, Event, Job, Notification
from rapport.models.enums import Status
from rapport.worker import runner
from rapport.workspace.conversations import inbox


def _actor(db, agent_id: int):
    with db.read() as s:
        return actor_for(s, s.get(Agent, agent_id), None)


def _writes(db, world, text: str = "Hello", *, address: str = "jo@customer.test") -> int:
    with db.write() as s:
        result = receive_inbound(
            s,
            SYSTEM,
            Inbound(
                inbox_id=world.email_inbox.id,
                sender_kind="email",
                sender_address=address,
                sender_name="Jo",
                subject="Parcel",
                text=text,
            ),
        )
    return result.conversation_id


def _events(db, conversation_id: int, name: str) -> list[Event]:
    with db.read() as s:
        return list(
            s.scalars(
                select(Event).where(Event.conversation_id == conversation_id, Event.name == name).order_by(Event.id)
            )
        )


def _conv(db, conversation_id: int) -> Conversation:
    with db.read() as s:
        return s.get(Conversation, conversation_id)


def _listed(db, actor, key: str) -> list[int]:
    with db.read() as s:
        return [r.id for r in inbox.view(s, actor, key).rows]


def _counts(db, actor) -> dict[str, int]:
    with db.read() as s:
        return {c.key: c.count for c in inbox.counts(s, actor)}


def _setup(db, world):
    alex = _actor(db, world.agent.id)
    cid = _writes(db, world)
    with db.write() as s:
        service.update(s, alex, cid, service.Changes(assignee_id=world.agent.id, status=Status.pending))
    return alex, cid


def test_snooze_keeps_the_status_and_hides_it_until_the_job_wakes_it(db, world, frozen_clock):
    runner.load_handlers()
    alex, cid = _setup(db, world)
    other = _writes(db, world, address="kim@customer.test")
    until = frozen_clock[0] + timedelta(hours=3)
    with db.write() as s:
        snooze.snooze(s, alex, cid, until)
    conv = _conv(db, cid)
    assert conv.status == "pending" and conv.snoozed_until == until
    for view in ("all", "mine", "teams"):
        assert cid not in _listed(db, alex, view), view
    assert _listed(db, alex, "snoozed") == [cid]
    assert other in _listed(db, alex, "all")
    assert _counts(db, alex)["snoozed"] == 1 and _counts(db, alex)["mine"] == 0
    [event] = _events(db, cid, "conversation.snoozed")
    assert event.payload["until"].startswith("2026-11-02T12:00:00")

    frozen_clock[0] += timedelta(hours=2, minutes=59)
    assert runner.run_due(db) == 0  # not yet
    frozen_clock[0] += timedelta(minutes=1)
    assert runner.run_due(db) == 1
    conv = _conv(db, cid)
    assert conv.snoozed_until is None and conv.status == "pending"  # status-preserving
    assert conv.updated_at == frozen_clock[0]  # back at the top of its views
    assert _listed(db, alex, "all")[0] == cid and _listed(db, alex, "snoozed") == []
    [woke] = _events(db, cid, "conversation.woke")
    assert woke.payload["by"] == "time" and woke.actor_kind == "system"


def test_the_wakeup_tells_the_assignee_or_the_teams_members(db, world, frozen_clock):
    runner.load_handlers()
    consumers.run_consumers(db)
    alex, cid = _setup(db, world)
    unassigned = _writes(db, world, address="kim@customer.test")
    with db.write() as s:
        service.update(s, SYSTEM, unassigned, service.Changes(team_id=world.team.id))
        snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(hours=1))
        snooze.snooze(s, alex, unassigned, frozen_clock[0] + timedelta(hours=1))
    consumers.run_consumers(db)
    frozen_clock[0] += timedelta(hours=1)
    assert runner.run_due(db) == 2
    consumers.run_consumers(db)
    with db.read() as s:
        told = {
            (n.agent_id, n.conversation_id) for n in s.scalars(select(Notification).where(Notification.kind == "woke"))
        }
        summary = s.scalars(select(Notification.summary).where(Notification.kind == "woke")).first()
    # The assignee of one; the team's members (Sam and Alex) of the unassigned one.
    assert told == {(world.agent.id, cid), (world.agent.id, unassigned), (world.supervisor.id, unassigned)}
    assert "is back from snooze" in summary


def test_a_customers_message_wakes_it_at_once_and_the_left_job_does_nothing(db, world, frozen_clock):
    runner.load_handlers()
    consumers.run_consumers(db)
    alex, cid = _setup(db, world)
    until = frozen_clock[0] + timedelta(days=1)
    with db.write() as s:
        snooze.snooze(s, alex, cid, until)
    frozen_clock[0] += timedelta(minutes=10)
    assert _writes(db, world, "Any news?") == cid
    conv = _conv(db, cid)
    assert conv.snoozed_until is None and conv.status == "open"  # the message reopened it, as any message does
    [woke] = _events(db, cid, "conversation.woke")
    assert woke.payload["by"] == "customer"
    with db.read() as s:
        assert s.scalars(select(Job).where(Job.kind == snooze.WAKE_JOB)).all() == []  # its job was cancelled
        assert snooze.wake(s, cid, until) is False  # a job left behind finds the time gone
    consumers.run_consumers(db)
    with db.read() as s:  # the reply tells the assignee; the waking does not tell them twice
        kinds = [n.kind for n in s.scalars(select(Notification).where(Notification.agent_id == world.agent.id))]
    assert "woke" not in kinds and "customer_replied" in kinds


def test_snoozing_again_moves_the_job_and_unsnooze_cancels_it(db, world, frozen_clock):
    runner.load_handlers()
    alex, cid = _setup(db, world)
    with db.write() as s:
        snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(hours=1))
        snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(hours=5))
    with db.read() as s:
        [job] = s.scalars(select(Job).where(Job.kind == snooze.WAKE_JOB)).all()
        assert job.due_at == frozen_clock[0] + timedelta(hours=5)
    frozen_clock[0] += timedelta(hours=1)
    assert runner.run_due(db) == 0
    with db.write() as s:
        snooze.unsnooze(s, alex, cid)
        snooze.unsnooze(s, alex, cid)  # nothing to do: no second event
    assert [e.payload["by"] for e in _events(db, cid, "conversation.woke")] == ["agent"]
    with db.read() as s:
        assert s.scalars(select(Job).where(Job.kind == snooze.WAKE_JOB)).all() == []
    assert cid in _listed(db, alex, "mine")


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(seconds=-1), "has passed"),
        (timedelta(0), "has passed"),
        (timedelta(days=90, seconds=1), "at most 90 days (RAPPORT_SNOOZE_MAX_DAYS)"),
    ],
)
def test_a_bad_wakeup_time_is_refused_and_nothing_is_written(db, world, frozen_clock, offset, words):
    alex, cid = _setup(db, world)
    with pytest.raises(Invalid, match=words.replace("(", r"\(").replace(")", r"\)")) as caught, db.write() as s:
        snooze.snooze(s, alex, cid, frozen_clock[0] + offset)
    assert caught.value.extra["errors"] == [{"field": "until"}]
    assert _conv(db, cid).snoozed_until is None and _events(db, cid, "conversation.snoozed") == []


def test_the_bound_is_a_setting_and_naive_times_and_finished_conversations_are_refused(
    db, world, frozen_clock, settings
):
    alex, cid = _setup(db, world)
    settings.snooze_max_days = 2
    with pytest.raises(Invalid, match="at most 2 days"), db.write() as s:
        snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(days=3))
    with pytest.raises(Invalid, match="time zone"), db.write() as s:
        snooze.snooze(s, alex, cid, frozen_clock[0].replace(tzinfo=None) + timedelta(hours=1))
    with db.write() as s:
        service.update(s, alex, cid, service.Changes(status=Status.solved))
    with pytest.raises(Conflict, match="only active conversations"), db.write() as s:
        snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(hours=1))


def test_a_conversation_solved_while_snoozed_wakes_quietly(db, world, frozen_clock):
    runner.load_handlers()
    alex, cid = _setup(db, world)
    with db.write() as s:
        snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(hours=1))
        service.update(s, alex, cid, service.Changes(status=Status.solved))
    frozen_clock[0] += timedelta(hours=1)
    runner.run_due(db)
    assert _conv(db, cid).snoozed_until is None and _events(db, cid, "conversation.woke") == []


def test_the_snoozed_view_lists_the_soonest_wake_first_and_pages(db, world, frozen_clock, settings):
    alex = _actor(db, world.agent.id)
    ids = [_writes(db, world, address=f"c{i}@customer.test") for i in range(5)]
    with db.write() as s:
        for hours, cid in zip((5, 1, 4, 2, 3), ids, strict=True):
            snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(hours=hours))
    expected = [ids[1], ids[3], ids[4], ids[2], ids[0]]
    settings.inbox_page_size = 2
    seen, after = [], None
    with db.read() as s:
        while True:
            page = inbox.view(s, alex, "snoozed", after=after)
            seen += [r.id for r in page.rows]
            if not page.older:
                break
            after = page.older
        back = inbox.view(s, alex, "snoozed", before=inbox.view(s, alex, "snoozed", after=after).newer)
    assert seen == expected
    assert [r.id for r in back.rows] == expected[2:4]
    assert _listed(db, alex, "all") == []


def test_timeline_wording(db, world, frozen_clock):
    from rapport.conversations.wording import describe

    alex, cid = _setup(db, world)
    with db.write() as s:
        snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(hours=3))
        snooze.unsnooze(s, alex, cid)
    names = {world.agent.id: "Alex Agent"}
    [snoozed] = _events(db, cid, "conversation.snoozed")
    [woke] = _events(db, cid, "conversation.woke")
    assert describe(snoozed, names, {}) == "Alex Agent snoozed it until 2 Nov 2026 12:00 UTC"
    assert describe(woke, names, {}) == "Alex Agent unsnoozed it"


def test_one_inbound_batch_wakes_each_snoozed_conversation_it_reaches(db, world, frozen_clock):
    from rapport.conversations.inbound import receive_batch

    alex = _actor(db, world.agent.id)
    addresses = [f"c{i}@customer.test" for i in range(3)]
    ids = [_writes(db, world, address=a) for a in addresses]
    with db.write() as s:
        for cid in ids[:2]:
            snooze.snooze(s, alex, cid, frozen_clock[0] + timedelta(days=2))
    frozen_clock[0] += timedelta(minutes=1)
    batch = [
        (SYSTEM, Inbound(inbox_id=world.email_inbox.id, sender_kind="email", sender_address=a, subject="Parcel",
                         text="Again"))
        for a in addresses
    ]  # fmt: skip
    with db.write() as s:
        receive_batch(s, batch)
    assert [_conv(db, cid).snoozed_until for cid in ids] == [None, None, None]
    assert [len(_events(db, cid, "conversation.woke")) for cid in ids] == [1, 1, 0]
    assert sorted(_listed(db, alex, "all")) == sorted(ids)

"""Time rules wait to the minute (business hours too) and check again when due; count rules count from an index."""

from __future__ import annotations

from datetime import timedelta

from rapport.conversations import service as conversations
from rapport.conversations.service import Changes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation
from rapport.models.enums import Status
from rapport.rules import repository, timed
from rapport.worker import scheduler
from tests.plans import plan_of
from tests.rules.conftest import action, events, make_rule, write_in
from tests.sla.conftest import office_calendar

UNANSWERED = {"all": [{"field": "status", "op": "in", "value": ["new", "open"]},
                      {"field": "first_reply_at", "op": "is_not_set"}]}  # fmt: skip


def _priority(db, conversation_id: int) -> str:
    with db.read() as s:
        return s.get(Conversation, conversation_id).priority


def _due(db, rule_id: int, conversation_id: int):
    with db.read() as s:
        return scheduler.due_at(s, timed.key(rule_id, conversation_id))


def test_a_time_rule_fires_two_business_hours_after_the_last_message_if_still_unanswered(db, world, work, frozen_clock):
    with db.write() as s:
        calendar_id = office_calendar(s)
    rule_id = make_rule(
        db,
        "Unanswered for 2 business hours",
        {
            "events": ["message.received"],
            "delay": {"minutes": 120, "business": True, "calendar_id": calendar_id},
            "conditions": UNANSWERED,
            "actions": [action("set_priority", priority="high")],
        },
        kind="time",
    )
    work()
    frozen_clock[0] = frozen_clock[0].replace(hour=16)  # Monday 16:00: one business hour left today
    waiting = write_in(db, world, "Anyone there?")
    answered = write_in(db, world, "Hello?", address="kim@customer.test")
    work()
    monday = frozen_clock[0]
    assert _due(db, rule_id, waiting) == monday + timedelta(hours=18)  # Tuesday 10:00
    with db.write() as s:
        conversations.reply(s, SYSTEM, answered, text="Here we are.")
    frozen_clock[0] = monday + timedelta(hours=17, minutes=59)
    work()
    assert _priority(db, waiting) == "normal"
    frozen_clock[0] = monday + timedelta(hours=18)
    work()
    assert _priority(db, waiting) == "high"
    assert _priority(db, answered) == "normal"  # checked again when due: it was answered
    [executed] = events(db, waiting, "rule.executed")
    assert executed.payload["kind"] == "time" and executed.payload["rule_id"] == rule_id


def test_a_later_message_starts_the_wait_again(db, world, work, frozen_clock):
    rule_id = make_rule(
        db,
        "Quiet hour",
        {"events": ["message.received"], "delay": {"minutes": 60}, "actions": [action("tags", add=["quiet"])]},
        kind="time",
    )
    work()
    conversation_id = write_in(db, world)
    work()
    start = frozen_clock[0]
    frozen_clock[0] = start + timedelta(minutes=30)
    write_in(db, world, "Still there?", conversation_id=conversation_id)
    work()
    assert _due(db, rule_id, conversation_id) == start + timedelta(minutes=90)
    frozen_clock[0] = start + timedelta(minutes=61)
    work()
    assert not events(db, conversation_id, "rule.executed")
    frozen_clock[0] = start + timedelta(minutes=90)
    work()
    assert len(events(db, conversation_id, "rule.executed")) == 1


def test_a_disabled_time_rule_does_nothing_when_due(db, world, work, frozen_clock):
    from rapport.rules import service

    rule_id = make_rule(
        db, "Later", {"events": ["message.received"], "delay": {"minutes": 5}, "actions": [action("tags", add=["x"])]},
        kind="time",
    )  # fmt: skip
    work()
    conversation_id = write_in(db, world)
    work()
    with db.write() as s:
        service.update(s, SYSTEM, rule_id, enabled=False)
    frozen_clock[0] += timedelta(minutes=6)
    work()
    assert not events(db, conversation_id, "rule.executed")


def _solve(db, conversation_id: int) -> None:
    with db.write() as s:
        conversations.update(s, SYSTEM, conversation_id, Changes(status=Status.solved))


def test_the_third_contact_in_seven_days_across_conversations_fires_once(db, world, work, frozen_clock):
    make_rule(
        db,
        "3rd contact in 7 days",
        {
            "events": ["conversation.created"],
            "count": {"per": "customer", "window_days": 7, "nth": 3},
            "actions": [action("tags", add=["repeat-contact"])],
        },
        kind="count",
    )
    work()
    made = []
    for day in range(4):
        frozen_clock[0] += timedelta(days=1)
        made.append(write_in(db, world, f"Contact {day}"))
        work()
        _solve(db, made[-1])
    fired = [cid for cid in made if events(db, cid, "rule.executed")]
    assert fired == [made[2]]
    [executed] = events(db, made[2], "rule.executed")
    assert executed.payload["matched"][0] == {"count": 3}


def test_contacts_outside_the_window_do_not_count(db, world, work, frozen_clock):
    make_rule(
        db,
        "2nd contact in 2 days",
        {
            "events": ["conversation.created"],
            "count": {"per": "customer", "window_days": 2, "nth": 2},
            "actions": [action("tags", add=["again"])],
        },
        kind="count",
    )
    work()
    first = write_in(db, world)
    work()
    _solve(db, first)
    frozen_clock[0] += timedelta(days=3)
    second = write_in(db, world, "Back again")
    work()
    assert not events(db, second, "rule.executed")


def test_every_second_solve_of_an_agent_fires(db, world, work):
    make_rule(
        db,
        "Every 2nd solve of an agent",
        {
            "events": ["conversation.status_changed"],
            "conditions": {"field": "event.to", "op": "eq", "value": "solved"},
            "count": {"per": "agent", "every": 2},
            "actions": [action("add_note", text="Quality review: {{agent.name}}")],
        },
        kind="count",
    )
    work()
    made = []
    for i in range(4):
        cid = write_in(db, world, f"Case {i}", address=f"c{i}@customer.test")
        with db.write() as s:
            conversations.update(s, SYSTEM, cid, Changes(assignee_id=world.agent.id))
        _solve(db, cid)
        made.append(cid)
    work()
    fired = [cid for cid in made if events(db, cid, "rule.executed")]
    assert fired == [made[1], made[3]]
    [note] = events(db, made[1], "note.added")
    assert note.payload["direction"] == "note"


def test_a_count_is_answered_from_its_index(db, world, work, frozen_clock):
    rule_id = make_rule(
        db,
        "Every 10th",
        {"events": ["conversation.created"], "count": {"per": "customer", "every": 10},
         "actions": [action("tags", add=["tenth"])]},
        kind="count",
    )  # fmt: skip
    since = frozen_clock[0] - timedelta(days=7)
    plan = plan_of(db, lambda s: repository.count(s, rule_id, "customer:1", since), wants=("rule_tallies",))
    assert "ix_rule_tallies_subject" in plan, plan

"""Event rules run after commit, in order, once per conversation per event cycle, recorded on the timeline."""

from __future__ import annotations

from sqlalchemy import func, select, text

from rapport.models import Conversation, ConversationTag, RuleRun
from tests.rules.conftest import action, events, make_rule, write_in

REFUND = {"field": "message.text", "op": "contains", "value": "refund"}


def _conv(db, conversation_id: int) -> Conversation:
    with db.read() as s:
        return s.get(Conversation, conversation_id)


def _tags(db, conversation_id: int) -> set[str]:
    with db.read() as s:
        query = select(ConversationTag.tag).where(ConversationTag.conversation_id == conversation_id)
        return set(s.scalars(query))


def test_an_event_rule_acts_through_the_owning_services_and_records_what_it_did(db, world, work):
    rule_id = make_rule(
        db,
        "Refunds are urgent",
        {
            "events": ["message.received"],
            "conditions": {"all": [REFUND]},
            "actions": [action("set_priority", priority="urgent"), action("tags", add=["refund"])],
        },
    )
    work()
    plain = write_in(db, world, "Where is my parcel?")
    asked = write_in(db, world, "I want a REFUND please", address="kim@customer.test")
    work()
    assert _conv(db, plain).priority == "normal"
    assert _conv(db, asked).priority == "urgent" and _tags(db, asked) == {"refund"}
    # The owning services wrote their own events; the rule's run names rule, version, tests and actions.
    assert events(db, asked, "conversation.priority_changed", "conversation.tags_changed")
    [executed] = events(db, asked, "rule.executed")
    assert executed.payload["rule_id"] == rule_id and executed.payload["version"] == 1
    assert executed.payload["matched"] == [REFUND]
    assert executed.payload["actions"] == ["set the priority to urgent", "added the tag refund"]
    assert not events(db, plain, "rule.executed")


def test_an_event_handed_over_again_finds_its_run_and_does_nothing(db, world, work):
    from rapport.events import consumers
    from rapport.models import EventCursor

    make_rule(db, "Note", {"events": ["message.received"], "actions": [action("add_note", text="Seen")]})
    work()
    conversation_id = write_in(db, world, "Hi")
    work()
    with db.write() as s:  # the consumer's cursor moved back: delivery is at least once
        s.get(EventCursor, "rules").last_id = 0
    consumers.run_consumers(db)
    assert len(events(db, conversation_id, "note.added")) == 1
    assert len(events(db, conversation_id, "rule.executed")) == 1


def test_rules_run_in_their_order_each_on_what_the_one_before_left(db, world, work):
    make_rule(db, "First: tag", {"events": ["message.received"], "actions": [action("tags", add=["seen"])]})
    make_rule(
        db,
        "Second: only tagged",
        {
            "events": ["message.received"],
            "conditions": {"field": "tag", "op": "has", "value": "seen"},
            "actions": [action("set_priority", priority="high")],
        },
    )
    work()
    conversation_id = write_in(db, world)
    work()
    assert _conv(db, conversation_id).priority == "high"
    names = [e.payload["rule"] for e in events(db, conversation_id, "rule.executed")]
    assert names == ["First: tag", "Second: only tagged"]


def test_a_rule_without_cascade_ignores_what_rules_did(db, world, work):
    make_rule(db, "Tagger", {"events": ["message.received"], "actions": [action("tags", add=["a"])]})
    on_tags = {"events": ["conversation.tags_changed"], "actions": [action("set_priority", priority="low")]}
    make_rule(db, "On tags", on_tags)
    work()
    conversation_id = write_in(db, world)
    work()
    assert _conv(db, conversation_id).priority == "normal"


def test_two_rules_that_ping_pong_stop_and_it_is_recorded(db, world, work):
    flip = {"events": ["conversation.priority_changed"], "cascade": True}
    make_rule(db, "Up", {**flip, "conditions": {"field": "priority", "op": "eq", "value": "low"},
                         "actions": [action("set_priority", priority="high")]})  # fmt: skip
    make_rule(db, "Down", {**flip, "conditions": {"field": "priority", "op": "eq", "value": "high"},
                           "actions": [action("set_priority", priority="low")]})  # fmt: skip
    make_rule(db, "Start", {"events": ["message.received"], "actions": [action("set_priority", priority="low")]})
    work()
    conversation_id = write_in(db, world)
    work(rounds=10)
    fired = [e.payload["rule"] for e in events(db, conversation_id, "rule.executed")]
    assert fired == ["Start", "Up", "Down"]  # each once in the cycle
    [stopped] = events(db, conversation_id, "rule.stopped")
    assert stopped.payload["rule"] == "Up" and stopped.payload["reason"] == "loop"


def test_a_cascade_stops_at_its_depth_limit_and_it_is_recorded(db, world, work, settings):
    settings.rules_max_cascade = 1
    make_rule(db, "A", {"events": ["message.received"], "actions": [action("tags", add=["a"])]})
    make_rule(db, "B", {"events": ["conversation.tags_changed"], "cascade": True,
                        "actions": [action("set_priority", priority="high")]})  # fmt: skip
    make_rule(db, "C", {"events": ["conversation.priority_changed"], "cascade": True,
                        "actions": [action("tags", add=["c"])]})  # fmt: skip
    work()
    conversation_id = write_in(db, world)
    work(rounds=10)
    assert _tags(db, conversation_id) == {"a"} and _conv(db, conversation_id).priority == "high"
    stopped = events(db, conversation_id, "rule.stopped")
    assert [(e.payload["rule"], e.payload["reason"], e.payload["limit"]) for e in stopped] == [("C", "depth", 1)]
    with db.read() as s:
        outcomes = {r.outcome for r in s.scalars(select(RuleRun).where(RuleRun.conversation_id == conversation_id))}
    assert outcomes == {"fired", "stopped"}


def test_a_rule_failing_at_run_time_is_recorded_and_the_stream_goes_on(db, world, work):
    make_rule(db, "To a team", {"events": ["message.received"], "actions": [action("set_team", team_id=world.team.id),
                                                                          action("tags", add=["x"])]})  # fmt: skip
    make_rule(db, "After", {"events": ["message.received"], "actions": [action("set_priority", priority="high")]})
    work()
    with db.write() as s:  # the team is deleted after the rule was saved
        s.execute(text("DELETE FROM agent_teams"))
        s.execute(text("UPDATE inboxes SET team_id = NULL"))
        s.execute(text("UPDATE conversations SET team_id = NULL"))
        s.execute(text("DELETE FROM teams"))
    first = write_in(db, world)
    work()
    second = write_in(db, world, address="kim@customer.test")
    work()
    for conversation_id in (first, second):
        [failed] = events(db, conversation_id, "rule.failed")
        assert failed.payload["rule"] == "To a team" and "no team" in failed.payload["error"]
        assert _tags(db, conversation_id) == set()  # nothing the failing rule did was kept
        assert _conv(db, conversation_id).priority == "high"  # the next rule still ran


def test_two_rules_that_ping_pong_stop_at_the_depth_limit_and_it_is_recorded(db, world, work, settings):
    settings.rules_max_cascade = 1
    flip = {"events": ["conversation.priority_changed"], "cascade": True}
    # Down first: a rule later in the order sees what an earlier one did to the same event, so Up's change reaches
    # Down only through the event it writes, one level deeper.
    make_rule(db, "Down", {**flip, "conditions": {"field": "priority", "op": "eq", "value": "high"},
                           "actions": [action("set_priority", priority="low")]})  # fmt: skip
    make_rule(db, "Up", {**flip, "conditions": {"field": "priority", "op": "eq", "value": "low"},
                         "actions": [action("set_priority", priority="high")]})  # fmt: skip
    make_rule(db, "Start", {"events": ["message.received"], "actions": [action("set_priority", priority="low")]})
    work()
    conversation_id = write_in(db, world)
    work(rounds=10)
    assert [e.payload["rule"] for e in events(db, conversation_id, "rule.executed")] == ["Start", "Up"]
    [stopped] = events(db, conversation_id, "rule.stopped")
    assert (stopped.payload["rule"], stopped.payload["reason"], stopped.payload["limit"]) == ("Down", "depth", 1)
    assert _conv(db, conversation_id).priority == "high"


def test_runs_and_cascade_marks_are_forgotten_after_their_keep(db, frozen_clock, world, work, settings):
    from datetime import timedelta

    from rapport.models import RuleCaused
    from rapport.rules.timed import forget_runs

    make_rule(db, "Tag", {"events": ["message.received"], "actions": [action("tags", add=["x"])]})
    work()
    write_in(db, world)
    work()
    with db.write() as s:
        assert forget_runs(s, {}) == 0  # still kept
    frozen_clock[0] += timedelta(days=settings.rules_runs_keep_days + 1)
    with db.write() as s:
        assert forget_runs(s, {}) == 1
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(RuleRun)) == 0
        assert s.scalar(select(func.count()).select_from(RuleCaused)) == 0

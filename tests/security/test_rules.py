"""Rules and outside input: patterns that could backtrack without end are refused, rule-sent replies are limited per
customer, and no rule ever answers an automatic reply, a bounce or a mailing."""

from __future__ import annotations

import time

import pytest

from rapport.conditions import patterns
from rapport.conditions.model import parse
from rapport.conversations import service as conversations
from rapport.conversations.service import Changes
from rapport.kernel.permissions import SYSTEM
from rapport.kit.problems import Invalid
from rapport.models.enums import Status
from tests.rules.conftest import action, events, make_rule, write_in

CATASTROPHIC = [r"(a+)+$", r"(a|aa)*b", r"(\w+\s?)*$", r"(x+x+)+y", r"(\w)\1", r".*.*=.*", r"(.*a){12}"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_pattern_that_could_backtrack_catastrophically_is_refused(pattern):
    with pytest.raises(Invalid) as refused:
        parse({"field": "message.text", "op": "matches", "value": pattern}, scope="rule")
    assert "backtrack" in refused.value.detail or "RAPPORT_CONDITION_PATTERN_MAX_STEPS" in refused.value.detail


def test_a_long_pattern_is_refused_naming_the_setting(settings):
    with pytest.raises(Invalid, match="RAPPORT_CONDITION_PATTERN_MAX_CHARS"):
        parse({"field": "message.text", "op": "matches", "value": "a" * 201}, scope="rule")


def test_an_accepted_pattern_stays_fast_on_hostile_text(settings):
    """The worst a pattern within the limits can do on the longest text a rule reads: milliseconds, not minutes."""
    accepted = [r"a*b", r"order\s?#?\s?\d+", r"\d{1,5}-\d+", r"^(re|fwd):"]
    for pattern in accepted:
        patterns.check(pattern)
        for hostile in ("a" * 100_000, "1" * 100_000, " " * 100_000):
            start = time.perf_counter()
            patterns.search(pattern, hostile)
            assert time.perf_counter() - start < 0.25, pattern


def test_rule_fields_are_not_open_to_other_conditions():
    with pytest.raises(Invalid, match="unknown field 'message.text'"):
        parse({"field": "message.text", "op": "contains", "value": "x"})


def _auto_reply_rule(db):
    thanks = action("reply", text="Thanks {{customer.name}}!")
    return make_rule(db, "Acknowledge", {"events": ["message.received"], "actions": [thanks]})


def test_rule_replies_are_limited_per_customer(db, world, work, settings):
    settings.rules_replies_per_customer_per_hour = 2
    _auto_reply_rule(db)
    work()
    made = []
    for i in range(3):
        made.append(write_in(db, world, f"Message {i}"))
        work()
        with db.write() as s:  # solved, so the next message opens a new conversation (a new event cycle)
            conversations.update(s, SYSTEM, made[-1], Changes(status=Status.solved))
    sent = [len(events(db, cid, "message.sent")) for cid in made]
    assert sent == [1, 1, 0]
    [third] = events(db, made[2], "rule.executed")
    said = third.payload["actions"][0]
    assert said.startswith("sent no reply") and "limit of 2" in said
    assert "RAPPORT_RULES_REPLIES_PER_CUSTOMER_PER_HOUR" in said


@pytest.mark.parametrize(
    "meta",
    [{"email": {"kind": "auto_reply"}}, {"email": {"kind": "bounce"}}, {"no_auto_reply": True}],
    ids=["auto-reply", "bounce", "mailing"],
)
def test_a_rule_never_answers_an_automatic_message(db, world, work, meta):
    _auto_reply_rule(db)
    work()
    conversation_id = write_in(db, world, "I am out of office", meta=meta)
    work()
    assert not events(db, conversation_id, "message.sent")
    [executed] = events(db, conversation_id, "rule.executed")
    assert executed.payload["actions"][0].startswith("sent no reply")


def test_a_person_gets_the_rule_reply(db, world, work):
    _auto_reply_rule(db)
    work()
    conversation_id = write_in(db, world, "Hello")
    work()
    assert len(events(db, conversation_id, "message.sent")) == 1

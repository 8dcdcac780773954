"""Rules hand work to other plans: apply a (shared or team) macro, start a playbook (an internal task is a one-step
playbook). Checked at save like every action; a macro that replies obeys the rules' reply limits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.problems import Invalid
from rapport.macros import service as macros
from rapport.models import Conversation, ConversationTag, MacroUsage, Message, PlaybookRun
from rapport.models.enums import Direction, Role
from rapport.playbooks import templates as playbooks
from rapport.playbooks.schemas import TemplatePatch
from tests.rules.conftest import action, events, make_rule, write_in

TASK = {"name": "Call back", "steps": [{"title": "Call the customer back", "offset_seconds": 3600}]}


def _alex(world) -> Actor:
    agent = world.agent
    return Actor(kind="agent", id=agent.id, role=Role(agent.role), name=agent.name, team_ids=frozenset([world.team.id]))


def _macro(db, actor, **fields) -> int:
    with db.write() as s:
        return macros.create(s, actor, **fields).id


def test_a_rule_applies_a_shared_macro_as_an_agent_would(db, world, work):
    macro_id = _macro(db, SYSTEM, name="Refund received", visibility="shared",
                      body="Hello {{ customer.first_name | there }}, your refund request is with our billing team.",
                      changes={"add_tags": ["refund"], "priority": "high"})  # fmt: skip
    make_rule(db, "Refunds get the macro", {
        "events": ["message.received"],
        "conditions": {"field": "message.text", "op": "contains", "value": "refund"},
        "actions": [action("apply_macro", macro_id=macro_id)]})  # fmt: skip
    work()
    conversation_id = write_in(db, world, "I would like a refund please")
    work()
    with db.read() as s:
        conv = s.get(Conversation, conversation_id)
        tags = set(s.scalars(select(ConversationTag.tag).where(ConversationTag.conversation_id == conversation_id)))
        outbound = Message.direction == Direction.outbound.value
        sent = list(s.scalars(select(Message.body_text).where(Message.conversation_id == conversation_id, outbound)))
        used = s.scalar(select(MacroUsage.conversation_id).where(MacroUsage.macro_id == macro_id))
    assert conv.priority == "high" and "refund" in tags and used == conversation_id
    assert len(sent) == 1 and "your refund request is with our billing team" in sent[0]
    done = [e.payload["actions"] for e in events(db, conversation_id, "rule.executed")]
    assert "applied the macro 'Refund received'" in str(done)


def test_a_macro_that_replies_is_not_applied_to_an_automatic_message(db, world, work):
    macro_id = _macro(db, SYSTEM, name="Thanks", visibility="shared", body="Thank you for writing.")
    make_rule(db, "Thank everyone", {"events": ["message.received"],
                                     "actions": [action("apply_macro", macro_id=macro_id)]})  # fmt: skip
    work()
    auto_reply = {"email": {"kind": "auto_reply"}}
    conversation_id = write_in(db, world, "I am out of the office until Monday.", meta=auto_reply)
    work()
    with db.read() as s:
        assert s.scalar(select(MacroUsage.id).where(MacroUsage.macro_id == macro_id)) is None
    done = [e.payload["actions"] for e in events(db, conversation_id, "rule.executed")]
    assert "applied no macro" in str(done)


def test_a_rule_starts_a_playbook_once_per_conversation(db, world, work):
    with db.write() as s:
        template_id = playbooks.create(s, SYSTEM, TASK).id
    start = action("start_playbook", template_id=template_id)
    make_rule(db, "Call back on every message", {"events": ["message.received"], "actions": [start]})
    work()
    conversation_id = write_in(db, world, "Please call me")
    write_in(db, world, "Please call me, again", conversation_id=conversation_id)
    work()
    with db.read() as s:
        runs = list(s.scalars(select(PlaybookRun.conversation_id).where(PlaybookRun.template_id == template_id)))
    assert runs == [conversation_id]  # the running one stays: a second start is the same run


@pytest.mark.parametrize("case", ["personal macro", "no macro", "no playbook", "playbook off"])
def test_a_hand_over_to_something_a_rule_may_not_use_is_refused_when_saved(db, world, case):
    alex = _alex(world)
    with db.write() as s:
        template = playbooks.create(s, SYSTEM, TASK)
        if case == "playbook off":
            playbooks.update(s, SYSTEM, template.id, TemplatePatch(active=False))
    spec = {
        "personal macro": action("apply_macro", macro_id=_macro(db, alex, name="Mine", body="Hi")),
        "no macro": action("apply_macro", macro_id=999_999),
        "no playbook": action("start_playbook", template_id=999_999),
        "playbook off": action("start_playbook", template_id=template.id),
    }[case]
    with pytest.raises(Invalid) as refused:
        make_rule(db, "Hand over", {"events": ["message.received"], "actions": [spec]})
    assert refused.value.extra["errors"][0]["field"].endswith(("params.macro_id", "params.template_id"))

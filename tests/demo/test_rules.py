"""The demo's rules: ten realistic ones of all three kinds, added once, acting on what happens next."""

from sqlalchemy import select

from rapport.demo.rules import ensure_rules
from rapport.demo.sla import ensure_targets
from rapport.models import Rule
from tests.rules.conftest import events, work, write_in  # noqa: F401  (work: the worker pass fixture)


def test_the_demo_adds_ten_rules_once_and_they_act(db, world, work):  # noqa: F811
    assert ensure_rules(db) is False  # no office calendar yet: nothing to count business hours on
    assert ensure_targets(db) is True
    assert ensure_rules(db) is True
    with db.read() as s:
        rules = list(s.execute(select(Rule.name, Rule.kind).order_by(Rule.position)))
    assert len(rules) == 10 and {k for _, k in rules} == {"event", "time", "count"}
    names = [n for n, _ in rules]
    assert "3rd contact in 7 days: supervisor follow-up" in names
    assert "Every 10th conversation of a VIP: personal thank-you" in names
    assert ensure_rules(db) is False  # a second start adds nothing
    work()
    conversation_id = write_in(db, world, "I need a refund ASAP please")
    work()
    fired = {e.payload["rule"] for e in events(db, conversation_id, "rule.executed")}
    assert {"Refund requests are flagged", "Urgent words raise the priority"} <= fired

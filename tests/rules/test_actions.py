"""Each built-in action through the domain that owns it: status by the lifecycle, fields, category, assignee,
notifications, webhooks; conditions on business hours and the event; the timeline's words for what rules did."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rapport.categories import service as categories
from rapport.conversations import fields as custom_fields
from rapport.conversations.wording import describe
from rapport.events import consumers
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, Conversation, Notification, WebhookDelivery
from rapport.models.enums import FieldKind
from rapport.webhooks import service as webhooks
from tests.rules.conftest import action, events, make_rule, write_in
from tests.sla.conftest import office_calendar


def _conv(db, conversation_id: int) -> Conversation:
    with db.read() as s:
        return s.get(Conversation, conversation_id)


def test_status_category_assignee_and_fields_go_through_their_owners(db, world, work):
    with db.write() as s:
        categories.create(s, SYSTEM, name="Billing")
        custom_fields.define(s, SYSTEM, key="plan", label="Plan", kind=FieldKind.text)
    make_rule(
        db,
        "Triage",
        {
            "events": ["message.received"],
            "actions": [
                action("set_category", category="Billing"),
                action("set_assignee", agent_id=world.agent.id),
                action("set_fields", values={"plan": "gold"}),
                action("set_status", status="pending"),
            ],
        },
    )
    work()
    conversation_id = write_in(db, world)
    work()
    conv = _conv(db, conversation_id)
    assert (conv.status, conv.assignee_id, conv.custom_fields) == ("pending", world.agent.id, {"plan": "gold"})
    assert conv.category_id is not None
    names = [e.name for e in events(db, conversation_id)]
    for name in ("conversation.category_changed", "conversation.assigned", "conversation.fields_changed",
                 "conversation.status_changed"):  # fmt: skip
        assert name in names


def test_notify_tells_the_agents_and_team_members_in_their_notifications(db, world, work):
    make_rule(
        db,
        "Tell the team",
        {
            "events": ["message.received"],
            "actions": [action("notify", agent_ids=[world.agent2.id], team_ids=[world.team.id], text="VIP wrote")],
        },
    )
    work()
    conversation_id = write_in(db, world)
    work()
    with db.read() as s:
        told = s.execute(select(Notification.agent_id, Notification.kind, Notification.summary)).all()
    rule_told = sorted(a for a, kind, _ in told if kind == "rule")
    assert rule_told == sorted([world.agent2.id, world.supervisor.id, world.agent.id])
    assert any("Rule “Tell the team”" in summary and "VIP wrote" in summary for _, _, summary in told)
    assert len(events(db, conversation_id, "rule.notified")) == 3


def test_webhook_queues_a_signed_delivery_of_the_rules_event(db, world, work):
    with db.write() as s:
        endpoint, _ = webhooks.create_endpoint(
            s, SYSTEM, url="https://hooks.example.com/rapport", event_types=["conversation.created"]
        )
    make_rule(db, "Call out", {"events": ["message.received"], "actions": [action("webhook", endpoint_id=endpoint.id)]})
    work(rounds=1)
    conversation_id = write_in(db, world)
    consumers.run_consumers(db)  # the rules, not yet the delivery job: the delivery waits, pending
    [called] = events(db, conversation_id, "rule.webhook_called")
    with db.read() as s:
        deliveries = s.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == called.id)).all()
    queued = [(d.endpoint_id, d.event_type, d.state) for d in deliveries]
    assert queued == [(endpoint.id, "rule.webhook_called", "pending")]


def test_business_hours_and_event_fields_are_conditions(db, world, work, frozen_clock):
    with db.write() as s:
        calendar_id = office_calendar(s)
    make_rule(
        db,
        "Out of hours",
        {
            "events": ["message.received"],
            "conditions": {"field": "business_hours", "op": "closed", "value": calendar_id},
            "actions": [action("tags", add=["after-hours"])],
        },
    )
    work()
    during = write_in(db, world)  # Monday 09:00: open
    work()
    frozen_clock[0] += timedelta(hours=10)  # Monday 19:00: closed
    after = write_in(db, world, address="kim@customer.test")
    work()
    assert not events(db, during, "rule.executed")
    [executed] = events(db, after, "rule.executed")
    assert executed.payload["matched"] == [{"field": "business_hours", "op": "closed", "value": calendar_id}]


def test_the_timeline_words_what_rules_did(db, world, work, settings):
    make_rule(db, "Refunds", {"events": ["message.received"], "actions": [action("set_priority", priority="high")]})
    assign = action("set_assignee", agent_id=world.agent2.id)
    make_rule(db, "Broken", {"events": ["message.received"], "actions": [assign]})
    work()
    with db.write() as s:
        s.get(Agent, world.agent2.id).active = False  # an agent gone since the rule was saved
    conversation_id = write_in(db, world)
    work()
    [executed] = events(db, conversation_id, "rule.executed")
    assert describe(executed, {}) == "Rule “Refunds” (v1) ran: set the priority to high"
    [failed] = events(db, conversation_id, "rule.failed")
    assert describe(failed, {}).startswith("Rule “Broken” (v1) failed and was skipped: NotFound")

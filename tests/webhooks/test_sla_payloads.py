"""Webhooks and service targets: deliveries carry the conversation's nearest deadline and policy, and the clocks'
events (sla.*) can be subscribed to like any other."""

from __future__ import annotations

import json
from datetime import timedelta

from rapport.events.outbox import record
from rapport.kernel.permissions import SYSTEM
from rapport.webhooks import service
from tests.sla.clock_rows import Policy, clock, conversation, minutes
from tests.webhooks.conftest import make_endpoint, work


def _timed(db, world, now) -> dict:
    with db.write() as s:
        p = Policy(s)
        conv = conversation(s, world.email_inbox.id, due=now + minutes(25), policy=p)
        clock(s, p, conv, target="next_reply", due_at=now + minutes(25), warn_at=now + minutes(10))
        return {"id": conv, "policy_id": p.policy.id, "due": now + minutes(25)}


def test_the_clock_events_are_offered_to_endpoints():
    offered = service.event_groups(SYSTEM)["sla"]
    assert {"sla.applied", "sla.warned", "sla.breached", "sla.met", "sla.paused", "sla.resumed"} <= set(offered)


def test_a_delivery_carries_the_deadline_and_the_clock_event(db, world, started, receiver, frozen_clock):
    timed = _timed(db, world, frozen_clock[0])
    make_endpoint(db, receiver.url, event_types=["sla.warned", "conversation.status_changed"])
    with db.write() as s:
        record(s, "sla.warned", SYSTEM, conversation_id=timed["id"], target="next_reply",
               policy_id=timed["policy_id"], clock_id=2, due_at=timed["due"].isoformat())  # fmt: skip
        record(s, "sla.breached", SYSTEM, conversation_id=timed["id"], target="next_reply",
               policy_id=timed["policy_id"], clock_id=2)  # fmt: skip
    frozen_clock[0] += timedelta(seconds=1)
    work(db)
    [got] = receiver.requests  # only what the endpoint took
    payload = json.loads(got.body)
    assert payload["type"] == "sla.warned" and payload["conversation_id"] == timed["id"]
    assert payload["sla_due_at"].startswith("2026-11-02T09:25:00") and payload["sla_policy_id"] == timed["policy_id"]
    assert payload["data"]["target"] == "next_reply" and payload["data"]["clock_id"] == 2


def test_without_a_conversation_the_fields_are_null(db, world, started, receiver):
    make_endpoint(db, receiver.url, event_types=["sla_policy.created"])
    with db.write() as s:
        record(s, "sla_policy.created", SYSTEM, object="sla_policy", object_id=1)
    work(db)
    [got] = receiver.requests
    payload = json.loads(got.body)
    assert (payload["sla_due_at"], payload["sla_policy_id"]) == (None, None)

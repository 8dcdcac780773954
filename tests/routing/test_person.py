""" "Talk to a person" on every channel: a request raises the priority and heads the queue; a short text asking for a
person on SMS, WhatsApp, email or the portal is such a request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.conversations import human
from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM
from rapport.models import Conversation
from rapport.routing import assign, service
from rapport.routing.listeners import asks_for_person
from tests.routing.conftest import arrive, online, routed


@pytest.mark.parametrize(
    "text", ["agent", "Human please", "talk to a person", "I want to speak to a representative!", "operator?"]
)
def test_short_requests_for_a_person_are_recognised(text):
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text", ["", "My agent said the parcel is late", "person " * 20, "agentagent", "the human resources team"]
)
def test_other_messages_are_not(text):
    assert not asks_for_person(text)


def test_a_request_raises_priority_and_is_routed_before_older_work(db, world, frozen_clock, run):
    routed(db, world)
    run()
    older = arrive(db, frozen_clock, world.email_inbox.id, "old@customer.test")
    asking = arrive(db, frozen_clock, world.email_inbox.id, "asks@customer.test")
    with db.write() as s:
        human.request_human(s, SYSTEM, asking, channel="chat", via="chat_button")
    run()  # nobody online: both wait; the request raised the priority
    with db.read() as s:
        assert s.get(Conversation, asking).priority == "high"
        assert s.get(Conversation, older).assignee_id is None
    with db.write() as s:
        service.set_capacity(s, SYSTEM, world.agent.id, capacity=1)
    online(db, world.agent.id)
    with db.write() as s:
        assert assign.route_queue(s) == [asking]  # first in the queue; then the agent is full


def test_an_sms_asking_for_a_person_is_a_request(db, world, frozen_clock, run):
    with db.write() as s:
        sms = inboxes.create(s, SYSTEM, name="SMS", channel="sms", address="+15550100").id
    run()
    frozen_clock[0] += timedelta(seconds=5)
    with db.write() as s:
        got = receive_inbound(s, SYSTEM, Inbound(sms, "phone", "+15550199", text="AGENT", channel="sms"))
    run()
    run()
    with db.read() as s:
        conv = s.get(Conversation, got.conversation_id)
        assert conv.human_requested_at is not None and conv.priority == "high"


def test_the_consumer_wants_only_declared_events():
    from rapport.events.registry import lookup
    from rapport.routing.listeners import WANTS

    assert all(lookup(name).name == name for name in WANTS)

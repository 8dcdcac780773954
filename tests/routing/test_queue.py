"""A place in the inbox's human queue and the wait ahead: position, median of recent waits, who answered."""

from __future__ import annotations

from datetime import timedelta

from rapport.conversations import human, service
from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.inboxes import service as inboxes
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models import Agent, Conversation
from rapport.routing import queue
from rapport.routing.queue import Standing, standing


def _ask(db, inbox_id: int, address: str, frozen_clock, *, after: int = 10) -> int:
    frozen_clock[0] += timedelta(seconds=after)
    with db.write() as s:
        got = receive_inbound(s, SYSTEM, Inbound(inbox_id, "email", address, text="I need a person"))
        human.request_human(s, SYSTEM, got.conversation_id, channel="api", via="test")
        return got.conversation_id


def _answer(db, world, conv_id: int, frozen_clock, *, after: int) -> None:
    frozen_clock[0] += timedelta(seconds=after)
    with db.write() as s:
        service.reply(s, Actor(kind="agent", id=world.agent.id, role=world.agent.role), conv_id, text="Hello")


def _online(db, *agent_ids: int) -> None:
    with db.write() as s:
        for agent_id in agent_ids:
            s.get(Agent, agent_id).availability = "online"


def test_position_counts_only_earlier_active_requests_in_the_same_inbox(db, world, frozen_clock):
    with db.write() as s:
        other = inboxes.create(s, SYSTEM, name="Other", channel="api").id
    first = _ask(db, world.api_inbox.id, "a@example.net", frozen_clock)
    _ask(db, other, "elsewhere@example.net", frozen_clock)  # another inbox's queue
    closed = _ask(db, world.api_inbox.id, "gone@example.net", frozen_clock)
    second = _ask(db, world.api_inbox.id, "b@example.net", frozen_clock)
    with db.write() as s:
        s.get(Conversation, closed).status = "closed"  # gone from the queue, though still flagged
    with db.read() as s:
        assert standing(s, first).position == 1
        assert standing(s, second).position == 2
    # Two requests at the same instant: the older conversation is ahead.
    with db.write() as s:
        s.get(Conversation, second).human_requested_at = s.get(Conversation, first).human_requested_at
    with db.read() as s:
        assert (standing(s, first).position, standing(s, second).position) == (1, 2)


def test_nobody_online_says_so_and_gives_no_figure(db, world, frozen_clock):
    conv = _ask(db, world.api_inbox.id, "a@example.net", frozen_clock)
    with db.read() as s:
        st = standing(s, conv)
    assert st == Standing(True, 1, 0, None)
    assert st.position_text() == "You are number 1 in the queue."
    assert st.wait_text() == "No one is available right now."


def test_without_recent_answers_the_text_says_there_is_no_estimate(db, world, frozen_clock):
    conv = _ask(db, world.api_inbox.id, "a@example.net", frozen_clock)
    _online(db, world.agent.id)
    with db.read() as s:
        st = standing(s, conv)
    assert st.seconds is None and st.available
    assert st.wait_text().startswith("We cannot estimate the wait yet")


def test_expected_wait_is_the_median_of_recent_waits_in_the_inbox_times_the_rounds(db, world, frozen_clock):
    # Three answered requests in this inbox: 60 s, 120 s, 600 s (median 120 s, the mean would be 260 s).
    for address, wait in (("a@x.net", 60), ("b@x.net", 120), ("c@x.net", 600)):
        conv = _ask(db, world.api_inbox.id, address, frozen_clock)
        _answer(db, world, conv, frozen_clock, after=wait)
    # An answer in another inbox does not count.
    with db.write() as s:
        other = inboxes.create(s, SYSTEM, name="Other", channel="api").id
    _answer(db, world, _ask(db, other, "z@x.net", frozen_clock), frozen_clock, after=5000)
    with db.read() as s:
        assert queue.median_wait(s, world.api_inbox.id) == 120
    _online(db, world.agent.id)
    first = _ask(db, world.api_inbox.id, "d@x.net", frozen_clock)
    second = _ask(db, world.api_inbox.id, "e@x.net", frozen_clock)
    with db.read() as s:
        st = standing(s, second)
    assert (st.position, st.agents_online, st.seconds) == (2, 1, 240)  # two rounds of 120 s
    assert st.wait_text() == "Expected wait: about 4 minutes."
    _online(db, world.agent2.id)
    with db.read() as s:
        assert standing(s, second).seconds == 120  # two agents: one round
        assert standing(s, first).wait_text() == "Expected wait: about 2 minutes."


def test_answers_older_than_the_window_are_forgotten(db, world, frozen_clock):
    conv = _ask(db, world.api_inbox.id, "a@x.net", frozen_clock)
    _answer(db, world, conv, frozen_clock, after=90)
    with db.read() as s:
        assert queue.median_wait(s, world.api_inbox.id) == 90
    frozen_clock[0] += queue.WINDOW + timedelta(seconds=1)
    with db.read() as s:
        assert queue.median_wait(s, world.api_inbox.id) is None


def test_once_answered_the_standing_names_the_agent(db, world, frozen_clock):
    conv = _ask(db, world.api_inbox.id, "a@x.net", frozen_clock)
    _answer(db, world, conv, frozen_clock, after=30)
    with db.read() as s:
        st = standing(s, conv)
    assert st == Standing(False, answered_by="Alex")
    assert st.position_text() == "" and st.wait_text() == "Alex joined."


def test_a_long_queue_is_counted_only_up_to_the_cap(db, world, frozen_clock, monkeypatch):
    monkeypatch.setattr(queue, "MAX_COUNTED", 2)
    for n in range(3):
        _ask(db, world.api_inbox.id, f"p{n}@x.net", frozen_clock)
    last = _ask(db, world.api_inbox.id, "last@x.net", frozen_clock)
    with db.read() as s:
        st = standing(s, last)
    assert st.position == 4  # 1 + (cap + 1): the count stopped there
    assert st.position_text() == "More than 2 people are ahead of you in the queue."


def test_the_inbox_wait_before_asking_counts_this_inbox_only(db, world, settings, frozen_clock):
    with db.write() as s:
        other = inboxes.create(s, SYSTEM, name="Other", channel="api").id
    _ask(db, world.api_inbox.id, "a@x.net", frozen_clock)
    _ask(db, other, "b@x.net", frozen_clock)
    closed = _ask(db, world.api_inbox.id, "c@x.net", frozen_clock)
    with db.write() as s:
        s.get(Conversation, closed).status = "closed"
    with db.read() as s:
        assert queue.inbox_wait(s, world.api_inbox.id).waiting == 1
        assert queue.inbox_wait(s, world.api_inbox.id).seconds is None  # nobody online
    _online(db, world.agent.id)
    with db.read() as s:
        # One ahead, one agent, no recent answers: two rounds of the default.
        assert queue.inbox_wait(s, world.api_inbox.id).seconds == 2 * settings.expected_wait_default_seconds

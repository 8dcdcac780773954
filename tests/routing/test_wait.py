"""The expected wait for a person: nobody online, a queue shared among agents, learned from recent answers."""

from __future__ import annotations

from datetime import timedelta

from rapport.conversations import human, service
from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models import Agent
from rapport.routing.wait import expected_wait


def _ask(db, world, address: str) -> int:
    with db.write() as s:
        got = receive_inbound(s, SYSTEM, Inbound(world.api_inbox.id, "email", address, text="I need a person"))
        human.request_human(s, SYSTEM, got.conversation_id, channel="api", via="test")
        return got.conversation_id


def _online(db, *agent_ids: int) -> None:
    with db.write() as s:
        for agent_id in agent_ids:
            s.get(Agent, agent_id).availability = "online"


def test_nobody_online_says_so(db, world, frozen_clock):
    _ask(db, world, "a@example.net")
    with db.read() as s:
        wait = expected_wait(s)
    assert (wait.waiting, wait.agents_online, wait.seconds) == (1, 0, None)
    assert wait.spoken() == "No one is available right now."


def test_queue_is_shared_among_agents_online_and_learns_from_answers(db, world, settings, frozen_clock):
    first = _ask(db, world, "a@example.net")
    _ask(db, world, "b@example.net")
    _online(db, world.agent.id)
    with db.read() as s:
        # Two ahead, one agent: three rounds of the default.
        assert expected_wait(s).seconds == 3 * settings.expected_wait_default_seconds
    frozen_clock[0] += timedelta(seconds=40)
    with db.write() as s:
        service.reply(s, Actor(kind="agent", id=world.agent.id, role=world.agent.role), first, text="Hello")
    _online(db, world.agent2.id)
    with db.read() as s:
        wait = expected_wait(s, channel="api")
    # One still waiting, two agents: one round of the 40 s the last request took.
    assert (wait.waiting, wait.agents_online, wait.seconds) == (1, 2, 40)
    assert wait.spoken() == "The expected wait is about 1 minute."

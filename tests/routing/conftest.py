"""Routing's fixtures: agents online in a routed team, conversations arriving, and the consumers run on demand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.agents import service as agents
from rapport.conversations.inbound import Inbound, receive_inbound
from rapport.events import consumers
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.models import Agent
from rapport.models.enums import Role
from rapport.routing import service
from rapport.worker.runner import load_handlers


@pytest.fixture
def run(db):
    """Run the event consumers now (the first call starts them at the present)."""
    load_handlers()
    assert "routing" in consumers.CONSUMERS
    consumers.run_consumers(db)
    return lambda: consumers.run_consumers(db)


def actor_of(agent: Agent) -> Actor:
    """An agent acting through a browser session."""
    return Actor(kind="agent", id=agent.id, role=Role(agent.role), name=agent.name)


def online(db, *agent_ids: int, availability: str = "online") -> None:
    """Set agents' availability directly (no event: the test drives routing itself)."""
    with db.write() as s:
        for agent_id in agent_ids:
            s.get(Agent, agent_id).availability = availability


def arrive(db, frozen_clock, inbox_id: int, address: str, *, text: str = "Help please", after: int = 10) -> int:
    """A customer message arrives (a new conversation); its id."""
    frozen_clock[0] += timedelta(seconds=after)
    with db.write() as s:
        got = receive_inbound(s, SYSTEM, Inbound(inbox_id, "email", address, text=text))
        return got.conversation_id


def team_agents(db, world, count: int) -> list[int]:
    """`count` more agents in the world's team; their ids (with the world's own team agent first)."""
    ids = [world.agent.id]
    with db.write() as s:
        for n in range(count):
            made = agents.create_agent(
                s, SYSTEM, name=f"Agent {n}", email=f"agent{n}@example.com", role=Role.agent,
                team_ids=[world.team.id],
            )  # fmt: skip
            ids.append(made.id)
    return ids


def routed(db, world, mode: str = "balanced", **options) -> None:
    """Route the world's team (its email inbox belongs to it) in `mode`."""
    with db.write() as s:
        service.save_setting(s, SYSTEM, team_id=world.team.id, mode=mode, **options)


def skills(db, *names: str) -> None:
    """Declare skills."""
    with db.write() as s:
        for name in names:
            service.create_skill(s, SYSTEM, name=name, kind="language" if len(name) == 2 else "product")

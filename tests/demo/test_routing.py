"""The demo's routing: balanced in every team, its agents' skills declared, agents online with capacity, the queue
routed at once and the live traffic routed as it arrives."""

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

from rapport.demo import generate
from rapport.demo.routing import ensure_routing
from rapport.demo.traffic import Traffic
from rapport.events import consumers
from rapport.models import Agent, AgentRouting, Event, RoutingSetting, RoutingSkill
from rapport.worker.runner import load_handlers

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def test_the_demo_routes_its_queue_and_its_live_traffic(db, frozen_clock):
    frozen_clock[0] = NOW
    generate(db, conversations=600, customers=200, now=NOW)
    load_handlers()
    consumers.run_consumers(db)  # the consumer starts at the present
    assert ensure_routing(db) is True
    with db.read() as s:
        assert sorted(s.scalars(select(RoutingSetting.mode))) == ["balanced"] * 3
        assert {"english", "billing"} <= set(s.scalars(select(RoutingSkill.name)))
        assert s.scalar(select(func.count()).select_from(AgentRouting)) >= 20
        online = s.scalar(select(func.count()).where(Agent.availability == "online"))
        assert online >= 8
        routed = s.scalar(select(func.count()).where(Event.name == "conversation.routed"))
        assert routed > 0
        # Routing never gave an agent more than their capacity (6, each conversation weighing at least 1).
        given = Counter(
            p["agent_id"] for p in s.scalars(select(Event.payload).where(Event.name == "conversation.routed"))
        )
        assert max(given.values()) <= 6
    traffic = Traffic(db, every=1, seed=7)
    before = routed
    for _ in range(10):
        traffic.send_one()
    consumers.run_consumers(db)
    with db.read() as s:
        assert s.scalar(select(func.count()).where(Event.name == "conversation.routed")) > before
    assert ensure_routing(db) is False  # a second start adds nothing

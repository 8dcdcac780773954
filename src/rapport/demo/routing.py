"""The demo's routing: balanced routing for each of its three teams, the skills its agents hold declared, a third of
each team online with capacities by channel, and the waiting queue routed once so the inbox shows it at work. From
then on the demo's live traffic is routed as it arrives (the `routing` consumer, in the served worker)."""

from __future__ import annotations

from sqlalchemy import select

from rapport.db.session import Database
from rapport.demo.org import DEMO_EMAIL, TEAMS
from rapport.kernel.permissions import SYSTEM
from rapport.models import Agent, RoutingSetting, Team, agent_teams
from rapport.routing import assign, service

LANGUAGE_SKILLS = {"english", "de", "fr", "es", "nl", "pt", "it", "sv", "pl", "ja"}
ONLINE_SHARE = 3  # every third agent of a team starts online
CAPACITY = {"capacity": 6, "channel_weights": {"chat": 2.0, "phone": 3.0}, "channel_caps": {"phone": 1}}


def ensure_routing(db: Database, *, rounds: int = 4) -> bool:
    """Set up the demo's routing unless some routing exists; True when it was set up."""
    with db.write() as s:
        if s.scalar(select(RoutingSetting.id).limit(1)) is not None:
            return False
        held = sorted({skill for skills in s.scalars(select(Agent.skills)) for skill in (skills or [])})
        for skill in held:
            kind = "language" if skill in LANGUAGE_SKILLS else "other" if skill == "admin" else "product"
            service.create_skill(s, SYSTEM, name=skill, kind=kind)
        teams = {t.name: t.id for t in s.scalars(select(Team).where(Team.name.in_(list(TEAMS))))}
        for team_id in teams.values():
            service.save_setting(s, SYSTEM, team_id=team_id, mode="balanced", spillover_seconds=600, sticky_days=14)
            members = s.scalars(
                select(Agent)
                .join(agent_teams, agent_teams.c.agent_id == Agent.id)
                .where(agent_teams.c.team_id == team_id, Agent.active.is_(True), Agent.email != DEMO_EMAIL)
                .order_by(Agent.id)
            ).all()
            for index, agent in enumerate(members):
                service.set_capacity(s, SYSTEM, agent.id, **CAPACITY)
                if index % ONLINE_SHARE == 0:
                    agent.availability = "online"
    for _ in range(rounds):  # the backlog, a batch at a time, most urgent first
        with db.write() as s:
            if not assign.route_queue(s):
                break
    return True

"""Loading the demo once, and its known sign-in."""

from __future__ import annotations

from sqlalchemy import select

from rapport.agents import service as agents
from rapport.agents.permissions import SYSTEM
from rapport.db.session import Database
from rapport.demo.org import DEMO_EMAIL
from rapport.models import Agent, Conversation

DEMO_PASSWORD = "rapport-demo"  # printed by `rapport demo`; a demo data directory is not for real customers


def is_loaded(db: Database, conversations: int) -> bool:
    """True when a demo of this many conversations was loaded to the end (its last conversation exists)."""
    last = f"demo-{conversations:07d}" if conversations else None
    with db.read() as session:
        has_agent = session.scalar(select(Agent.id).where(Agent.email == DEMO_EMAIL)) is not None
        return has_agent and (
            last is None or session.scalar(select(Conversation.id).where(Conversation.source_ref == last)) is not None
        )


def ensure_login(db: Database) -> None:
    """Give the demo admin the printed password (again: it may have been changed while trying things out)."""
    with db.write() as session:
        agent_id = session.scalar(select(Agent.id).where(Agent.email == DEMO_EMAIL))
        if agent_id is not None:
            agents.update_agent(session, SYSTEM, agent_id, password=DEMO_PASSWORD, active=True)

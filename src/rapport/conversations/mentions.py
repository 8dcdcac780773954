"""@mentions in a note: each active agent named is recorded as mentioned (their notification and live topic)."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from rapport.agents import repository as agents
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor
from rapport.models import Agent, Message

MENTION = re.compile(r"(?<![\w.])@([a-z0-9][a-z0-9._-]{0,63})", re.IGNORECASE)


def handle(agent: Agent) -> str:
    """The @handle of an agent: their email's local part."""
    return agent.email.split("@", 1)[0].lower()


def mention(session: Session, actor: Actor, message: Message, text: str) -> list[int]:
    """Record `agent.mentioned` for every active agent @named in the text (the push reaches their live topic)."""
    wanted = {m.lower() for m in MENTION.findall(text)}
    if not wanted:
        return []
    hits = [a for a in agents.all_agents(session) if a.active and handle(a) in wanted and a.id != actor.id]
    for agent in hits:
        record(
            session,
            "agent.mentioned",
            actor,
            conversation_id=message.conversation_id,
            message_id=message.id,
            agent_id=agent.id,
        )
    return [a.id for a in hits]

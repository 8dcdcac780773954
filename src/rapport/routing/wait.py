"""The expected wait for a person, announced to callers and chat visitors before they choose to hold.

The estimate is deliberately simple and explainable: the queue ahead of the customer, shared among the
agents online, times how long recent requests for a person took to be answered. With no agent online it
says so (None), so the channel can offer email or a callback instead of a dead end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.models import Agent, Conversation, Event
from rapport.models.enums import Availability

# How far back answered requests inform the estimate.
WINDOW = timedelta(hours=2)


@dataclass(frozen=True)
class Wait:
    """The queue as a customer sees it: people ahead, agents online, and the expected seconds (None: nobody online)."""

    waiting: int
    agents_online: int
    seconds: int | None

    def spoken(self) -> str:
        """A sentence for a voice prompt or a chat notice."""
        if self.seconds is None:
            return "No one is available right now."
        minutes = max(1, math.ceil(self.seconds / 60))
        return f"The expected wait is about {minutes} minute{'s' if minutes != 1 else ''}."


def expected_wait(session: Session, *, channel: str | None = None) -> Wait:
    """Estimate the wait for a person on `channel` (all channels when None)."""
    queued = select(func.count()).select_from(Conversation).where(Conversation.human_requested_at.is_not(None))
    if channel:
        queued = queued.where(Conversation.channel == channel)
    waiting = session.scalar(queued) or 0
    online = session.scalar(select(func.count()).where(Agent.availability == Availability.online.value)) or 0
    if online == 0:
        return Wait(waiting, 0, None)
    per_request = _recent_answer_seconds(session) or get_settings().expected_wait_default_seconds
    rounds = math.ceil((waiting + 1) / online)
    return Wait(waiting, online, int(rounds * per_request))


def _recent_answer_seconds(session: Session) -> float | None:
    """Mean seconds from a request for a person to an agent's reply, over the recent window."""
    rows = session.execute(
        select(Event.payload)
        .where(Event.name == "conversation.human_answered", Event.occurred_at >= now() - WINDOW)
        .order_by(Event.id.desc())
        .limit(200)
    ).scalars()
    waits = [
        (datetime.fromisoformat(p["to"]) - datetime.fromisoformat(p["from"])).total_seconds()
        for p in rows
        if p.get("from") and p.get("to")
    ]
    return sum(waits) / len(waits) if waits else None

"""A customer's place in the human queue of their inbox, and the wait ahead of them, as the chat widget shows it.

The position is how many active conversations of the same inbox asked for a person before this one (by
`human_requested_at`, then id), plus one: a count over `ix_conversations_human_requested` that stops at
`MAX_COUNTED`, so a long queue never costs more than that many index entries. The expected wait is the median of
the inbox's recent waits for a person (each `conversation.human_answered` event carries its request and answer
times), read from at most `RECENT_ANSWERS` of the newest answers within `WINDOW`, times the rounds the agents
online need to reach this position. Without recent answers there is no figure, and the text says so.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.models import Agent, Conversation, Event
from rapport.models.enums import ACTIVE_STATUSES, Availability
from rapport.routing.wait import Wait

WINDOW = timedelta(hours=2)  # how far back answered requests inform the estimate
RECENT_ANSWERS = 500  # the newest answers (all inboxes) read for it, at most
MAX_COUNTED = 500  # positions beyond this read "more than 500"
REFRESH_SECONDS = 15  # how often a waiting widget asks again


@dataclass(frozen=True)
class Standing:
    """Where a conversation stands in its inbox's human queue; `answered_by` once a person took it."""

    waiting: bool
    position: int | None = None
    agents_online: int = 0
    seconds: int | None = None
    answered_by: str | None = None

    @property
    def available(self) -> bool:
        """Whether an agent is online to answer."""
        return self.agents_online > 0

    def position_text(self) -> str:
        """The place in words, such as "You are number 3 in the queue." (empty when not waiting)."""
        if not self.waiting or self.position is None:
            return ""
        if self.position - 1 > MAX_COUNTED:
            return f"More than {MAX_COUNTED} people are ahead of you in the queue."
        return f"You are number {self.position} in the queue."

    def wait_text(self) -> str:
        """The expected wait in words, or why there is no figure."""
        if self.answered_by:
            return f"{self.answered_by} joined."
        if not self.waiting:
            return ""
        if not self.available:
            return "No one is available right now."
        if self.seconds is None:
            return "We cannot estimate the wait yet; a person will answer as soon as one is free."
        minutes = max(1, math.ceil(self.seconds / 60))
        return f"Expected wait: about {minutes} minute{'s' if minutes != 1 else ''}."


def standing(session: Session, conversation_id: int) -> Standing:
    """Where conversation `conversation_id` stands in its inbox's human queue (or who answered it)."""
    conv = session.execute(
        select(Conversation.id, Conversation.inbox_id, Conversation.status, Conversation.human_requested_at).where(
            Conversation.id == conversation_id
        )
    ).one()
    if conv.human_requested_at is None or conv.status not in ACTIVE_STATUSES:
        return Standing(False, answered_by=answered_by(session, conversation_id))
    online = agents_online(session)
    place = position(session, conv.inbox_id, conv.human_requested_at, conv.id)
    median = median_wait(session, conv.inbox_id)
    seconds = None if median is None or online == 0 else int(math.ceil(place / online) * median)
    return Standing(True, place, online, seconds)


def inbox_wait(session: Session, inbox_id: int) -> Wait:
    """The wait a newcomer to the inbox's human queue can expect before asking: the default per round without
    recent answers, None when no agent is online."""
    online = agents_online(session)
    waiting = _count(session, _waiting(inbox_id))
    if online == 0:
        return Wait(waiting, 0, None)
    per_round = median_wait(session, inbox_id) or get_settings().expected_wait_default_seconds
    return Wait(waiting, online, int(math.ceil((waiting + 1) / online) * per_round))


def position(session: Session, inbox_id: int, requested_at: datetime, conversation_id: int) -> int:
    """1 + the active conversations of the inbox that asked for a person earlier (capped past MAX_COUNTED)."""
    C = Conversation
    at = C.human_requested_at
    earlier = or_(at < requested_at, and_(at == requested_at, C.id < conversation_id))
    return 1 + _count(session, _waiting(inbox_id).where(earlier))


def _waiting(inbox_id: int):
    """The inbox's active conversations waiting for a person, oldest request first."""
    C = Conversation
    return (
        select(C.id)
        .where(C.human_requested_at.is_not(None), C.inbox_id == inbox_id, C.status.in_(ACTIVE_STATUSES))
        .order_by(C.human_requested_at)
    )


def _count(session: Session, query) -> int:
    """How many rows `query` has, counting no further than MAX_COUNTED + 1 (the index is read in order and stops)."""
    return session.scalar(select(func.count()).select_from(query.limit(MAX_COUNTED + 1).subquery())) or 0


def median_wait(session: Session, inbox_id: int) -> float | None:
    """Median seconds from a request for a person to an agent's reply in the inbox, over the recent window."""
    newest = (
        select(Event.id, Event.payload, Event.conversation_id, Event.occurred_at)
        .where(Event.name == "conversation.human_answered")
        .order_by(Event.id.desc())
        .limit(RECENT_ANSWERS)
        .subquery()
    )
    rows = session.execute(
        select(newest.c.payload)
        .join(Conversation, Conversation.id == newest.c.conversation_id)
        .where(Conversation.inbox_id == inbox_id, newest.c.occurred_at >= now() - WINDOW)
    ).scalars()
    waits = [_seconds(p) for p in rows]
    waits = [w for w in waits if w is not None]
    return statistics.median(waits) if waits else None


def agents_online(session: Session) -> int:
    """How many agents are online now."""
    return session.scalar(select(func.count()).where(Agent.availability == Availability.online.value)) or 0


def answered_by(session: Session, conversation_id: int) -> str | None:
    """The first name of the agent whose reply last answered a request for a person in this conversation."""
    name = session.scalar(
        select(Agent.name)
        .join(Event, Event.actor_id == Agent.id)
        .where(
            Event.conversation_id == conversation_id,
            Event.name == "conversation.human_answered",
            Event.actor_kind == "agent",
        )
        .order_by(Event.id.desc())
        .limit(1)
    )
    return (name or "").split(" ")[0] or None


def _seconds(payload: dict) -> float | None:
    start, end = payload.get("from") or payload.get("from_"), payload.get("to")
    if not start or not end:
        return None
    return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())

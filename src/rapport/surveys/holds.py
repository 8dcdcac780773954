""" "Don't survey" on one conversation: an agent's toggle (the conversation page, the API) or a macro's option.

Setting it withdraws the conversation's unanswered surveys, saying why; while it is set, solving the conversation
schedules nothing (each survey's request is recorded withdrawn with that reason, so the timeline says why) and a
survey falling due is withdrawn instead of sent. Clearing it lets the next solve survey the conversation again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Invalid, NotFound
from rapport.models import Conversation, SurveyHold
from rapport.surveys import events
from rapport.surveys.schedule import hold_reason, withdraw_for

REASON_MAX = 200


def get(session: Session, actor: Actor, conversation_id: int) -> SurveyHold | None:
    """The conversation's hold, or None (agents)."""
    authorize(actor, "conversations.read")
    _conversation(session, conversation_id)
    return session.get(SurveyHold, conversation_id)


def set_hold(
    session: Session, actor: Actor, conversation_id: int, *, reason: str = "", macro_id: int | None = None
) -> SurveyHold:
    """Mark the conversation "don't survey" (idempotent) and withdraw its unanswered surveys, saying why."""
    authorize(actor, "conversations.write")
    conv = _conversation(session, conversation_id)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise Invalid(f"A reason holds at most {REASON_MAX} characters.", errors=[{"field": "reason"}])
    row = session.get(SurveyHold, conv.id)
    if row is not None:
        return row
    reason = reason or (f"set by {actor.name}" if actor.name else "")
    row = SurveyHold(
        conversation_id=conv.id, reason=reason, agent_id=actor.id if actor.kind == "agent" else None,
        macro_id=macro_id, created_at=now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    withdraw_for(session, conv.id, hold_reason(row))
    record(session, events.HELD.name, actor, conversation_id=conv.id, reason=reason, macro_id=macro_id)
    return row


def clear_hold(session: Session, actor: Actor, conversation_id: int) -> bool:
    """Allow surveys again on the conversation; whether a hold was cleared."""
    authorize(actor, "conversations.write")
    conv = _conversation(session, conversation_id)
    row = session.get(SurveyHold, conv.id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    record(session, events.RELEASED.name, actor, conversation_id=conv.id, reason="", macro_id=None)
    return True


def _conversation(session: Session, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    return conv

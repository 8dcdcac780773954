"""Reading clocks: a conversation's, the warning times of a page of conversations, the board's counts per queue.

The board starts from the conversations with a deadline (`ix_conversations_active_due`: active ones whose running
or breached clocks are not stopped) and reaches their clocks by `ix_sla_clocks_conversation`, so its cost follows
the open work with a deadline, never the history of clocks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, and_, bindparam, case, func, or_, select, text
from sqlalchemy.orm import Session

from rapport.models import Conversation, SlaClock, SlaPolicy
from rapport.models.conversations import ACTIVE_SQL

# Clocks that still have a say on the conversation's deadline (what `conversations.sla_due_at` is the nearest of).
LIVE = ("running", "breached")

_LATEST_IDS = (
    select(func.max(SlaClock.id))
    .where(SlaClock.conversation_id == bindparam("conversation_id"))
    .group_by(SlaClock.target)
)
_CURRENT = select(SlaClock).where(SlaClock.id.in_(_LATEST_IDS))


def current(session: Session, conversation_id: int) -> list[SlaClock]:
    """The latest clock of each target on a conversation (a next reply's clock restarts with each message)."""
    return list(session.scalars(_CURRENT, {"conversation_id": conversation_id}))


def history(session: Session, conversation_id: int, *, limit: int, before: int | None = None) -> list[SlaClock]:
    """A conversation's clocks, newest first; `before` is the id of the last clock of the previous page."""
    query = select(SlaClock).where(SlaClock.conversation_id == conversation_id)
    if before is not None:
        query = query.where(SlaClock.id < before)
    return list(session.scalars(query.order_by(SlaClock.id.desc()).limit(limit)))


_WARNINGS = (
    select(SlaClock.conversation_id, func.min(SlaClock.warn_at).label("warn_at"))
    .where(
        SlaClock.conversation_id.in_(bindparam("ids", expanding=True)),
        SlaClock.state == "running",
        SlaClock.stopped_at.is_(None),
    )
    .group_by(SlaClock.conversation_id)
)


def warn_times(session: Session, conversation_ids: list[int]) -> dict[int, datetime | None]:
    """The earliest warning time of each listed conversation's running clocks (a list row's "due soon")."""
    if not conversation_ids:
        return {}
    return {r.conversation_id: r.warn_at for r in session.execute(_WARNINGS, {"ids": conversation_ids})}


def at_risk(session: Session, at: datetime) -> list[Row]:
    """Active conversations with a breached target, and those about to breach, counted by inbox, channel and team.

    Breached: a clock breached and not stopped, or running past its deadline (the due-time job not there yet).
    About to breach: not breached, and a running clock's warning has come (sent, or its time passed).
    """
    stamp = bindparam("at", at, type_=SlaClock.due_at.type)
    late = or_(SlaClock.state == "breached", SlaClock.due_at <= stamp)
    soon = and_(
        SlaClock.state == "running",
        SlaClock.due_at > stamp,
        or_(SlaClock.warned_at.is_not(None), SlaClock.warn_at <= stamp),
    )
    per_conversation = (
        select(
            Conversation.inbox_id,
            Conversation.channel,
            Conversation.team_id,
            func.max(case((late, 1), else_=0)).label("late"),
            func.max(case((soon, 1), else_=0)).label("soon"),
        )
        .join(SlaClock, SlaClock.conversation_id == Conversation.id)
        # Repeated literally: the partial index holds exactly these conversations.
        .where(text(f"{ACTIVE_SQL} AND sla_due_at IS NOT NULL"))
        .where(SlaClock.state.in_(LIVE), SlaClock.stopped_at.is_(None))
        .group_by(Conversation.id, Conversation.inbox_id, Conversation.channel, Conversation.team_id)
        .subquery()
    )
    c = per_conversation.c
    query = (
        select(
            c.inbox_id,
            c.channel,
            c.team_id,
            func.sum(c.late).label("breached"),
            func.sum(case((c.late == 0, c.soon), else_=0)).label("due_soon"),
        )
        .group_by(c.inbox_id, c.channel, c.team_id)
        .having(func.sum(c.late) + func.sum(c.soon) > 0)
    )
    return list(session.execute(query))


def policy_name(session: Session, policy_id: int | None) -> str | None:
    """A policy's name (None for no policy)."""
    if policy_id is None:
        return None
    return session.scalar(select(SlaPolicy.name).where(SlaPolicy.id == policy_id))

"""Reading clocks: a conversation's, the warning times of a page of conversations, the board's counts per queue.

The board starts from the conversations with a deadline (`ix_conversations_active_due`: active ones whose running
or breached clocks are not stopped) and reaches their clocks by `ix_sla_clocks_conversation`, so its cost follows
the open work with a deadline, never the history of clocks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, Row, String, bindparam, column, func, select, text
from sqlalchemy.orm import Session

from rapport.db.types import UTCDateTime
from rapport.models import SlaClock, SlaPolicy
from rapport.models.conversations import ACTIVE_SQL

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


# Breached: a clock breached and not stopped, or running past its deadline (the due-time job not there yet).
# About to breach: a running clock before its deadline whose warning has come (sent, or its time passed).
_LATE = "sla_clocks.state = 'breached' OR sla_clocks.due_at <= :at"
_SOON = (
    "sla_clocks.state = 'running' AND sla_clocks.due_at > :at "
    "AND (sla_clocks.warned_at IS NOT NULL OR sla_clocks.warn_at <= :at)"
)


def _conversations(session: Session) -> str:
    """The conversations table, read through the due index on SQLite (which, without statistics, would take the
    status index instead; a predicate that stopped matching the index would fail loudly, not scan slowly)."""
    if session.get_bind().dialect.name == "sqlite":
        return "conversations INDEXED BY ix_conversations_active_due"
    return "conversations"


def at_risk(session: Session, at: datetime) -> list[Row]:
    """Active conversations with a breached target, and those (not breached) about to breach, counted by inbox,
    channel and team; groups with neither are left out."""
    # Every piece of this text is a constant of ours; `at` is bound. ACTIVE_SQL is repeated literally: the
    # partial index holds exactly the active conversations with a deadline.
    statement = (
        text(
            "SELECT inbox_id, channel, team_id, sum(late) AS breached, "  # noqa: S608
            "sum(CASE WHEN late = 0 THEN soon ELSE 0 END) AS due_soon FROM ("
            "SELECT conversations.id, conversations.inbox_id, conversations.channel, conversations.team_id, "
            f"max(CASE WHEN {_LATE} THEN 1 ELSE 0 END) AS late, max(CASE WHEN {_SOON} THEN 1 ELSE 0 END) AS soon "
            f"FROM {_conversations(session)} JOIN sla_clocks ON sla_clocks.conversation_id = conversations.id "
            f"WHERE {ACTIVE_SQL} AND sla_due_at IS NOT NULL "
            "AND sla_clocks.state IN ('running', 'breached') AND sla_clocks.stopped_at IS NULL "
            "GROUP BY conversations.id, conversations.inbox_id, conversations.channel, conversations.team_id"
            ") AS per_conversation GROUP BY inbox_id, channel, team_id HAVING sum(late) + sum(soon) > 0"
        )
        .bindparams(bindparam("at", at, type_=UTCDateTime()))
        .columns(
            column("inbox_id", Integer),
            column("channel", String),
            column("team_id", Integer),
            column("breached", Integer),
            column("due_soon", Integer),
        )
    )
    return list(session.execute(statement))


def policy_name(session: Session, policy_id: int | None) -> str | None:
    """A policy's name (None for no policy)."""
    if policy_id is None:
        return None
    return session.scalar(select(SlaPolicy.name).where(SlaPolicy.id == policy_id))

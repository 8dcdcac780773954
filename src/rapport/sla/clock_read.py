"""Reading a conversation's clocks for the API: checked, paged, each in words as the workspace says it."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from rapport.conversations import repository as conversations
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.sla import repository
from rapport.sla.present import clock_view

_COLUMNS = (
    "conversation_id",
    "policy_version_id",
    "target_seconds",
    "calendar_version_id",
    "started_at",
    "spent_seconds",
    "running_since",
    "warn_at",
    "warned_at",
    "breached_at",
    "stopped_at",
    "measured_seconds",
)


def clocks(
    session: Session, actor: Actor, conversation_id: int, *, limit: int, before: int | None = None
) -> tuple[list[dict], str | None]:
    """A conversation's clocks, newest first, as ClockOut dicts, and the cursor of the next page (None at the end)."""
    authorize(actor, "conversations.read")
    conversations.get(session, conversation_id)  # NotFound names the conversation
    rows = repository.history(session, conversation_id, limit=limit + 1, before=before)
    more = len(rows) > limit
    rows = rows[:limit]
    at = now()
    items = [{**asdict(clock_view(c, now=at)), **{k: getattr(c, k) for k in _COLUMNS}} for c in rows]
    for item in items:
        item.pop("due_local")  # the API gives instants in UTC; the agent's timezone is the page's business
    return items, str(rows[-1].id) if more and rows else None

"""The status lifecycle: allowed transitions and their side records."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.events.outbox import record
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.kit.problems import Conflict
from rapport.models import Conversation
from rapport.models.enums import TRANSITIONS, Status
from rapport.worker import queue


def move(session: Session, actor: Actor, conv: Conversation, to: Status, *, reason: str = "agent") -> bool:
    """Move `conv` to status `to` if the lifecycle allows it; False when it is already there."""
    current = Status(conv.status)
    if current == to:
        return False
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (closed is final)"
        raise Conflict(
            f"Conversation {conv.id} cannot go from '{current}' to '{to}'. Allowed from '{current}': {allowed}.",
            current=current.value,
            requested=to.value,
        )
    stamp = now()
    conv.status = to.value
    conv.updated_at = stamp
    record(
        session,
        "conversation.status_changed",
        actor,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        from_=current.value,
        to=to.value,
    )
    if current == Status.solved and to == Status.open:
        conv.reopen_count += 1
        conv.solved_at = None
        record(
            session,
            "conversation.reopened",
            actor,
            conversation_id=conv.id,
            customer_id=conv.customer_id,
            reopen_count=conv.reopen_count,
            by=reason,
        )
    if to == Status.solved:
        conv.solved_at = stamp
        _schedule_auto_close(session, conv)
    if to == Status.closed:
        conv.closed_at = stamp
    return True


def _schedule_auto_close(session: Session, conv: Conversation) -> None:
    days = get_settings().auto_close_after_days
    if days:
        # Keyed by the solve time: a reopen and a later solve schedule a fresh close.
        queue.enqueue(
            session,
            "conversations.auto_close",
            {"conversation_id": conv.id},
            delay_seconds=days * 86400,
            dedupe_key=f"auto_close:{conv.id}:{conv.solved_at.timestamp():.0f}",
        )

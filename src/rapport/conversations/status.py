"""Status changes by a person or the system: the lifecycle decides and writes (conversations.lifecycle)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rapport.conversations.lifecycle import Move
from rapport.conversations.lifecycle.orm import apply
from rapport.kernel.permissions import Actor
from rapport.kit.clock import now
from rapport.models import Conversation
from rapport.models.enums import Status


def move(session: Session, actor: Actor, conv: Conversation, to: Status, *, reason: str = "agent") -> bool:
    """Move `conv` to status `to` if the lifecycle allows it; False when it is already there."""
    if Status(conv.status) == to:
        return False
    apply(session, actor, conv, Move(to.value, now(), by=reason))
    return True

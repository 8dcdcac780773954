"""What an action is handed when its rule runs: the session, who acts, the rule, the conversation and the event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from rapport.kernel.permissions import Actor
from rapport.rules.definition import Compiled


@dataclass
class Run:
    """One rule running on one conversation for one event (`event` has id, name, payload, message_id)."""

    session: Session
    actor: Actor
    rule: Compiled
    conversation_id: int
    customer_id: int
    event: Any
    notes: list[str] = field(default_factory=list)  # actions skipped on purpose (a limit, an automatic message)

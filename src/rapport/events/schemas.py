"""The event log's API shape: one entry of a conversation's or a customer's timeline, or of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rapport.kit.schema import Out


class EventOut(Out):
    """One entry of the timeline / audit log."""

    id: int
    name: str
    occurred_at: datetime
    actor_kind: str
    actor_id: int | None
    conversation_id: int | None
    customer_id: int | None
    message_id: int | None
    payload: dict[str, Any]

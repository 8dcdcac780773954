"""Telephony shapes for the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from rapport.kit.schema import In, Out


class CallbackOut(Out):
    """A callback a caller asked for instead of holding."""

    id: int
    inbox_id: int
    conversation_id: int
    customer_id: int
    message_id: int | None
    phone: str
    call_sid: str
    state: str
    due_at: datetime
    done_at: datetime | None
    done_by_id: int | None
    created_at: datetime


class CallbackDone(In):
    """How a callback ended."""

    state: Literal["done", "cancelled"] = "done"

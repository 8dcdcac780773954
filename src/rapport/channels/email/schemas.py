"""Shapes of the email API."""

from __future__ import annotations

from datetime import datetime

from rapport.kit.schema import Out


class QuarantinedOut(Out):
    """A mail kept out of the conversations, with the reason; its raw bytes are at `.../raw`."""

    id: int
    inbox_id: int
    source: str
    reason: str | None
    detail: str | None
    sender: str | None
    subject: str | None
    rfc_message_id: str | None
    raw_size: int
    raw_sha256: str
    mailbox: str | None
    uid: int | None
    conversation_id: int | None
    created_at: datetime

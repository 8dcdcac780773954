"""Search result shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from rapport.kit.schema import Out
from rapport.models.enums import Status

HitKind = Literal["conversation", "message", "customer"]


class SearchHit(Out):
    """One match: a conversation (its subject), a message (its text) or a customer (name, company, address)."""

    kind: HitKind
    id: int = Field(description="the conversation's, message's or customer's id, by `kind`")
    conversation_id: int | None = Field(description="the conversation of a conversation or message hit")
    customer_id: int | None = Field(description="the customer of the conversation, or the customer hit")
    snippet: str = Field(description="HTML: the matched text, HTML-escaped, each match inside <mark>…</mark>")
    score: float = Field(description="relevance, higher is better; compare only within one response")
    created_at: datetime
    subject: str | None = Field(default=None, description="the conversation's subject (conversation, message hits)")
    status: Status | None = Field(default=None, description="the conversation's status (conversation, message hits)")
    name: str | None = Field(default=None, description="the customer's name (customer hits)")

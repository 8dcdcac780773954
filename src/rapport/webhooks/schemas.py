"""Webhook endpoint and delivery shapes for the API (the secret appears only when it is created or rotated)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import MISSING, Field

from rapport.kit.schema import In, Out

Url = Annotated[str, Field(min_length=1, max_length=2000)]
Description = Annotated[str, Field(max_length=500)]
EventTypes = Annotated[list[Annotated[str, Field(max_length=64)]], Field(min_length=1, max_length=200)]


class EndpointIn(In):
    """A new endpoint: where to send, which event types ("*" for all), and whether private networks are allowed."""

    url: Url
    description: Description = ""
    event_types: EventTypes
    active: bool = True
    allow_private: bool = False


class EndpointPatch(In):
    """Endpoint changes."""

    url: Url | MISSING = MISSING
    description: Description | MISSING = MISSING
    event_types: EventTypes | MISSING = MISSING
    active: bool | MISSING = MISSING
    allow_private: bool | MISSING = MISSING


class EndpointOut(Out):
    """An endpoint, without its secret."""

    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    allow_private: bool
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    """An endpoint and its signing secret: only in the answer that created or rotated it."""

    secret: str


class DeliveryOut(Out):
    """One delivery: its state and its latest attempt."""

    id: int
    endpoint_id: int
    event_id: int | None
    event_type: str
    state: str
    attempts: int
    status_code: int | None
    error: str | None
    response_snippet: str | None
    duration_ms: int | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime

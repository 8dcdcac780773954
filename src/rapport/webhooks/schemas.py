"""Webhook endpoint and delivery shapes for the API (the secret appears only when it is created or rotated)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import MISSING, Field

from rapport.kit.schema import In, Out

_LABEL = "[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*"
# What webhooks.guard.parse accepts, narrowed to host names (an address literal is checked the same way).
URL_PATTERN = f"^[hH][tT][tT][pP][sS]?://{_LABEL}(?:\\.{_LABEL})*(?::(?:[1-9][0-9]{{0,3}}|[1-5][0-9]{{4}}))?(?:[/?][^#\\s\\x00]*)?$"
# (documented only: webhooks.guard checks it and says which rule a URL breaks)
Url = Annotated[str, Field(min_length=1, max_length=2000, json_schema_extra={"pattern": URL_PATTERN})]
Description = Annotated[str, Field(max_length=500)]
# An event type by name, or "*" for all: web.openapi lists the names from the event registry as the enum.
EventType = Annotated[str, Field(max_length=64, json_schema_extra={"x-rapport-enum": "event_types"})]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=200)]


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

"""Inbox shapes for the API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_serializer

from rapport.kit.schema import In, Out
from rapport.models.enums import Channel, FieldKind

# Settings that are credentials (access tokens, app secrets, passwords) are write-only: the API shows a mask,
# and a PATCH that sends the mask back keeps the stored value.
SECRET_KEY = re.compile(r"secret|token|password|api_key", re.IGNORECASE)
MASK = "********"


def redact(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings with every credential replaced by the mask."""
    return {k: (MASK if v and SECRET_KEY.search(k) else v) for k, v in (settings or {}).items()}


class InboxIn(In):
    """A new inbox."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    channel: Channel
    address: Annotated[str, Field(max_length=320)] | None = None
    team_id: int | None = None
    settings: dict[str, Any] = {}


class InboxPatch(In):
    """Inbox changes."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    address: Annotated[str, Field(max_length=320)] | None = None
    team_id: int | None = None
    settings: dict[str, Any] | None = None
    active: bool | None = None


class InboxOut(Out):
    """An inbox."""

    id: int
    name: str
    channel: Channel
    address: str | None
    team_id: int | None
    settings: dict[str, Any]
    active: bool
    created_at: datetime

    @field_serializer("settings")
    def _redact(self, value: dict[str, Any]) -> dict[str, Any]:
        return redact(value)


class FieldIn(In):
    """A new custom field definition."""

    key: Annotated[str, Field(min_length=1, max_length=64)]
    label: Annotated[str, Field(min_length=1, max_length=200)]
    kind: FieldKind
    options: list[str] = []
    required: bool = False


class FieldOut(Out):
    """A custom field definition."""

    id: int
    key: str
    label: str
    kind: FieldKind
    options: list[str]
    required: bool

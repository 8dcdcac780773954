"""Inbox shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import MISSING, ConfigDict, Field, field_serializer

from rapport.kernel.channels import mask_secrets
from rapport.kit.schema import Id, In, Out
from rapport.models.enums import Channel, FieldKind


class InboxIn(In):
    """A new inbox."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    channel: Channel
    address: Annotated[str, Field(max_length=320)] | None = None
    team_id: Id | None = None
    settings: dict[str, Any] = {}
    # Email inboxes: the signature below every reply's (the composer's markup), at most RAPPORT_MAX_SIGNATURE_CHARS.
    signature: Annotated[str, Field(max_length=20_000)] | None = None


class InboxPatch(In):
    """Inbox changes."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | MISSING = MISSING
    address: Annotated[str, Field(max_length=320)] | None = None
    team_id: Id | None = None
    settings: dict[str, Any] | MISSING = MISSING
    active: bool | MISSING = MISSING
    signature: Annotated[str, Field(max_length=20_000)] | None | MISSING = MISSING


class InboxOut(Out):
    """An inbox."""

    id: int
    name: str
    channel: Channel
    address: str | None
    team_id: int | None
    settings: dict[str, Any]
    active: bool
    signature: str | None = None
    created_at: datetime

    @field_serializer("settings")
    def _hide_secrets(self, settings: dict[str, Any]) -> dict[str, Any]:
        # Passwords and tokens are written, never read back: an agent may list inboxes.
        return mask_secrets(settings)


class FieldIn(In):
    """A new custom field definition."""

    # A select field needs at least one option (the service refuses one without); the document says so.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"kind": {"not": {"const": FieldKind.select.value}}}},
                {"required": ["options"], "properties": {"options": {"type": "array", "minItems": 1}}},
            ]
        }
    )

    key: Annotated[str, Field(min_length=1, max_length=64, json_schema_extra={"pattern": "^[a-z][a-z0-9_]{0,63}$"})]
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

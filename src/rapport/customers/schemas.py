"""Customer shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import MISSING, ConfigDict, Field

from rapport.kit.schema import Email, Id, In, Out, Phone
from rapport.models.enums import IdentityKind


class EmailIdentityIn(In):
    """A mail address of the customer."""

    kind: Literal[IdentityKind.email]
    address: Email
    verified: bool = False


class PhoneIdentityIn(In):
    """A phone or WhatsApp number of the customer, E.164 (formatting such as spaces or brackets is ignored)."""

    kind: Literal[IdentityKind.phone, IdentityKind.whatsapp]
    address: Phone
    verified: bool = False


class OtherIdentityIn(In):
    """A chat visitor id or an id in another system."""

    kind: Literal[IdentityKind.chat, IdentityKind.external]
    address: Annotated[str, Field(min_length=1, max_length=320)]
    verified: bool = False


# A way to reach the customer; what its address must look like depends on its kind.
IdentityIn = Annotated[EmailIdentityIn | PhoneIdentityIn | OtherIdentityIn, Field(discriminator="kind")]


class IdentityOut(Out):
    """An identity as stored (normalised)."""

    id: int
    kind: str
    address: str
    verified: bool


class CustomerIn(In):
    """A new customer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Ana Lima",
                    "identities": [
                        {"kind": "email", "address": "ana@example.com"},
                        {"kind": "phone", "address": "+55 11 91234-5678"},
                    ],
                }
            ]
        }
    )

    name: Annotated[str, Field(max_length=200)] = ""
    company: Annotated[str, Field(max_length=200)] | None = None
    language: Annotated[str, Field(max_length=16)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    segment: Annotated[str, Field(max_length=64)] | None = None
    vip: bool = False
    attributes: dict[str, Any] = {}
    identities: list[IdentityIn] = []


class CustomerPatch(In):
    """Profile changes; omitted fields stay."""

    name: Annotated[str, Field(max_length=200)] | MISSING = MISSING
    company: Annotated[str, Field(max_length=200)] | None = None
    language: Annotated[str, Field(max_length=16)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    segment: Annotated[str, Field(max_length=64)] | None = None
    vip: bool | MISSING = MISSING
    attributes: dict[str, Any] | MISSING = MISSING


class CustomerOut(Out):
    """A customer with identities."""

    id: int
    name: str
    company: str | None
    language: str | None
    timezone: str | None
    segment: str | None
    vip: bool
    attributes: dict[str, Any]
    merged_into_id: int | None
    identities: list[IdentityOut] = []
    created_at: datetime
    updated_at: datetime


class CustomerMergeIn(In):
    """Merge the customer in the path into `into_id`."""

    into_id: Id

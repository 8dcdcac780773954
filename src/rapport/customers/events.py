"""The events of customers and their identities, with their wording on both timelines."""

from __future__ import annotations

from rapport.events.registry import AdminChange, Empty, Payload, declare
from rapport.events.wording import fixed, value


class Merged(Payload):
    """Two customers became one."""

    source_id: int
    target_id: int


class IdentityVerified(Payload):
    """A customer proved they own an identity (for example by using a link mailed to it)."""

    identity_id: int
    via: str


def _fields(p: dict) -> dict:
    return p.get("fields") or {}


CREATED = declare("customer.created", Empty, fixed("Customer record created"), on_profile=fixed("Became a customer"))
UPDATED = declare(
    "customer.updated",
    AdminChange,
    lambda who, p, c: f"{who} updated the customer's details",
    on_profile=lambda who, p, c: f"{who} changed {', '.join(sorted(_fields(p))) or 'the profile'}",
)
MERGED = declare(
    "customer.merged",
    Merged,
    lambda who, p, c: f"{who} merged customer #{p.get('source_id')} into #{p.get('target_id')}",
    on_profile=lambda who, p, c: f"{who} merged customer {p.get('source_id')} into customer {p.get('target_id')}",
)
IDENTITY_ADDED = declare(
    "identity.added",
    AdminChange,
    lambda who, p, c: f"{who} added an identity to the customer",
    on_profile=lambda who, p, c: (
        f"{who} added the {_fields(p).get('kind', '')} identity {_fields(p).get('address', '')}"
    ),
)
IDENTITY_VERIFIED = declare(
    "identity.verified",
    IdentityVerified,
    lambda who, p, c: f"The customer confirmed an address (via {value(p.get('via'))})",
    on_profile=lambda who, p, c: f"Identity confirmed ({p.get('via', '')})",
)
__all__ = ["CREATED", "IDENTITY_ADDED", "IDENTITY_VERIFIED", "MERGED", "UPDATED"]

"""The portal's events: a customer signing in and out."""

from __future__ import annotations

from rapport.events.registry import Empty, Payload, declare
from rapport.events.wording import fixed, value


class SignedIn(Payload):
    """A customer signed in to the portal."""

    via: str


SIGNED_IN = declare(
    "customer.signed_in",
    SignedIn,
    lambda who, p, c: f"The customer signed in to the portal (via {value(p.get('via'))})",
)
SIGNED_OUT = declare("customer.signed_out", Empty, fixed("The customer signed out of the portal"))

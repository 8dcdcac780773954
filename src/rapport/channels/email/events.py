"""The email channel's events: a sender the channel could not authenticate."""

from __future__ import annotations

from rapport.events.registry import Payload, declare
from rapport.events.wording import value


class SenderUnverified(Payload):
    """A message came from a sender the channel could not authenticate (an email From failing DMARC)."""

    address: str
    reason: str
    authserv_id: str | None = None


SENDER_UNVERIFIED = declare(
    "conversation.sender_unverified",
    SenderUnverified,
    lambda who, p, c: (
        f"Unverified sender: the mail from {p.get('address') or 'this address'} may be forged"
        + (f" ({value(p.get('reason'))})" if p.get("reason") else "")
    ),
)

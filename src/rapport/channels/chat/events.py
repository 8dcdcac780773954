"""The chat's events: a visitor proving their address, and a conversation moving to another channel."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from rapport.events.registry import Payload, declare
from rapport.events.wording import fixed, value


class VisitorVerified(Payload):
    """A chat visitor proved they own an email address; their chat identity now belongs to its customer."""

    email: str
    visitor_id: int
    merged_from: int | None = None


class ChannelSwitched(Payload):
    """The customer asked to continue the conversation on another channel."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    address: str
    verified: bool


VISITOR_VERIFIED = declare("visitor.verified", VisitorVerified, fixed("The chat visitor confirmed their email address"))
CHANNEL_SWITCHED = declare(
    "conversation.channel_switched",
    ChannelSwitched,
    lambda who, p, c: (
        f"The customer moved from {value(p.get('from'))} to "
        f"{value(p.get('to'))}" + ("" if p.get("verified") else " (address not yet confirmed)")
    ),
)

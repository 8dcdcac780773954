"""The shapes that cross the inbound boundary: a message as handed over, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rapport.conversations.attachments import IncomingFile


@dataclass
class Inbound:
    """One message as a channel adapter (or the API) hands it over."""

    inbox_id: int
    sender_kind: str
    sender_address: str
    sender_name: str | None = None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    external_id: str | None = None
    conversation_id: int | None = None
    in_reply_to: str | None = None
    channel: str | None = None
    received_at: datetime | None = None
    meta: dict = field(default_factory=dict)
    # The channel could not authenticate the sender (an email From that failed DMARC): the message opens a new
    # conversation flagged so, and never joins an existing one, whatever it refers to.
    unverified_sender: bool = False
    files: list[IncomingFile] = field(default_factory=list)
    # (scope, key, request digest): a retried request with the same key gets the first answer.
    idempotency: tuple[str, str, str] | None = None
    # `html` is the sanitiser's output already: sanitised (and bounded) before the transaction (inbound_plan.prepare).
    html_sanitized: bool = False


@dataclass
class Received:
    """What receive_inbound did: the ids written, and whether the conversation is new or the message a repeat."""

    message_id: int
    conversation_id: int
    customer_id: int
    new_conversation: bool
    duplicate: bool = False
    replayed: bool = False

    def as_dict(self) -> dict:
        """The public shape (also what an Idempotency-Key replays)."""
        return {
            "message_id": self.message_id,
            "conversation_id": self.conversation_id,
            "customer_id": self.customer_id,
            "new_conversation": self.new_conversation,
            "duplicate": self.duplicate,
        }

"""Conversation, message and event shapes for the API."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import MISSING, BaseModel, ConfigDict, Field, field_validator

from rapport.events.schemas import EventOut
from rapport.kit.schema import BASE64, Cursor, Email, Id, In, Limit, Out, Phone, Str, needs_one_of
from rapport.models.enums import Channel, DeliveryStatus, IdentityKind, Priority, Status


class AttachmentIn(In):
    """A file sent inline, base64-encoded."""

    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: str | None = None
    data: str = Field(description="base64 of the file's bytes", json_schema_extra={"pattern": BASE64})

    @field_validator("data")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("data must be base64") from exc
        return value

    def raw(self) -> bytes:
        """The decoded bytes."""
        return base64.b64decode(self.data)


class AttachmentOut(Out):
    """An attachment's metadata; bytes are at /api/v1/attachments/{id}."""

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class MessageOut(Out):
    """One message."""

    id: int
    conversation_id: int
    direction: str
    channel: str
    author_kind: str
    customer_id: int | None
    agent_id: int | None
    inbox_id: int | None
    external_id: str | None
    body_text: str
    body_html: str | None
    delivery_status: DeliveryStatus | None
    # Outbound delivery: why the last attempt failed (cleared once it goes out), how many were made, the next try.
    delivery_error: str | None = None
    delivery_attempts: int | None = None
    delivery_next_at: datetime | None = None
    created_at: datetime
    attachments: list[AttachmentOut] = []


class ConversationOut(Out):
    """A conversation; `number` is the id people quote."""

    id: int
    number: int
    subject: str
    status: Status
    priority: Priority
    channel: str
    inbox_id: int
    customer_id: int
    assignee_id: int | None
    team_id: int | None
    category_id: int | None = Field(None, description="The category's id (GET /categories lists them).")
    category: str | None = Field(None, description="The category's name.")
    tags: list[str] = []
    custom_fields: dict[str, Any]
    reopen_count: int
    message_count: int
    merged_into_id: int | None
    source_ref: str | None = None
    last_message_at: datetime | None
    last_inbound_at: datetime | None
    first_reply_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    human_requested_at: datetime | None = Field(
        None, description="When the customer asked for a person; unset once an agent replies."
    )
    sender_unverified: bool = Field(
        False,
        description="Opened by a message whose sender could not be authenticated (an email failing DMARC at the "
        "inbox's trusted server): its From may be forged. The reason is the `conversation.sender_unverified` event.",
    )
    sla_policy_id: int | None = Field(
        None, description="The service-target policy that applies (null: none); its clocks: GET …/{id}/clocks."
    )
    sla_due_at: datetime | None = Field(
        None,
        description="The nearest deadline of the conversation's running or breached (not yet stopped) service-target "
        "clocks; null when none runs.",
    )
    snoozed_until: datetime | None = Field(
        None,
        description="Snoozed until then: left out of the workspace's working views (its status unchanged) until it "
        "wakes at that time, or earlier when the customer writes; null when not snoozed.",
    )
    created_at: datetime
    updated_at: datetime


class RepeatContact(Out):
    """This conversation is the customer's `ordinal`-th contact within `days` days (shown from the second)."""

    ordinal: int
    days: int
    text: str


class ConversationDetail(ConversationOut):
    """A conversation opened: with its latest messages and timeline when asked for."""

    repeat_contact: RepeatContact | None = None
    messages: list[MessageOut] | None = None
    events: list[EventOut] | None = None


class ConversationPatch(In):
    """Changes to a conversation; omitted fields stay as they are."""

    status: Status | MISSING = MISSING
    priority: Priority | MISSING = MISSING
    assignee_id: Id | None = None
    team_id: Id | None = None
    category: Annotated[str, Field(max_length=100)] | None = None
    subject: Annotated[str, Field(max_length=500)] | MISSING = MISSING
    add_tags: list[str] = []
    remove_tags: list[str] = []
    fields: dict[str, Any] | None = None


class ReplyIn(In):
    """An agent's reply (or note); channel defaults to the customer's latest one."""

    # The service refuses a message with nothing in it; the document says so.
    model_config = ConfigDict(
        json_schema_extra={
            **needs_one_of("text", "html", "markdown", lists=("attachments",)),
            "examples": [{"text": "Your refund is on its way.", "status": "pending"}],
        }
    )

    text: Annotated[str, Field(max_length=200_000)] | None = None
    html: Annotated[str, Field(max_length=400_000)] | None = None
    markdown: Annotated[str, Field(max_length=200_000)] | None = Field(
        None,
        description="The composer's markup instead of text and html: **bold**, *italic*, [links](https://…), "
        "'- ' and '1. ' lists, '> ' quotes; stored as sanitised HTML and as plain text (SMS, WhatsApp, chat).",
    )
    cc: Annotated[list[Annotated[str, Field(max_length=320)]], Field(max_length=500)] = Field(
        [], description="Email replies only: Cc addresses (a Cc header), at most RAPPORT_MAX_MAIL_RECIPIENTS with bcc."
    )
    bcc: Annotated[list[Annotated[str, Field(max_length=320)]], Field(max_length=500)] = Field(
        [], description="Email replies only: Bcc addresses (the SMTP envelope only, never a header)."
    )
    signatures: list[Literal["personal", "inbox"]] | None = Field(
        None,
        description="Email replies only: the signatures to end the reply with (the agent's, the inbox's); "
        "omitted: every one that applies; []: none.",
    )
    channel: Channel | None = None
    status: Status | None = None
    attachments: list[AttachmentIn] = []
    confirm_reply_to: Annotated[str, Field(max_length=320)] | None = Field(
        None,
        description="Send an email reply to the latest mail's Reply-To, which is none of the customer's addresses "
        "(`reply_to.address` of the reply options); without it such a reply goes to the mail's From.",
    )


class NoteIn(In):
    """An internal note."""

    # The service refuses a message with nothing in it; the document says so.
    model_config = ConfigDict(json_schema_extra=needs_one_of("text", "html", "markdown", lists=("attachments",)))

    text: Annotated[str, Field(max_length=200_000)] | None = None
    html: Annotated[str, Field(max_length=400_000)] | None = None
    markdown: Annotated[str, Field(max_length=200_000)] | None = Field(
        None, description="The composer's markup instead of text and html (see the reply's `markdown`)."
    )
    attachments: list[AttachmentIn] = []


class SnoozeIn(In):
    """Snooze the conversation until `until` (with its time zone; in the future, within RAPPORT_SNOOZE_MAX_DAYS)."""

    until: datetime


class MergeIn(In):
    """Merge the conversation in the path into `into_id`."""

    into_id: Id


class EmailSenderIn(In):
    """A sender known by mail address."""

    kind: Literal[IdentityKind.email]
    address: Email
    name: Annotated[str, Field(max_length=200)] | None = None


class PhoneSenderIn(In):
    """A sender known by phone or WhatsApp number, E.164 (formatting such as spaces or brackets is ignored)."""

    kind: Literal[IdentityKind.phone, IdentityKind.whatsapp]
    address: Phone
    name: Annotated[str, Field(max_length=200)] | None = None


class OtherSenderIn(In):
    """A sender known by a chat visitor id or an id in another system."""

    kind: Literal[IdentityKind.chat, IdentityKind.external]
    address: Annotated[str, Field(min_length=1, max_length=320)]
    name: Annotated[str, Field(max_length=200)] | None = None


# Who sent an inbound message; what its address must look like depends on its kind.
SenderIn = Annotated[EmailSenderIn | PhoneSenderIn | OtherSenderIn, Field(discriminator="kind")]


class InboundIn(In):
    """A customer's message arriving through the API (or a channel adapter)."""

    # The service refuses a message with nothing in it; the document says so.
    model_config = ConfigDict(
        json_schema_extra={
            **needs_one_of("text", "html", lists=("attachments",)),
            "examples": [
                {"inbox_id": 1, "sender": {"kind": "phone", "address": "+14155550100"}, "text": "Where is my order?"}
            ],
        }
    )

    inbox_id: Id
    sender: SenderIn
    channel: Channel | None = None
    subject: Annotated[str, Field(max_length=500)] | None = None
    text: str | None = None
    html: str | None = None
    external_id: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    conversation_id: Id | None = None
    in_reply_to: Annotated[str, Field(max_length=300)] | None = None
    received_at: datetime | None = None
    attachments: list[AttachmentIn] = []


class InboundOut(Out):
    """What became of an inbound message."""

    message_id: int
    conversation_id: int
    customer_id: int
    new_conversation: bool
    duplicate: bool


class ListQuery(BaseModel):
    """GET /conversations: an inbox view's filters, sort and page (query parameters; unknown ones are ignored)."""

    status: list[Status] | None = None
    assignee_id: Id | None = None
    unassigned: bool = False
    team_id: Id | None = None
    inbox_id: Id | None = None
    channel: Channel | None = None
    category: Str | None = None
    tag: Str | None = None
    customer_id: Id | None = None
    priority: Priority | None = None
    updated_since: datetime | None = None
    where: Str | None = Field(None, description="A condition as JSON (docs/conditions.md), with the filters above.")
    sort: Literal["updated_desc", "updated_asc", "created_desc", "created_asc", "priority", "due"] = Field(
        "updated_desc",
        description="`priority`: urgent first, then high, normal and low, the latest updated first within each. "
        "`due`: the active conversations with a service-target deadline, soonest `sla_due_at` first (then by id), "
        'then the rest (no deadline, or finished) latest updated first, as the inbox\'s "Due first"; cursors '
        "page across both.",
    )
    cursor: Cursor | None = None
    limit: Limit = 50


class OpenQuery(BaseModel):
    """GET /conversations/{id}: what to include with the conversation (query parameters)."""

    include: list[Literal["messages", "events"]] | None = None
    messages_limit: Limit = 20
    events_limit: Limit = 50

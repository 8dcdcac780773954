"""Every event name Rapport writes, `noun.past_verb`, with the payload each carries."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Payload(BaseModel):
    """Base of event payloads: strict about unknown keys so the log stays uniform."""

    model_config = ConfigDict(extra="forbid")


class Empty(Payload):
    """No payload."""


class ConversationCreated(Payload):
    """A conversation was opened."""

    channel: str
    inbox_id: int
    subject: str = ""
    follow_up_of: int | None = None


class MessageAdded(Payload):
    """A message (inbound, outbound or note) was appended."""

    direction: str
    channel: str
    external_id: str | None = None


class Changed(Payload):
    """A single attribute moved from one value to another."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: object | None = Field(default=None, alias="from")
    to: object | None = None


class DeliveryChanged(Changed):
    """An outbound message's delivery status moved; `error` says why when it failed."""

    error: str | None = None


class SignedIn(Payload):
    """A customer signed in to the portal."""

    via: str


class IdentityVerified(Payload):
    """A customer proved they own an identity (for example by using a link mailed to it)."""

    identity_id: int
    via: str


class TagsChanged(Payload):
    """Tags were added or removed."""

    added: list[str] = []
    removed: list[str] = []


class FieldsChanged(Payload):
    """Custom field values changed: key -> [old, new]."""

    changes: dict[str, list]


class Merged(Payload):
    """Two records became one."""

    source_id: int
    target_id: int


class Reopened(Payload):
    """A solved conversation was reopened."""

    reopen_count: int
    by: str


class HumanRequested(Payload):
    """The customer asked to talk to a person."""

    channel: str
    via: str


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


class SenderUnverified(Payload):
    """A message came from a sender the channel could not authenticate (an email From failing DMARC)."""

    address: str
    reason: str
    authserv_id: str | None = None


class AdminChange(Payload):
    """An admin-level object was created or changed."""

    object: str
    object_id: int
    fields: dict = {}


class CallProgress(Payload):
    """A phone call moved on: queued, answered, abandoned, completed or turned into a callback request."""

    call_sid: str
    status: str
    wait_seconds: int | None = None
    talk_seconds: int | None = None
    recording_url: str | None = None
    queue_result: str | None = None
    callback_id: int | None = None


class CallbackDone(Payload):
    """An agent called a customer back (or the callback was cancelled)."""

    callback_id: int
    state: str


class Mentioned(Payload):
    """An agent was @mentioned in a note; their live topic hears of it."""

    agent_id: int


class NotificationsCreated(Payload):
    """An agent got new notifications (or an unread one grew); their live topic hears of it, to refresh the badge."""

    agent_id: int
    count: int


EVENTS: dict[str, type[Payload]] = {
    "customer.created": Empty,
    "customer.updated": AdminChange,
    "customer.merged": Merged,
    "identity.added": AdminChange,
    "identity.verified": IdentityVerified,
    "conversation.created": ConversationCreated,
    "message.received": MessageAdded,
    "message.sent": MessageAdded,
    "note.added": MessageAdded,
    "message.delivery_changed": DeliveryChanged,
    "conversation.status_changed": Changed,
    "conversation.reopened": Reopened,
    "conversation.priority_changed": Changed,
    "conversation.assigned": Changed,
    "conversation.team_changed": Changed,
    "conversation.category_changed": Changed,
    "conversation.subject_changed": Changed,
    "conversation.tags_changed": TagsChanged,
    "conversation.fields_changed": FieldsChanged,
    "conversation.merged": Merged,
    "conversation.human_requested": HumanRequested,
    "conversation.human_answered": Changed,
    "call.queued": CallProgress,
    "call.answered": CallProgress,
    "call.abandoned": CallProgress,
    "call.completed": CallProgress,
    "call.recorded": CallProgress,
    "call.callback_requested": CallProgress,
    "callback.completed": CallbackDone,
    "conversation.channel_switched": ChannelSwitched,
    "conversation.sender_unverified": SenderUnverified,
    "visitor.verified": VisitorVerified,
    "agent.created": AdminChange,
    "agent.updated": AdminChange,
    "team.created": AdminChange,
    "team.updated": AdminChange,
    "inbox.created": AdminChange,
    "inbox.updated": AdminChange,
    "field.defined": AdminChange,
    "field.updated": AdminChange,
    "agent.invited": AdminChange,
    "token.created": AdminChange,
    "token.revoked": AdminChange,
    "webhook.created": AdminChange,
    "webhook.updated": AdminChange,
    "webhook.deleted": AdminChange,
    "agent.signed_in": Empty,
    "agent.signed_out": Empty,
    "agent.mentioned": Mentioned,
    "notification.created": NotificationsCreated,
    "customer.signed_in": SignedIn,
    "customer.signed_out": Empty,
}

"""The closed vocabularies of the domain, shared by models, schemas and services."""

from enum import StrEnum


class Role(StrEnum):
    """What an agent may do: admin > supervisor > agent."""

    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"


class Availability(StrEnum):
    """Whether an agent can take work now."""

    online = "online"
    away = "away"
    offline = "offline"


class Channel(StrEnum):
    """The transport a message travelled on."""

    email = "email"
    chat = "chat"
    sms = "sms"
    whatsapp = "whatsapp"
    phone = "phone"
    portal = "portal"
    api = "api"


class IdentityKind(StrEnum):
    """How a customer is recognised on a channel."""

    email = "email"
    phone = "phone"
    whatsapp = "whatsapp"
    chat = "chat"
    external = "external"


class Status(StrEnum):
    """Conversation lifecycle; `pending` waits on the customer, `on_hold` on a third party."""

    new = "new"
    open = "open"
    pending = "pending"
    on_hold = "on_hold"
    solved = "solved"
    closed = "closed"


ACTIVE_STATUSES = (Status.new, Status.open, Status.pending, Status.on_hold)

# closed is final; solved may reopen; everything else moves freely between the working states.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.new: frozenset({Status.open, Status.pending, Status.on_hold, Status.solved}),
    Status.open: frozenset({Status.pending, Status.on_hold, Status.solved}),
    Status.pending: frozenset({Status.open, Status.on_hold, Status.solved}),
    Status.on_hold: frozenset({Status.open, Status.pending, Status.solved}),
    Status.solved: frozenset({Status.open, Status.closed}),
    Status.closed: frozenset(),
}


class Priority(StrEnum):
    """How urgent a conversation is."""

    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class Direction(StrEnum):
    """Which way a message went; `note` is internal and never shown to the customer."""

    inbound = "inbound"
    outbound = "outbound"
    note = "note"


class AuthorKind(StrEnum):
    """Who wrote a message."""

    customer = "customer"
    agent = "agent"
    system = "system"


class DeliveryStatus(StrEnum):
    """Where an outbound message is on its way to the customer."""

    queued = "queued"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"


class FieldKind(StrEnum):
    """Types an admin-defined custom field can have."""

    text = "text"
    number = "number"
    boolean = "boolean"
    date = "date"
    select = "select"

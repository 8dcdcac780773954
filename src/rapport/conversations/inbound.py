"""receive_inbound: every channel's way in. Find the customer, thread the message, append, record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from rapport.agents.permissions import Actor, authorize
from rapport.config import get_settings
from rapport.conversations import attachments, repository
from rapport.conversations.status import move
from rapport.customers import service as customers
from rapport.events.outbox import record
from rapport.inboxes import repository as inboxes
from rapport.kit import html as htmlkit
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, TooLarge
from rapport.models import Conversation, Customer, Message
from rapport.models.enums import AuthorKind, Direction, Status


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
    files: list[attachments.IncomingFile] = field(default_factory=list)


@dataclass
class Received:
    """What receive_inbound did: the message, its conversation, and whether either is new."""

    message: Message
    conversation: Conversation
    customer: Customer
    new_conversation: bool
    duplicate: bool = False


def receive_inbound(session: Session, actor: Actor, msg: Inbound) -> Received:
    """Store an inbound message in the right conversation; a repeated external id returns the first."""
    authorize(actor, "messages.inbound")
    inbox = inboxes.get(session, msg.inbox_id)
    if msg.external_id:
        seen = repository.message_by_external_id(session, inbox.id, msg.external_id)
        if seen is not None:
            conv = repository.get(session, seen.conversation_id)
            return Received(seen, conv, session.get(Customer, conv.customer_id), False, duplicate=True)
    text, body_html = _bodies(msg)
    attachments.check(msg.files)
    customer = customers.find_or_create(session, actor, msg.sender_kind, msg.sender_address, msg.sender_name)
    channel = msg.channel or inbox.channel
    conv, created = _thread(session, actor, msg, customer, inbox.id, channel)
    stamp = msg.received_at or now()
    message = Message(
        conversation_id=conv.id,
        direction=Direction.inbound.value,
        channel=channel,
        author_kind=AuthorKind.customer.value,
        customer_id=customer.id,
        inbox_id=inbox.id,
        external_id=msg.external_id,
        body_text=text,
        body_html=body_html,
        meta=msg.meta,
        created_at=stamp,
    )
    session.add(message)
    session.flush()
    if msg.files:
        attachments.save(session, message.id, msg.files)
    conv.message_count += 1
    conv.last_message_at = conv.last_inbound_at = conv.updated_at = max(stamp, conv.updated_at)
    record(
        session,
        "message.received",
        actor,
        conversation_id=conv.id,
        customer_id=customer.id,
        message_id=message.id,
        direction="inbound",
        channel=channel,
        external_id=msg.external_id,
    )
    return Received(message, conv, customer, created)


def _bodies(msg: Inbound) -> tuple[str, str | None]:
    limit = get_settings().max_message_chars
    if not (msg.text or msg.html or msg.files):
        raise Invalid(
            "A message needs text, html or at least one attachment.",
            errors=[{"field": "text", "message": "empty message"}],
        )
    body_html = htmlkit.sanitize(msg.html) if msg.html else None
    text = msg.text if msg.text is not None else htmlkit.to_text(body_html or "")
    if len(text) > limit or len(body_html or "") > limit * 2:
        raise TooLarge(
            f"The message body has {len(text)} characters; the limit is {limit} (RAPPORT_MAX_MESSAGE_CHARS).",
            limit=limit,
            setting="RAPPORT_MAX_MESSAGE_CHARS",
        )
    return text, body_html


def _thread(
    session: Session, actor: Actor, msg: Inbound, customer: Customer, inbox_id: int, channel: str
) -> tuple[Conversation, bool]:
    """Explicit reference first, then the message replied to, then the customer's open conversation here."""
    conv = None
    if msg.conversation_id is not None:
        conv = _follow(session, repository.get_for_update(session, msg.conversation_id))
    elif msg.in_reply_to:
        parent = repository.message_by_external_id(session, inbox_id, msg.in_reply_to)
        if parent is not None:
            conv = _follow(session, repository.get_for_update(session, parent.conversation_id))
    if conv is not None and conv.customer_id != customer.id:
        raise Conflict(
            f"Conversation {conv.id} belongs to another customer; a message from "
            f"'{msg.sender_address}' cannot be added to it."
        )
    if conv is None:
        conv = repository.open_in_inbox(session, customer.id, inbox_id)
    if conv is not None and conv.status != Status.closed:
        if conv.status in (Status.pending, Status.on_hold, Status.solved):
            move(session, actor, conv, Status.open, reason="customer")
        return conv, False
    return _open(session, actor, msg, customer, inbox_id, channel, follow_up_of=conv.id if conv else None), True


def _follow(session: Session, conv: Conversation) -> Conversation:
    while conv.merged_into_id:
        conv = repository.get_for_update(session, conv.merged_into_id)
    return conv


def _open(
    session: Session,
    actor: Actor,
    msg: Inbound,
    customer: Customer,
    inbox_id: int,
    channel: str,
    *,
    follow_up_of: int | None,
) -> Conversation:
    stamp = msg.received_at or now()
    inbox = inboxes.get(session, inbox_id)
    conv = Conversation(
        subject=(msg.subject or "").strip()[:500],
        status=Status.new.value,
        priority="normal",
        channel=channel,
        inbox_id=inbox_id,
        customer_id=customer.id,
        team_id=inbox.team_id,
        custom_fields={},
        reopen_count=0,
        message_count=0,
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(conv)
    session.flush()
    record(
        session,
        "conversation.created",
        actor,
        conversation_id=conv.id,
        customer_id=customer.id,
        channel=channel,
        inbox_id=inbox_id,
        subject=conv.subject,
        follow_up_of=follow_up_of,
    )
    return conv

"""receive_inbound: every channel's way in. Find the customer, thread the message, append, record.

This is the hottest write path: it runs prebuilt Core statements on the session's connection (no ORM unit
of work, no per-call statement building) and as few of them as it can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from rapport.agents.permissions import Actor, authorize
from rapport.config import get_settings
from rapport.conversations import attachments
from rapport.customers import service as customers
from rapport.events.outbox import record
from rapport.kit import html as htmlkit
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound, TooLarge
from rapport.models import Conversation, Inbox, Message
from rapport.models.enums import ACTIVE_STATUSES, AuthorKind, Direction, Status

C = Conversation.__table__.c
M = Message.__table__.c
_THREAD_COLUMNS = (C.id, C.status, C.customer_id, C.merged_into_id, C.updated_at, C.reopen_count)

_INBOX = select(Inbox.__table__.c.id, Inbox.__table__.c.channel, Inbox.__table__.c.team_id).where(
    Inbox.__table__.c.id == bindparam("inbox_id")
)
_SEEN = select(M.id, M.conversation_id, M.customer_id).where(
    M.inbox_id == bindparam("inbox_id"), M.external_id == bindparam("external_id")
)
_PARENT = select(M.conversation_id).where(M.inbox_id == bindparam("inbox_id"), M.external_id == bindparam("ref"))
_BY_ID = select(*_THREAD_COLUMNS).where(C.id == bindparam("id")).with_for_update()
_ACTIVE_HERE = (
    select(*_THREAD_COLUMNS)
    .where(
        C.customer_id == bindparam("customer_id"),
        C.inbox_id == bindparam("inbox_id"),
        C.status.in_([s.value for s in ACTIVE_STATUSES]),
        C.merged_into_id.is_(None),
    )
    .order_by(C.updated_at.desc())
    .limit(1)
    .with_for_update()
)
_NEW_MESSAGE = insert(Message.__table__).returning(M.id)
_NEW_CONVERSATION = insert(Conversation.__table__).returning(C.id)


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
    """What receive_inbound did: the ids written, and whether the conversation is new or the message a repeat."""

    message_id: int
    conversation_id: int
    customer_id: int
    new_conversation: bool
    duplicate: bool = False


def receive_inbound(session: Session, actor: Actor, msg: Inbound) -> Received:
    """Store an inbound message in the right conversation; a repeated external id returns the first."""
    authorize(actor, "messages.inbound")
    conn = session.connection()
    inbox = conn.execute(_INBOX, {"inbox_id": msg.inbox_id}).first()
    if inbox is None:
        raise NotFound(f"There is no inbox {msg.inbox_id}.")
    if msg.external_id:
        seen = conn.execute(_SEEN, {"inbox_id": inbox.id, "external_id": msg.external_id}).first()
        if seen is not None:
            return Received(seen.id, seen.conversation_id, seen.customer_id, False, duplicate=True)
    text, body_html = _bodies(msg)
    attachments.check(msg.files)
    customer_id = customers.resolve(session, actor, msg.sender_kind, msg.sender_address, msg.sender_name)
    channel = msg.channel or inbox.channel
    stamp = msg.received_at or now()
    conv = _thread(conn, msg, customer_id, inbox.id)
    created = conv is None or conv.status == Status.closed
    if created:
        conversation_id = _open(
            session, conn, actor, msg, customer_id, inbox, channel, stamp, follow_up_of=conv.id if conv else None
        )
        status, reopen_count = Status.new, 0
    else:
        conversation_id, status, reopen_count = conv.id, Status(conv.status), conv.reopen_count
    message_id = conn.execute(
        _NEW_MESSAGE,
        {
            "conversation_id": conversation_id,
            "direction": Direction.inbound.value,
            "channel": channel,
            "author_kind": AuthorKind.customer.value,
            "customer_id": customer_id,
            "agent_id": None,
            "inbox_id": inbox.id,
            "external_id": msg.external_id,
            "body_text": text,
            "body_html": body_html,
            "delivery_status": None,
            "delivery_error": None,
            "meta": msg.meta,
            "created_at": stamp,
        },
    ).scalar_one()
    if msg.files:
        attachments.save(session, message_id, msg.files)
    changes = {
        "message_count": C.message_count + 1,
        "last_message_at": stamp,
        "last_inbound_at": stamp,
        "updated_at": stamp if created else max(stamp, conv.updated_at),
    }
    # A customer writing again means the ball is back with us.
    reopened = status in (Status.pending, Status.on_hold, Status.solved)
    if reopened:
        changes["status"] = Status.open.value
        if status == Status.solved:
            changes |= {"reopen_count": reopen_count + 1, "solved_at": None}
    conn.execute(update(Conversation.__table__).where(C.id == conversation_id).values(**changes))
    ids = {"conversation_id": conversation_id, "customer_id": customer_id}
    if reopened:
        record(session, "conversation.status_changed", actor, from_=status.value, to=Status.open.value, **ids)
        if status == Status.solved:
            record(session, "conversation.reopened", actor, reopen_count=reopen_count + 1, by="customer", **ids)
    record(
        session,
        "message.received",
        actor,
        message_id=message_id,
        direction="inbound",
        channel=channel,
        external_id=msg.external_id,
        **ids,
    )
    return Received(message_id, conversation_id, customer_id, created)


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


def _thread(conn: Connection, msg: Inbound, customer_id: int, inbox_id: int) -> Row | None:
    """Explicit reference first, then the message replied to, then the customer's active conversation here."""
    conv = None
    if msg.conversation_id is not None:
        conv = conn.execute(_BY_ID, {"id": msg.conversation_id}).first()
        if conv is None:
            raise NotFound(f"There is no conversation {msg.conversation_id}.")
    elif msg.in_reply_to:
        parent = conn.execute(_PARENT, {"inbox_id": inbox_id, "ref": msg.in_reply_to}).scalar()
        conv = conn.execute(_BY_ID, {"id": parent}).first() if parent is not None else None
    while conv is not None and conv.merged_into_id:
        conv = conn.execute(_BY_ID, {"id": conv.merged_into_id}).first()
    if conv is not None and conv.customer_id != customer_id:
        raise Conflict(
            f"Conversation {conv.id} belongs to another customer; a message from "
            f"'{msg.sender_address}' cannot be added to it."
        )
    if conv is None:
        conv = conn.execute(_ACTIVE_HERE, {"customer_id": customer_id, "inbox_id": inbox_id}).first()
    return conv


def _open(
    session: Session,
    conn: Connection,
    actor: Actor,
    msg: Inbound,
    customer_id: int,
    inbox: Row,
    channel: str,
    stamp: datetime,
    *,
    follow_up_of: int | None,
) -> int:
    subject = (msg.subject or "").strip()[:500]
    conversation_id = conn.execute(
        _NEW_CONVERSATION,
        {
            "subject": subject,
            "status": Status.new.value,
            "priority": "normal",
            "channel": channel,
            "inbox_id": inbox.id,
            "customer_id": customer_id,
            "team_id": inbox.team_id,
            "custom_fields": {},
            "reopen_count": 0,
            "message_count": 0,
            "created_at": stamp,
            "updated_at": stamp,
        },
    ).scalar_one()
    record(
        session,
        "conversation.created",
        actor,
        conversation_id=conversation_id,
        customer_id=customer_id,
        channel=channel,
        inbox_id=inbox.id,
        subject=subject,
        follow_up_of=follow_up_of,
    )
    return conversation_id

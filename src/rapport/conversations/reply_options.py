"""Where an agent can reply in a conversation: the customer's channels, the default, and channel windows.

Some channels only allow a free-form reply for a while after the customer last wrote (WhatsApp: 24 hours).
A channel's adapter carries its window (`ChannelAdapter.window`); replies outside an open window are refused
before anything is written, and GET /conversations/{id}/reply-options shows agents the window before they type.

An email's Reply-To is where its sender asks replies to go; anyone can write one, so a Reply-To that is none of
the customer's own addresses is only used when the agent confirms it for that reply (`confirm_reply_to`, checked
here); otherwise the reply goes to the address the mail came from. Reply options show it, with that choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.conversations import repository
from rapport.customers.identities import normalise
from rapport.kernel import channels
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.problems import Conflict, Invalid
from rapport.models import Conversation, Identity, Inbox, Message
from rapport.models.enums import Channel, Direction

# How an identity kind is replied to.
IDENTITY_CHANNELS = {"email": Channel.email, "phone": Channel.sms, "whatsapp": Channel.whatsapp, "chat": Channel.chat}


@dataclass(frozen=True)
class ReplyWindow:
    """Whether a channel accepts a free-form reply now; `reason` explains a closed window."""

    open: bool
    closes_at: datetime | None
    reason: str = ""


def check_window(session: Session, conv: Conversation, channel: str) -> None:
    """Raise Conflict (409) when `channel` has a reply window for this conversation and it is closed."""
    fn = _window(channel)
    if fn is None:
        return
    win = fn(session, conv)
    if not win.open:
        closes = win.closes_at.isoformat() if win.closes_at else None
        raise Conflict(win.reason, channel=channel, window_closes_at=closes)


class ChannelOption(BaseModel):
    """One channel the agent can reply on."""

    channel: Channel
    addresses: list[str]
    open: bool
    window_closes_at: datetime | None = None


class UnknownReplyTo(BaseModel):
    """The Reply-To of the customer's latest mail, none of their addresses: used only when a reply confirms it."""

    address: str = Field(description="Where the mail asks replies to go; send `confirm_reply_to` with it to use it.")
    from_address: str = Field(description="Where an email reply goes without that confirmation: the mail's From.")


class ReplyOptions(BaseModel):
    """The reply channels of a conversation and the one a reply uses by default."""

    conversation_id: int
    default: Channel
    channels: list[ChannelOption]
    reply_to: UnknownReplyTo | None = None


def latest_mail(session: Session, conversation_id: int) -> dict:
    """The email facts (`meta.email`) of the customer's latest mail in the conversation: what a reply answers."""
    meta = session.scalar(
        select(Message.meta)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.inbound.value,
            Message.channel == Channel.email.value,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    return (meta or {}).get("email") or {}


def unknown_reply_to(session: Session, customer_id: int, mail: dict) -> UnknownReplyTo | None:
    """The mail's Reply-To when it differs from its From and is none of the customer's email addresses."""
    reply_to, sender = _address(mail.get("reply_to")), _address(mail.get("from"))
    if not reply_to or not sender or reply_to == sender:
        return None
    own = session.scalar(
        select(Identity.id).where(
            Identity.customer_id == customer_id, Identity.kind == "email", Identity.address == reply_to
        )
    )
    return None if own is not None else UnknownReplyTo(address=reply_to, from_address=sender)


def confirmed_reply_to(session: Session, conv: Conversation, address: str, channel: str) -> str:
    """The Reply-To an agent confirms for a reply, checked: it must be the one awaiting confirmation (else Invalid)."""
    field = [{"field": "confirm_reply_to"}]
    if channel != Channel.email:
        raise Invalid("confirm_reply_to applies to email replies only.", errors=field)
    pending = unknown_reply_to(session, conv.customer_id, latest_mail(session, conv.id))
    wanted = _address(address)
    if pending is None or wanted != pending.address:
        awaiting = f"the one awaiting confirmation is {pending.address}" if pending else "none awaits confirmation"
        raise Invalid(
            f"'{address[:320]}' is not the Reply-To of the customer's latest mail in conversation {conv.id} "
            f"({awaiting}); reload the conversation and confirm again.",
            errors=field,
        )
    return pending.address


def _address(value) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return normalise("email", value)
    except Invalid:
        return None


def reply_options(session: Session, actor: Actor, conversation_id: int) -> ReplyOptions:
    """The channels the customer can be answered on (identities and the inbox's channel), with windows."""
    authorize(actor, "conversations.read")
    conv = repository.get(session, conversation_id)
    addresses: dict[Channel, list[str]] = {}
    rows = session.execute(
        select(Identity.kind, Identity.address).where(Identity.customer_id == conv.customer_id).order_by(Identity.id)
    )
    for kind, address in rows:
        if kind in IDENTITY_CHANNELS:
            addresses.setdefault(IDENTITY_CHANNELS[kind], []).append(address)
    inbox = session.get(Inbox, conv.inbox_id)  # often in the session already (the page holds it)
    inbox_channel = inbox.channel if inbox is not None else None
    for channel in (inbox_channel, conv.channel):
        if channel:
            addresses.setdefault(Channel(channel), [])
    default = Channel(default_reply_channel(session, conv))
    addresses.setdefault(default, [])
    options = []
    for channel, addrs in addresses.items():
        fn = _window(channel)
        win = fn(session, conv) if fn else ReplyWindow(open=True, closes_at=None)
        options.append(ChannelOption(channel=channel, addresses=addrs, open=win.open, window_closes_at=win.closes_at))
    reply_to = unknown_reply_to(session, conv.customer_id, latest_mail(session, conv.id))
    return ReplyOptions(conversation_id=conv.id, default=default, channels=options, reply_to=reply_to)


def default_reply_channel(session: Session, conv) -> str:
    """Where a reply goes unless the agent chooses: the channel of the customer's latest inbound message.

    A phone call cannot be answered in writing on the call itself; its reply goes by SMS to the same number.
    """
    channel = repository.last_inbound_channel(session, conv.id) or conv.channel
    return Channel.sms.value if channel == Channel.phone else channel


def _window(channel: str):
    found = channels.adapter(channel)
    return found.window if found else None

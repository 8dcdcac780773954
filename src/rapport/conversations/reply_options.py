"""Where an agent can reply in a conversation: the customer's channels, the default, and channel windows.

Some channels only allow a free-form reply for a while after the customer last wrote (WhatsApp: 24 hours).
An adapter registers its window in WINDOWS; replies outside an open window are refused before anything is
written, and GET /conversations/{id}/reply-options shows agents the window before they type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.agents.permissions import Actor, authorize
from rapport.conversations import repository
from rapport.kit.problems import Conflict
from rapport.kit.schema import Id
from rapport.models import Conversation, Identity, Inbox
from rapport.models.enums import Channel
from rapport.web.deps import DB, Me, requires

# How an identity kind is replied to.
IDENTITY_CHANNELS = {"email": Channel.email, "phone": Channel.sms, "whatsapp": Channel.whatsapp, "chat": Channel.chat}


@dataclass(frozen=True)
class ReplyWindow:
    """Whether a channel accepts a free-form reply now; `reason` explains a closed window."""

    open: bool
    closes_at: datetime | None
    reason: str = ""


WINDOWS: dict[str, Callable[[Session, Conversation], ReplyWindow]] = {}


def check_window(session: Session, conv: Conversation, channel: str) -> None:
    """Raise Conflict (409) when `channel` has a reply window for this conversation and it is closed."""
    fn = WINDOWS.get(channel)
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


class ReplyOptions(BaseModel):
    """The reply channels of a conversation and the one a reply uses by default."""

    conversation_id: int
    default: Channel
    channels: list[ChannelOption]


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
    inbox_channel = session.scalar(select(Inbox.channel).where(Inbox.id == conv.inbox_id))
    for channel in (inbox_channel, conv.channel):
        if channel:
            addresses.setdefault(Channel(channel), [])
    default = Channel(default_reply_channel(session, conv))
    addresses.setdefault(default, [])
    options = []
    for channel, addrs in addresses.items():
        win = WINDOWS[channel](session, conv) if channel in WINDOWS else ReplyWindow(open=True, closes_at=None)
        options.append(ChannelOption(channel=channel, addresses=addrs, open=win.open, window_closes_at=win.closes_at))
    return ReplyOptions(conversation_id=conv.id, default=default, channels=options)


router = APIRouter(tags=["conversations"])


@router.get(
    "/conversations/{conversation_id}/reply-options", dependencies=[requires("read")], response_model=ReplyOptions
)
def get_reply_options(conversation_id: Id, session: DB, actor: Me) -> ReplyOptions:
    """The channels an agent can reply on, the default one, and whether each channel's reply window is open."""
    return reply_options(session, actor, conversation_id)


def default_reply_channel(session: Session, conv) -> str:
    """Where a reply goes unless the agent chooses: the channel of the customer's latest inbound message.

    A phone call cannot be answered in writing on the call itself; its reply goes by SMS to the same number.
    """
    channel = repository.last_inbound_channel(session, conv.id) or conv.channel
    return Channel.sms.value if channel == Channel.phone else channel

"""WhatsApp's 24-hour customer service window: free-form replies only within 24 h of the customer's last message."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from rapport.channels.whatsapp import repository
from rapport.conversations.reply_options import ReplyWindow
from rapport.kit.clock import now
from rapport.models import Conversation

WINDOW = timedelta(hours=24)


def window(session: Session, conv: Conversation) -> ReplyWindow:
    """Whether a free-form WhatsApp reply to this conversation's customer is allowed now, and until when."""
    last = repository.last_inbound(session, conv.customer_id)
    if last is None:
        return ReplyWindow(
            open=False,
            closes_at=None,
            reason="WhatsApp's 24-hour customer service window is closed: this customer has never written "
            "on WhatsApp, so a free-form reply is not allowed there. Reply on another channel.",
        )
    closes_at = last.created_at + WINDOW
    is_open = now() < closes_at
    reason = (
        ""
        if is_open
        else f"WhatsApp's 24-hour customer service window closed at {closes_at.isoformat()} (24 hours after the "
        "customer's last WhatsApp message); free-form replies are not allowed until they write again. "
        "Reply on another channel."
    )
    return ReplyWindow(open=is_open, closes_at=closes_at, reason=reason)

"""Outbound MMS media: signed, expiring links Twilio fetches an attachment's bytes from (no agent login)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.problems import Forbidden, NotFound
from rapport.models import Attachment

# Twilio fetches media when it sends the message; a day covers its own retries with room to spare.
LINK_LIFETIME = timedelta(hours=24)
MAX_MEDIA = 10  # Twilio accepts at most 10 MediaUrl per message


def _signature(attachment_id: int, expires: int) -> str:
    key = get_settings().resolved_secret_key().encode()
    mac = hmac.new(key, f"twilio-media:{attachment_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def link(attachment_id: int) -> str:
    """A public URL for the attachment that stops working after LINK_LIFETIME."""
    expires = int((now() + LINK_LIFETIME).timestamp())
    base = get_settings().base_url.rstrip("/")
    return f"{base}/channels/twilio/sms/media/{attachment_id}?exp={expires}&sig={_signature(attachment_id, expires)}"


def links(session: Session, message_id: int) -> list[str]:
    """Signed links to a message's attachments (Twilio's limit of ten)."""
    ids = session.scalars(
        select(Attachment.id).where(Attachment.message_id == message_id).order_by(Attachment.id).limit(MAX_MEDIA)
    )
    return [link(i) for i in ids]


def open_link(session: Session, attachment_id: int, *, exp: int, sig: str) -> Attachment:
    """The attachment a link names, if the link is genuine and unexpired."""
    if not hmac.compare_digest(sig, _signature(attachment_id, exp)) or exp < now().timestamp():
        raise Forbidden("This media link is not valid or has expired.")
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"There is no attachment {attachment_id}.")
    return attachment

"""Reply tokens: the Message-ID of every reply we send carries its conversation, signed with HMAC.

`<rapport.{conversation}.{message}.{signature}@{domain}>`: a customer's reply quotes it in In-Reply-To or
References, which threads the reply even when nothing else does; the signature (HMAC-SHA256 with a key derived
from RAPPORT_SECRET_KEY) means a token someone made up, or changed, is worth nothing. The same id is
deterministic for a message, so a retried send repeats it and receivers see one message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from rapport.config import get_settings

_TOKEN = re.compile(r"^rapport\.(\d{1,18})\.(\d{1,18})\.([a-z2-7]{24})@[^@\s<>]+$")


@dataclass(frozen=True)
class Token:
    """What a valid reply token says: the conversation and the message it was sent for."""

    conversation_id: int
    message_id: int


def _sign(body: str) -> str:
    key = hashlib.sha256(b"rapport/email-reply-token/" + get_settings().resolved_secret_key().encode()).digest()
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()


def message_id(conversation_id: int, message_id: int, domain: str) -> str:
    """The Message-ID (without angle brackets) of outbound message `message_id`, carrying the reply token."""
    body = f"rapport.{conversation_id}.{message_id}"
    return f"{body}.{_sign(body)}@{domain}"


def looks_like_token(value: str) -> bool:
    """True when `value` has the shape of a reply token, whether or not its signature is good."""
    return bool(_TOKEN.match(value))


def read(value: str) -> Token | None:
    """The token in a Message-ID, or None when it is not one or its signature is wrong."""
    match = _TOKEN.match(value)
    if not match:
        return None
    conversation_id, msg_id, signature = match.groups()
    if not hmac.compare_digest(_sign(f"rapport.{conversation_id}.{msg_id}"), signature):
        return None
    return Token(int(conversation_id), int(msg_id))

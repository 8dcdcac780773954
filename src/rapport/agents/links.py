"""Links mailed to an agent that let them choose a password (an admin's sign-in link, a forgotten-password link).

A link stores nothing: the agent's id, an expiry and an HMAC (under RAPPORT_SECRET_KEY) over those, the link's
purpose, the agent's email and their current password hash. Setting a password changes the hash, so a link works
once; a link of one purpose is never valid for the other.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64encode
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.kit.clock import now
from rapport.kit.problems import Invalid
from rapport.models import Agent


def _signature(purpose: str, agent: Agent, expires: int) -> str:
    key = get_settings().resolved_secret_key().encode()
    text = f"{purpose}:{agent.id}:{expires}:{agent.email}:{agent.password_hash or ''}".encode()
    return urlsafe_b64encode(hmac.new(key, text, hashlib.sha256).digest()).decode().rstrip("=")


def make(purpose: str, path: str, agent: Agent, lifetime: timedelta) -> str:
    """The absolute link under `path` for `agent`, valid for `lifetime` from now."""
    expires = int((now() + lifetime).timestamp())
    base = get_settings().base_url.rstrip("/")
    return f"{base}{path}/{agent.id}.{expires}.{_signature(purpose, agent, expires)}"


def agent_for(session: Session, purpose: str, token: str, invalid: Invalid) -> Agent:
    """The active agent a link of `purpose` is for; `invalid` when it was used, expired or is not ours."""
    try:
        agent_id, expires, signature = token.split(".", 2)
        agent = session.get(Agent, int(agent_id))
        expired = datetime.fromtimestamp(int(expires), UTC) <= now()
    except (ValueError, OverflowError, OSError):
        raise invalid from None
    if agent is None or not agent.active or expired:
        raise invalid
    if not hmac.compare_digest(_signature(purpose, agent, int(expires)).encode(), signature.encode()):
        raise invalid
    return agent

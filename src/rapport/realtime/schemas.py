"""Request shapes of the live API."""

from __future__ import annotations

from typing import Literal

from rapport.kit.schema import In


class PresenceIn(In):
    """An agent's presence in a conversation: typing, idle (stopped typing), viewing, left."""

    conversation_id: int
    state: Literal["typing", "idle", "viewing", "left"]

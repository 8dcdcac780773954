"""Request shapes of the live API."""

from __future__ import annotations

from typing import Literal

from rapport.kit.schema import Id, In
from rapport.realtime.service import STATES


class PresenceIn(In):
    """An agent's presence in a conversation: typing, idle (stopped typing), viewing, left."""

    conversation_id: Id
    state: Literal[STATES]

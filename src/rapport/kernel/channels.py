"""Channel adapters: what a transport gives Rapport, behind one protocol, registered by the adapter's package.

An adapter package `rapport.channels.<name>` calls `register(Adapter(...))` when imported and names itself in its
`domain.py` (`channels=(...)`), so nothing lists the channels. Rapport asks an adapter to check an inbox's settings,
to say how far they are connected, to send a reply (`sender`) and whether a reply window is open (`window`).

An inbox may be created before it is connected: every settings check accepts empty settings, and checks the whole
once anything is given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from rapport.kernel import registry
from rapport.models import Conversation, Message

# fn(session, message): settles the message in the transaction and returns None, or returns the send to make after
# the commit (conversations.tasks.Outgoing); raises conversations.tasks.Undeliverable when retrying cannot help.
Sender = Callable[[Session, Message], Any]
# fn(session, conversation): the reply window (conversations.reply_options.ReplyWindow) of this channel.
Window = Callable[[Session, Conversation], Any]
SECRET_MASK = "********"
_SECRET_KEYS = ("password", "secret", "token", "api_key")


@dataclass(frozen=True)
class Connection:
    """How far an inbox's channel settings are set up: `ready`, `partial` or `missing`, and what that means."""

    state: str
    summary: str


BUILT_IN = Connection("ready", "Built in: there is nothing to connect.")


@runtime_checkable
class ChannelAdapter(Protocol):
    """One transport as Rapport sees it."""

    channel: str
    sender: Sender | None  # None: an in-app channel (replies are read inside Rapport) or one that cannot send
    window: Window | None  # None: replies are always allowed

    def check_settings(self, settings: dict) -> dict:
        """Validate an inbox's settings JSON; return what to store, raise Invalid."""
        ...

    def connection(self, settings: dict) -> Connection:
        """How far an inbox with these (valid) settings is connected."""
        ...


@dataclass(frozen=True)
class Adapter:
    """A ChannelAdapter made of functions: `check` validates settings, `status` summarises them."""

    channel: str
    check: Callable[[dict], dict] | None = None
    status: Callable[[dict], Connection] | None = None
    sender: Sender | None = None
    window: Window | None = None

    def check_settings(self, settings: dict) -> dict:
        """Validate with `check`; a channel without one stores its settings as given."""
        return self.check(settings) if self.check else settings

    def connection(self, settings: dict) -> Connection:
        """Summarise with `status`; a channel without one needs nothing connected (portal, api)."""
        return self.status(settings) if self.status else BUILT_IN


ADAPTERS: dict[str, ChannelAdapter] = {}
_loaded = threading.Event()


def register(adapter: ChannelAdapter) -> ChannelAdapter:
    """Add (or replace) the adapter of `adapter.channel`."""
    ADAPTERS[adapter.channel] = adapter
    return adapter


def load() -> None:
    """Import every adapter the domains declare (once per process)."""
    if not _loaded.is_set():
        registry.load_channels()
        _loaded.set()


def adapter(channel: str) -> ChannelAdapter | None:
    """The adapter of `channel`, or None for a channel no adapter handles (api)."""
    load()
    return ADAPTERS.get(channel)


def check_settings(channel: str, settings: dict | None, previous: dict | None = None) -> dict:
    """Validate an inbox's settings with its channel's adapter; a secret sent back masked keeps its value."""
    settings = _unmask(settings or {}, previous or {})
    found = adapter(channel)
    return found.check_settings(settings) if found else settings


def connection(channel: str, settings: dict | None) -> Connection:
    """How far an inbox of `channel` with these settings is connected, in words."""
    found = adapter(channel)
    return found.connection(settings or {}) if found else BUILT_IN


def mask_secrets(value):
    """A copy of settings with every password, secret or token replaced by a mask, for showing."""
    if isinstance(value, dict):
        return {
            k: (
                SECRET_MASK
                if v and any(s in k.lower() for s in _SECRET_KEYS) and isinstance(v, str)
                else mask_secrets(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def _unmask(value, previous):
    if isinstance(value, dict):
        old = previous if isinstance(previous, dict) else {}
        return {k: (old.get(k) if v == SECRET_MASK else _unmask(v, old.get(k))) for k, v in value.items()}
    return value

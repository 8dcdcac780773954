"""Channel adapters: one package per transport, each feeding receive_inbound and registering its sender.

An adapter package `rapport.channels.<name>` registers its outbound sender in
`rapport.conversations.tasks.SENDERS` when imported, may register a validator for its inboxes' settings in
SETTINGS, and exposes `router` (a FastAPI router with its own prefix) when it takes webhooks or serves pages.
`load()` imports every adapter listed in ADAPTERS.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

ADAPTERS: list[str] = ["email", "sms", "voice", "whatsapp", "chat", "portal"]
# channel -> validator of an inbox's settings JSON: returns what to store, raises Invalid.
SETTINGS: dict[str, Callable[[dict], dict]] = {}
SECRET_MASK = "********"
_SECRET_KEYS = ("password", "secret", "token", "api_key")


def load() -> list:
    """Import every adapter (registering its sender); return the routers they expose."""
    routers = []
    for name in ADAPTERS:
        module = import_module(f"rapport.channels.{name}")
        router = getattr(module, "router", None)
        if router is not None:
            routers.append(router)
    return routers


def check_settings(channel: str, settings: dict | None, previous: dict | None = None) -> dict:
    """Validate an inbox's settings with its channel's validator; a secret sent back masked keeps its value."""
    load()
    settings = _unmask(settings or {}, previous or {})
    validator = SETTINGS.get(channel)
    return validator(settings) if validator else settings


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

"""Channel adapters: one package per transport, each feeding receive_inbound and registering its sender.

An adapter package `rapport.channels.<name>` registers its outbound sender in
`rapport.conversations.tasks.SENDERS` when imported, and exposes `router` (a FastAPI router with its own
prefix) when it takes webhooks or serves pages. `load()` imports every adapter listed in ADAPTERS.
"""

from __future__ import annotations

from importlib import import_module

ADAPTERS: list[str] = ["sms", "voice", "whatsapp", "chat", "portal"]


def load() -> list:
    """Import every adapter (registering its sender); return the routers they expose."""
    routers = []
    for name in ADAPTERS:
        module = import_module(f"rapport.channels.{name}")
        router = getattr(module, "router", None)
        if router is not None:
            routers.append(router)
    return routers

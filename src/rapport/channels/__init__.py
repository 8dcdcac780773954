"""Channel adapters: one package per transport, each feeding receive_inbound and registering its sender.

An adapter package `rapport.channels.<name>` registers its outbound sender in
`rapport.conversations.tasks.SENDERS` when imported, may register a validator for its inboxes' settings in
SETTINGS and a summary of how far they are set up in STATUS, and exposes `router` (a FastAPI router with its own
prefix) when it takes webhooks or serves pages. `load()` imports every adapter listed in ADAPTERS.

An inbox may be created before it is connected: every validator accepts empty settings, and checks the whole
once anything is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from pydantic import ValidationError

from rapport.kit.problems import Invalid

ADAPTERS: list[str] = ["email", "sms", "voice", "whatsapp", "chat", "portal"]
# channel -> validator of an inbox's settings JSON: returns what to store, raises Invalid.
SETTINGS: dict[str, Callable[[dict], dict]] = {}


@dataclass(frozen=True)
class Connection:
    """How far an inbox's channel settings are set up: `ready`, `partial` or `missing`, and what that means."""

    state: str
    summary: str


# channel -> summary of an inbox's (valid) settings; channels without one need nothing connected (portal, api).
STATUS: dict[str, Callable[[dict], Connection]] = {}
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


def connection(channel: str, settings: dict | None) -> Connection:
    """How far an inbox of `channel` with these settings is connected, in words."""
    load()
    summary = STATUS.get(channel)
    return summary(settings or {}) if summary else Connection("ready", "Built in: there is nothing to connect.")


def invalid_settings(what: str, exc: ValidationError, *, hints: dict[str, str] | None = None) -> Invalid:
    """Invalid naming each wrong field as `settings.<path>`; `hints` say in words what a field (by its top-level
    name) should look like when it fails its pattern."""
    errors = []
    for e in exc.errors():
        path = ".".join(str(p) for p in e["loc"])
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "string_pattern_mismatch" and hints and e["loc"] and str(e["loc"][0]) in hints:
            message = hints[str(e["loc"][0])]
        errors.append({"field": f"settings.{path}" if path else "settings", "message": message})
    listed = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Invalid(f"The {what} settings are not valid: {listed}.", errors=errors)


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

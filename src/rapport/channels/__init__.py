"""Channel adapters: one package per transport, each feeding receive_inbound.

An adapter package `rapport.channels.<name>` registers a `ChannelAdapter` (`rapport.kernel.channels`: its settings
check, connection summary, sender and reply window) when imported, and declares in its `domain.py` the routers it
exposes (webhooks, pages) and the module that registers it. Nothing here lists the adapters.
"""

from __future__ import annotations

from pydantic import ValidationError

from rapport.kit.problems import Invalid


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

"""A WhatsApp inbox's settings (inbox.settings), validated before use."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rapport.channels import invalid_settings
from rapport.kernel.channels import Connection
from rapport.kit import netguard
from rapport.kit.problems import Invalid

DEFAULT_API_BASE = "https://graph.facebook.com"
# How the SSRF guard names the api_base in its refusals.
_WHERE = {
    "what": "The Graph API host",
    "allowance": "this inbox (settings.allow_private)",
    "field": "settings.api_base",
}
HINTS = {
    "phone_number_id": "the phone number ID is digits only (WhatsApp > API Setup in Meta's developer console)",
    "graph_version": "a Graph API version such as v21.0",
    "api_base": "a base URL such as https://graph.facebook.com, without a path",
}


class WhatsAppSettings(BaseModel):
    """What Rapport needs to receive and send for one WhatsApp business phone number (Cloud API)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    phone_number_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9]+$")]
    access_token: Annotated[str, Field(min_length=1, max_length=1000)]
    app_secret: Annotated[str, Field(min_length=1, max_length=200)]
    verify_token: Annotated[str, Field(min_length=1, max_length=200)]
    graph_version: Annotated[str, Field(pattern=r"^v[0-9]+\.[0-9]+$")] = "v21.0"
    # Only tests point this elsewhere (at a local fake of the Graph API); it passes the SSRF guard (kit.netguard)
    # on save and before every call, and may be private (a loopback fake) only when allow_private says so.
    api_base: Annotated[str, Field(pattern=r"^https?://[^\s/]+(:[0-9]+)?$")] = DEFAULT_API_BASE
    allow_private: bool = False


def load(inbox_id: int, settings: dict) -> WhatsAppSettings:
    """The inbox's WhatsApp settings; Invalid naming each wrong field."""
    try:
        return WhatsAppSettings.model_validate(settings or {})
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        fields = ", ".join(e["field"] for e in errors)
        raise Invalid(
            f"Inbox {inbox_id} has incomplete or invalid WhatsApp settings ({fields}).", errors=errors
        ) from None


def try_load(inbox_id: int, settings: dict) -> WhatsAppSettings | None:
    """The settings, or None when the inbox is not configured correctly."""
    try:
        return load(inbox_id, settings)
    except Invalid:
        return None


def check(settings: dict) -> dict:
    """Validate a WhatsApp inbox's settings once any is given (the SETTINGS hook); returns them unchanged."""
    if settings:
        try:
            cfg = WhatsAppSettings.model_validate(settings)
        except ValidationError as exc:
            raise invalid_settings("WhatsApp", exc, hints=HINTS) from None
        netguard.check_base_url_static(cfg.api_base, allow_private=cfg.allow_private, **_WHERE)
    return settings


def checked_base(cfg: WhatsAppSettings) -> str:
    """The api_base to call now, through the SSRF guard (kit.netguard.checked_base_url)."""
    return netguard.checked_base_url(cfg.api_base, allow_private=cfg.allow_private, **_WHERE)


def status(settings: dict) -> Connection:
    """How far a WhatsApp inbox is connected (the STATUS hook)."""
    cfg = try_load(0, settings)
    if cfg is None:
        return Connection(
            "missing", "Not connected: add the phone number ID, access token, app secret and verify token."
        )
    return Connection("ready", f"Cloud API phone number ID {cfg.phone_number_id} (Graph {cfg.graph_version}).")

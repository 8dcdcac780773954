"""A chat inbox's settings: the widget's public key and the sites allowed to embed it, checked before storing."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rapport.channels import invalid_settings
from rapport.kernel.channels import Connection

ORIGIN = r"^(\*|https?://[^/\s]+/?)$"  # "*" allows any site
HINTS = {
    "public_key": "use 8 to 100 letters, digits, _ or -, such as pk_live_shop_8f3c",
    "allowed_origins": "give a site's scheme and host, such as https://shop.example (no path), or * for any site",
}


class ChatSettings(BaseModel):
    """What a chat inbox's `settings` hold (other keys are left alone)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    # It only names the inbox in the widget's URLs (it is public), so it must be URL-safe.
    public_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,100}$")]
    allowed_origins: Annotated[list[Annotated[str, Field(pattern=ORIGIN)]], Field(max_length=50)] = []


def check(settings: dict) -> dict:
    """Validate a chat inbox's settings once any is given (the SETTINGS hook); returns them unchanged."""
    if settings:
        try:
            ChatSettings.model_validate(settings)
        except ValidationError as exc:
            raise invalid_settings("chat", exc, hints=HINTS) from None
    return settings


def status(settings: dict) -> Connection:
    """How far a chat inbox is set up (the STATUS hook)."""
    try:
        cfg = ChatSettings.model_validate(settings)
    except ValidationError:
        return Connection("missing", "Not set up: give the widget a public key.")
    if not cfg.allowed_origins:
        return Connection("partial", "The widget works only on Rapport's own demo page: list your sites' origins.")
    return Connection("ready", f"Widget allowed on {', '.join(cfg.allowed_origins)}.")

"""A chat inbox's settings: the widget's public key and the sites allowed to embed it, checked before storing."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rapport.channels import invalid_settings
from rapport.kernel.channels import Connection
from rapport.kit.colours import HEX, contrast, expand

ORIGIN = r"^(\*|https?://[^/\s]+/?)$"  # "*" allows any site
MIN_CONTRAST = 4.5  # WCAG AA for normal text: the theme's text is read on its accent
DEFAULT_THEME = {"accent": "#2456c7", "text": "#ffffff"}
HINTS = {
    "public_key": "use 8 to 100 letters, digits, _ or -, such as pk_live_shop_8f3c",
    "allowed_origins": "give a site's scheme and host, such as https://shop.example (no path), or * for any site",
    "theme": "give a colour as #rgb or #rrggbb, such as #2456c7",
}


class Theme(BaseModel):
    """The widget's colours: `accent` (launcher, buttons, the visitor's messages) and `text` written on it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    accent: Annotated[str, Field(pattern=HEX)] = DEFAULT_THEME["accent"]
    text: Annotated[str, Field(pattern=HEX)] = DEFAULT_THEME["text"]

    @field_validator("accent", "text")
    @classmethod
    def _lower(cls, value: str) -> str:
        return expand(value)

    @model_validator(mode="after")
    def _readable(self) -> Theme:
        ratio = contrast(self.accent, self.text)
        if ratio < MIN_CONTRAST:
            raise ValueError(
                f"the text colour {self.text} on the accent {self.accent} has a contrast of {ratio:.2f}:1; "
                f"it must be at least {MIN_CONTRAST}:1 (WCAG AA) to be readable"
            )
        return self


class ChatSettings(BaseModel):
    """What a chat inbox's `settings` hold (other keys are left alone)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    # It only names the inbox in the widget's URLs (it is public), so it must be URL-safe.
    public_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,100}$")]
    allowed_origins: Annotated[list[Annotated[str, Field(pattern=ORIGIN)]], Field(max_length=50)] = []
    theme: Theme | None = None


def check(settings: dict) -> dict:
    """Validate a chat inbox's settings once any is given (the SETTINGS hook); returns them unchanged."""
    if settings:
        try:
            ChatSettings.model_validate(settings)
        except ValidationError as exc:
            raise invalid_settings("chat", exc, hints=HINTS) from None
    return settings


def theme(settings: dict | None) -> dict[str, str]:
    """The widget's colours (stored ones were checked; anything unreadable falls back to the defaults)."""
    try:
        return Theme.model_validate((settings or {}).get("theme") or {}).model_dump()
    except ValidationError:
        return dict(DEFAULT_THEME)


def status(settings: dict) -> Connection:
    """How far a chat inbox is set up (the STATUS hook)."""
    try:
        cfg = ChatSettings.model_validate(settings)
    except ValidationError:
        return Connection("missing", "Not set up: give the widget a public key.")
    if not cfg.allowed_origins:
        return Connection("partial", "The widget works only on Rapport's own demo page: list your sites' origins.")
    return Connection("ready", f"Widget allowed on {', '.join(cfg.allowed_origins)}.")

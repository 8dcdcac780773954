"""Inline SVG icons for the templates, from Lucide's static set (the npm package `lucide-static`, pinned in
package.json and copied to static/vendor/icons/ by `make setup`).

Icons are inline so they follow the text colour (`currentColor`), need no extra request and no font; the CSP
allows them since they carry presentation attributes, not style attributes. Each file is read once and cached.
A missing file (a checkout without `make setup`) renders nothing rather than failing the page.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

ICON_DIR = Path(__file__).resolve().parent / "static" / "vendor" / "icons"
# The transport a message or identity came through, as a Lucide icon name; the word is always shown beside it.
CHANNEL_ICONS = {
    "email": "mail",
    "chat": "message-circle",
    "sms": "smartphone",
    "whatsapp": "message-square-text",
    "phone": "phone",
    "portal": "globe",
    "api": "plug",
    "external": "link",
    "note": "sticky-note",
}
CHANNEL_LABELS = {"sms": "SMS", "whatsapp": "WhatsApp", "api": "API"}
_NAME = re.compile(r"^[a-z0-9-]+$")
_OPEN_TAG = re.compile(r"<svg\b[^>]*>", re.S)


@lru_cache(maxsize=256)
def _svg(name: str) -> str:
    """The SVG body of icon `name` with a compact opening tag, or '' when it is not there."""
    if not _NAME.match(name):
        return ""
    try:
        text = (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")
    except OSError:
        return ""
    start = text.find("<svg")
    body = _OPEN_TAG.sub("", text[start:], count=1).replace("</svg>", "").strip()
    body = re.sub(r"\s*\n\s*", "", body)
    return body


@lru_cache(maxsize=512)
def icon(name: str, label: str = "", cls: str = "") -> Markup:
    """An inline icon; with `label` it is announced (role=img), without it screen readers skip it."""
    body = _svg(name)
    if not body:
        return Markup(f'<span class="sr-only">{escape(label)}</span>') if label else Markup("")
    classes = escape(f"icon icon-{name} {cls}".strip())
    a11y = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    return Markup(
        f'<svg class="{classes}" {a11y} focusable="false" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" '
        f'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
        f"{body}</svg>"
    )


def channel_label(channel: str | None) -> str:
    """The readable name of a channel ("SMS", "WhatsApp", "email")."""
    if not channel:
        return ""
    return CHANNEL_LABELS.get(channel, channel.replace("_", " "))


@lru_cache(maxsize=64)
def channel_icon(channel: str | None) -> Markup:
    """The channel's icon (decorative: the channel's name is written beside it)."""
    return icon(CHANNEL_ICONS.get(channel or "", "circle"))


@lru_cache(maxsize=4096)
def initials(name: str | None) -> str:
    """Up to two initials for an avatar ("Jo Customer" → "JC"; an address → its first letter)."""
    text = (name or "").strip().split("@")[0]
    words = [w for w in re.split(r"[\s._-]+", text) if w and w[0].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][0].upper()
    return (words[0][0] + words[-1][0]).upper()


@lru_cache(maxsize=4096)
def avatar_hue(name: str | None) -> int:
    """One of eight avatar tints, stable for a name (so a person keeps their colour on every page)."""
    return sum((name or "").encode()) % 8


def install(env) -> None:
    """Make the helpers available to every template."""
    env.globals.update(icon=icon, channel_icon=channel_icon, channel_label=channel_label)
    env.globals.update(initials=initials, avatar_hue=avatar_hue)

"""Colours as CSS hex strings, and the WCAG contrast ratio between two of them."""

from __future__ import annotations

import re

HEX = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"
_HEX = re.compile(HEX)


def expand(colour: str) -> str:
    """`#abc` or `#aabbcc` as lower-case `#aabbcc`; ValueError for anything else."""
    if not _HEX.match(colour or ""):
        raise ValueError(f"'{colour}' is not a colour: give #rgb or #rrggbb, such as #2456c7")
    raw = colour[1:].lower()
    return "#" + ("".join(c * 2 for c in raw) if len(raw) == 3 else raw)


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2)."""
    raw = expand(colour)[1:]
    channels = [int(raw[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)

"""Texts a rule writes (a note, a reply) with placeholders: `{{customer.name}}`, `{{conversation.number}}` …

Placeholders are looked up, never evaluated: a text is checked when the rule is saved (an unknown placeholder is
refused, naming the known ones) and filled in from plain values when the rule runs.
"""

from __future__ import annotations

import re

from rapport.config import get_settings

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
FIXED = ("customer.name", "conversation.number", "conversation.subject", "agent.name", "rule.name")
KEYED = ("field.", "attribute.")
KEY = re.compile(r"[A-Za-z0-9_]{1,64}")


def check(text: str) -> str:
    """The text, when it is within the length limit and names only known placeholders; a ValueError otherwise."""
    cap = get_settings().rules_text_max_chars
    if not text.strip():
        raise ValueError("the text is empty")
    if len(text) > cap:
        raise ValueError(f"the text is longer than {cap} characters (RAPPORT_RULES_TEXT_MAX_CHARS)")
    for name in PLACEHOLDER.findall(text):
        if name not in FIXED and not any(name.startswith(p) and KEY.fullmatch(name[len(p) :]) for p in KEYED):
            known = ", ".join("{{" + n + "}}" for n in (*FIXED, "field.<key>", "attribute.<key>"))
            raise ValueError(f"unknown placeholder {{{{{name}}}}}; the placeholders are {known}")
    return text


def fill(text: str, values: dict[str, object]) -> str:
    """The text with each placeholder replaced by its value (an empty text when the value is not set)."""

    def one(found: re.Match) -> str:
        value = values.get(found.group(1))
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(one, text)

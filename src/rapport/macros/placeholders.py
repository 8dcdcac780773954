"""Placeholders in a macro's reply and note: `{{ customer.first_name }}`, with a fallback `{{ customer.first_name |
there }}` for an empty value. Checked when a macro is saved (an unknown name is refused, naming it) and filled in
one pass when it is applied: a value is inserted as plain text and never read as a placeholder or as markup (the
reply path turns the text into escaped HTML).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapport.kit.problems import Invalid

# Names without a dot or brace; a fallback of plain words. Bounded, so matching is linear in the text.
PATTERN = re.compile(r"\{\{\s*([A-Za-z0-9_.]{1,80})\s*(?:\|\s*([^{}|]{0,100}?)\s*)?\}\}")
FIELD_PREFIX = "field."
KNOWN: dict[str, str] = {
    "customer.name": "The customer's full name",
    "customer.first_name": "The customer's first name",
    "customer.email": "The customer's email address",
    "conversation.number": "The conversation's number",
    "conversation.subject": "The conversation's subject",
    "agent.name": "Your full name (the agent applying the macro)",
    "agent.first_name": "Your first name",
    "inbox.name": "The inbox the conversation came in on",
    "team.name": "The conversation's team",
}


def names(text: str) -> list[str]:
    """The placeholder names a text uses, in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in PATTERN.finditer(text or "")))


def check(text: str, *, where: str, field_keys: Iterable[str]) -> None:
    """Refuse (422, naming it) an unknown placeholder or a `{{` that is no placeholder; `where` is the form field."""
    keys = set(field_keys)
    for name in names(text):
        known = name in KNOWN or (name.startswith(FIELD_PREFIX) and name[len(FIELD_PREFIX) :] in keys)
        if not known:
            hint = (
                f"no custom field '{name[len(FIELD_PREFIX) :]}' is defined"
                if name.startswith(FIELD_PREFIX)
                else "use one of " + ", ".join(KNOWN) + " or field.<key>"
            )
            message = f"Unknown placeholder {{{{ {name} }}}} in the {where}: {hint}."
            raise Invalid(message, errors=[{"field": where, "message": message}], placeholder=name)
    rest = PATTERN.sub("", text or "")
    if "{{" in rest or "}}" in rest:
        at = rest.find("{{") if "{{" in rest else rest.find("}}")
        snippet = rest[at : at + 30]
        message = f"The {where} has a placeholder that is not written {{{{ name }}}}: '{snippet}'."
        raise Invalid(message, errors=[{"field": where, "message": message}], placeholder=snippet)


def render(text: str, values: dict[str, str]) -> str:
    """The text with each placeholder replaced by its value (or its fallback when the value is empty), in one pass."""

    def fill(match: re.Match) -> str:
        value = values.get(match.group(1)) or ""
        return value if value.strip() else (match.group(2) or "")

    return PATTERN.sub(fill, text or "")


def first_name(name: str) -> str:
    """The first word of a name ("" for none)."""
    words = (name or "").split()
    return words[0] if words else ""

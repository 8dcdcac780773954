"""Normalising addresses so the same person is recognised however they typed it."""

from __future__ import annotations

import re

from rapport.kit.problems import Invalid
from rapport.models.enums import IdentityKind

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PHONE_JUNK = re.compile(r"[ ().\-]")  # kit.schema.PHONE says the same to API clients


def normalise(kind: str, address: str) -> str:
    """The canonical form of an address of `kind`; raises Invalid when it is not one."""
    value = address.strip()
    if kind == IdentityKind.email:
        value = value.lower()
        if not _EMAIL.match(value) or len(value) > 320:
            raise Invalid(f"'{address}' is not an email address.", errors=[{"field": "address"}])
        return value
    if kind in (IdentityKind.phone, IdentityKind.whatsapp):
        value = _PHONE_JUNK.sub("", value)
        if value.startswith("00"):
            value = "+" + value[2:]
        digits = value.removeprefix("+")
        if not (digits.isascii() and digits.isdigit()) or not 5 <= len(digits) <= 15:
            raise Invalid(
                f"'{address}' is not a phone number (E.164, e.g. +14155550100).",
                errors=[{"field": "address"}],
            )
        return value if kind == IdentityKind.whatsapp else "+" + digits
    if not value or len(value) > 320:
        raise Invalid("An identity address must be 1 to 320 characters.", errors=[{"field": "address"}])
    return value

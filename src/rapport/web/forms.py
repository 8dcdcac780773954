"""Form helpers for workspace pages: a refused form's errors by field in plain words, and undoing its writes.

Forms are checked where the API checks them (its Pydantic schemas, then the service); this only turns the
reasons into sentences for the field they belong to.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from sqlalchemy.orm import Session

from rapport.kit.problems import Conflict, Invalid, Problem

# A form answered with its errors (422) rather than an error page: input the person can correct.
FORM_PROBLEMS = (ValidationError, Invalid, Conflict)
_PHRASES = {
    "missing": "This is required.",
    "string_too_short": "This is required.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "float_parsing": "Enter a number.",
    "bool_parsing": "Choose yes or no.",
    "json_invalid": "This is not valid JSON.",
}

_KINDS = {"dictionary": "an object { … }", "list": "a list [ … ]", "string": "text"}
# Pydantic's wording (which the services pass on in their errors), said plainly.
_REWORDS = [
    (re.compile(r"^Field required$"), "This is required."),
    (re.compile(r"^Input should be a valid integer.*"), "Enter a whole number."),
    (re.compile(r"^Input should be a valid number.*"), "Enter a number."),
    (re.compile(r"^Input should be less than or equal to (\S+)$"), r"Use \1 or less."),
    (re.compile(r"^Input should be greater than or equal to (\S+)$"), r"Use \1 or more."),
    (re.compile(r"^Input should be greater than (\S+)$"), r"Use more than \1."),
    (re.compile(r"^String should match pattern .*"), "This is not in the expected form."),
    (re.compile(r"^Extra inputs are not permitted$"), "Rapport does not know this setting."),
    (re.compile(r"^Input should be a valid (dictionary|list|string).*"), lambda m: f"This should be {_KINDS[m[1]]}."),
]


def sentence(message: str) -> str:
    """A message as a plain sentence: Pydantic's phrases reworded, capitalised, ending with a full stop."""
    message = message.strip().removeprefix("Value error, ")
    for pattern, words in _REWORDS:
        if pattern.match(message):
            return pattern.sub(words, message)
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."


def _words(error: dict, hints: dict[str, str]) -> str:
    name = str(error["loc"][-1]) if error["loc"] else ""
    if error["type"] == "string_pattern_mismatch" and name in hints:
        return sentence(hints[name])
    if error["type"] == "string_too_short" and error.get("input") == "":
        return _PHRASES["missing"]
    if error["type"] == "string_too_short":
        return sentence(f"Use at least {error['ctx']['min_length']} characters")
    if error["type"] == "string_too_long":
        return sentence(f"Use at most {error['ctx']['max_length']} characters")
    return _PHRASES.get(error["type"]) or sentence(error["msg"])


def field_errors(exc: ValidationError | Problem, hints: dict[str, str] | None = None) -> dict[str, str]:
    """Messages by form field (`field.sub` for nested ones); a reason that names no field is under `form`."""
    out: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            out.setdefault(".".join(str(p) for p in error["loc"]) or "form", _words(error, hints or {}))
        return out
    for error in exc.extra.get("errors") or []:
        out.setdefault(error.get("field") or "form", sentence(error.get("message") or exc.detail))
    return out or {"form": exc.detail}


def refused(session: Session) -> None:
    """Undo whatever a refused form wrote before its problem was found, and drop the events it recorded."""
    session.rollback()
    session.info.pop("events", None)

"""Custom field definitions (admin) and validating conversation values against them."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.events.outbox import record
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Conflict, Invalid, NotFound
from rapport.models import FieldDefinition
from rapport.models.enums import FieldKind

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def define(
    session: Session,
    actor: Actor,
    *,
    key: str,
    label: str,
    kind: FieldKind,
    options: list[str] | None = None,
    required: bool = False,
) -> FieldDefinition:
    """A new custom field; select fields need their options."""
    authorize(actor, "admin")
    if not _KEY.match(key):
        raise Invalid(
            f"Field key '{key}' must be lowercase letters, digits and _ and start with a letter.",
            errors=[{"field": "key"}],
        )
    if kind == FieldKind.select and not options:
        raise Invalid("A select field needs at least one option.", errors=[{"field": "options"}])
    if session.scalar(select(FieldDefinition.id).where(FieldDefinition.key == key)) is not None:
        raise Conflict(f"A field with key '{key}' already exists.", errors=[{"field": "key"}])
    row = FieldDefinition(
        key=key, label=label, kind=kind.value, options=options or [], required=required, created_at=now()
    )
    session.add(row)
    session.flush()
    record(session, "field.defined", actor, object="field", object_id=row.id, fields={"key": key, "kind": kind})
    return row


def definition(session: Session, actor: Actor, field_id: int) -> FieldDefinition:
    """One custom field, for changing it (admins)."""
    authorize(actor, "admin")
    row = session.get(FieldDefinition, field_id)
    if row is None:
        raise NotFound(f"There is no custom field {field_id}.")
    return row


def managed(session: Session, actor: Actor) -> list[FieldDefinition]:
    """Every custom field, for the admin page (admins)."""
    authorize(actor, "admin")
    return definitions(session)


def update(
    session: Session,
    actor: Actor,
    field_id: int,
    *,
    label: str | None = None,
    options: list[str] | None = None,
    required: bool | None = None,
) -> FieldDefinition:
    """Change a field's label, options or whether it is required; its key and type stay (values depend on them)."""
    row = definition(session, actor, field_id)
    if label is not None and not label.strip():
        raise Invalid("A field needs a label.", errors=[{"field": "label"}])
    if options is not None and row.kind == FieldKind.select and not options:
        raise Invalid("A select field needs at least one option.", errors=[{"field": "options"}])
    wanted = {"label": label, "options": options, "required": required}
    changed = {k: v for k, v in wanted.items() if v is not None and getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        record(session, "field.updated", actor, object="field", object_id=row.id, fields=changed)
    return row


def definitions(session: Session) -> list[FieldDefinition]:
    """Every custom field, by key."""
    return list(session.scalars(select(FieldDefinition).order_by(FieldDefinition.key)))


def validate_values(session: Session, values: dict, current: dict) -> dict:
    """The merged field values, each checked against its definition; None removes a value."""
    defs = {d.key: d for d in definitions(session)}
    errors = []
    merged = dict(current or {})
    for key, value in values.items():
        d = defs.get(key)
        if d is None:
            errors.append({"field": f"fields.{key}", "message": f"no custom field '{key}' is defined"})
            continue
        if value is None:
            merged.pop(key, None)
            continue
        problem = _check(d, value)
        if problem:
            errors.append({"field": f"fields.{key}", "message": problem})
        else:
            merged[key] = value
    for d in defs.values():
        if d.required and merged.get(d.key) in (None, ""):
            errors.append({"field": f"fields.{d.key}", "message": "this field is required"})
    if errors:
        raise Invalid(
            "Some custom field values are not valid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            errors=errors,
        )
    return merged


def _check(d: FieldDefinition, value) -> str | None:
    kind = FieldKind(d.kind)
    if kind == FieldKind.text and not isinstance(value, str):
        return "expected text"
    if kind == FieldKind.number and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "expected a number"
    if kind == FieldKind.boolean and not isinstance(value, bool):
        return "expected true or false"
    if kind == FieldKind.date:
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return "expected a date as YYYY-MM-DD"
    if kind == FieldKind.select and value not in d.options:
        return f"expected one of {', '.join(map(str, d.options))}"
    return None


def from_text(kind: str, raw: str):
    """A value typed as text (a form, a match) as the field's kind stores it; None for empty text. A number that does
    not read as one stays text, for the check to name the field."""
    if raw == "":
        return None
    if kind == "number":
        try:
            return int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return raw == "true"
    return raw


def check_values(session: Session, values: dict) -> None:
    """Each named value checked against its field's definition (None clears a value); Invalid naming the bad ones.

    Unlike `validate_values`, fields left out are not checked: a macro or rule sets only some of them.
    """
    defs = {d.key: d for d in definitions(session)}
    errors = []
    for key, value in values.items():
        d = defs.get(key)
        problem = "no such custom field is defined" if d is None else (_check(d, value) if value is not None else None)
        if problem:
            errors.append({"field": f"fields.{key}", "message": problem})
    if errors:
        raise Invalid(
            "Some custom field values are not valid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            errors=errors,
        )

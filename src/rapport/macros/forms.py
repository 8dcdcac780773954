"""The macro editor's form as text fields, to and from what the service takes (the service checks the values).

Tags are written comma-separated; custom fields one per line, "key: value" (a value that reads as JSON, such as
42, true or "text", is taken as that; anything else as text; an empty value clears the field).
"""

from __future__ import annotations

import json

from rapport.kit.problems import Invalid
from rapport.models import Macro

MAX_FIELD_LINES = 100


def _tags(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _fields(text: str) -> dict:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_FIELD_LINES:
        raise Invalid(f"Keep custom fields to {MAX_FIELD_LINES} lines.", errors=[{"field": "fields"}])
    out: dict = {}
    for number, line in enumerate(lines, start=1):
        key, sep, raw = line.partition(":")
        if not sep or not key.strip():
            raise Invalid(f"Custom fields, line {number}: write 'key: value'.", errors=[{"field": "fields"}])
        raw = raw.strip()
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            value = raw
        out[key.strip()] = value
    return out


def changes_from(form: dict[str, str]) -> dict:
    """The changes a submitted editor form describes (empty fields change nothing)."""
    changes: dict = {}
    for key in ("status", "priority", "category"):
        if form.get(key, "").strip():
            changes[key] = form[key].strip()
    for key in ("team_id", "assignee_id"):
        value = form.get(f"change_{key}", "").strip()
        if value:
            if not value.isdigit():
                raise Invalid("Choose from the list.", errors=[{"field": f"changes.{key}"}])
            changes[key] = int(value)
    if form.get("assign_to_me") == "on":
        changes["assign_to_me"] = True
    if form.get("no_survey") == "on":
        changes["no_survey"] = True
    for key in ("add_tags", "remove_tags"):
        if _tags(form.get(key, "")):
            changes[key] = _tags(form[key])
    fields = _fields(form.get("fields", ""))
    if fields:
        changes["fields"] = fields
    return changes


def team_from(form: dict[str, str]) -> int | None:
    """The team a team macro is for."""
    value = form.get("team_id", "").strip()
    if value and not value.isdigit():
        raise Invalid("Choose a team from the list.", errors=[{"field": "team_id"}])
    return int(value) if value else None


def form_from(macro: Macro) -> dict[str, str]:
    """The editor's fields showing a macro."""
    c = macro.changes or {}
    return {
        "name": macro.name,
        "visibility": macro.visibility,
        "team_id": str(macro.team_id or ""),
        "body": macro.body,
        "note": macro.note,
        "status": c.get("status") or "",
        "priority": c.get("priority") or "",
        "category": c.get("category") or "",
        "change_team_id": str(c.get("team_id") or ""),
        "change_assignee_id": str(c.get("assignee_id") or ""),
        "assign_to_me": "on" if c.get("assign_to_me") else "",
        "no_survey": "on" if c.get("no_survey") else "",
        "add_tags": ", ".join(c.get("add_tags") or []),
        "remove_tags": ", ".join(c.get("remove_tags") or []),
        "fields": "\n".join(f"{k}: {json.dumps(v)}" for k, v in (c.get("fields") or {}).items()),
    }

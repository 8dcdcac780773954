"""The template editor's form: a template version as form fields and back (hours for offsets, lists as text)."""

from __future__ import annotations

import re

from rapport.kit.problems import Invalid

STEP_FIELDS = ("title", "owner", "team_id", "role", "offset_hours", "offset_from", "required", "evidence", "field",
               "action")  # fmt: skip
BLANK_ROWS = 2  # empty step rows the editor offers after the template's own
HOUR = 3600
MAX_FIELD_LINES = 20  # as the schema allows (MatchIn.fields)


def _hours(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours = seconds / HOUR
    return str(int(hours)) if hours == int(hours) else f"{hours:g}"


def form_from(version, *, name: str = "", active: bool = True) -> dict:
    """A stored version as the editor's fields."""
    form = {
        "name": name, "active": "on" if active else "", "description": version.description,
        "blocks_solve": "on" if version.blocks_solve else "", "calendar_id": version.calendar_id or "",
        "categories": ", ".join(version.match.get("categories", [])), "tags": ", ".join(version.match.get("tags", [])),
        "fields": "\n".join(f"{m['key']} = {_text(m['value'])}" for m in version.match.get("fields", [])),
    }  # fmt: skip
    for i, step in enumerate(version.steps):
        prefix = f"steps.{i}."
        form.update({prefix + k: step.get(k) or "" for k in ("title", "owner", "team_id", "role", "offset_from",
                                                           "evidence", "field", "action")})  # fmt: skip
        form[prefix + "offset_hours"] = _hours(step.get("offset_seconds"))
        form[prefix + "required"] = "on" if step.get("required", True) else ""
    return form


def rows(form: dict) -> int:
    """How many step rows the editor shows: the highest filled one, then some blank ones."""
    used = [int(m.group(1)) for k in form if (m := re.match(r"^steps\.(\d+)\.title$", k)) and form[k]]
    return (max(used) + 1 if used else 0) + BLANK_ROWS


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _field_lines(text: str) -> list[dict]:
    """The editor's "key = value" lines (one a line) as field matches; a line without "=" is refused, named."""
    matches = []
    for n, line in enumerate((text or "").splitlines()[: MAX_FIELD_LINES + 1], start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise Invalid(f"Field line {n}: write it as key = value (such as claim_type = courier).",
                          errors=[{"field": "fields"}])  # fmt: skip
        matches.append({"key": key.strip(), "value": value.strip()})
    return matches


def content_from(form: dict) -> tuple[dict, list[int]]:
    """The editor's fields as a version's content (a TemplateIn dict) and the editor row of each step kept (a row
    without a title is left out)."""
    steps = []
    for i in range(rows(form)):
        prefix = f"steps.{i}."
        if not form.get(prefix + "title", "").strip():
            continue
        hours = form.get(prefix + "offset_hours", "").strip()
        try:
            offset = round(float(hours) * HOUR) if hours else None
        except ValueError:
            field = prefix + "offset_hours"  # the editor's own field: no step index to translate yet
            raise Invalid(f"Step {i + 1}: the due time is a number of hours.", errors=[{"field": field}]) from None
        step = {
            "title": form[prefix + "title"], "owner": form.get(prefix + "owner") or "assignee",
            "offset_seconds": offset, "offset_from": form.get(prefix + "offset_from") or "start",
            "required": bool(form.get(prefix + "required")), "evidence": form.get(prefix + "evidence") or "none",
            "action": form.get(prefix + "action") or None,
        }  # fmt: skip
        if step["owner"] == "team":
            team = form.get(prefix + "team_id", "")
            step["team_id"] = int(team) if team.isdigit() else None
        if step["owner"] == "role":
            step["role"] = form.get(prefix + "role") or None
        if step["evidence"] == "field":
            step["field"] = form.get(prefix + "field") or None
        steps.append((i, step))
    calendar = form.get("calendar_id", "")
    content = {
        "name": form.get("name", ""), "active": bool(form.get("active")), "description": form.get("description", ""),
        "blocks_solve": bool(form.get("blocks_solve")), "calendar_id": int(calendar) if calendar.isdigit() else None,
        "match": {"categories": _split(form.get("categories", "")), "tags": _split(form.get("tags", "")),
                  "fields": _field_lines(form.get("fields", ""))},
        "steps": [s for _, s in steps],
    }  # fmt: skip
    return content, [i for i, _ in steps]


def errors_on_rows(errors: dict, row_of: list[int]) -> dict:
    """Errors named by the content's step index (`steps.1.offset_seconds`) moved to the editor's row fields."""
    out = {}
    for key, message in errors.items():
        m = re.match(r"^steps\.(\d+)(?:\.(\w+))?$", key)
        if m and int(m.group(1)) < len(row_of):
            field = {"offset_seconds": "offset_hours", None: "title"}.get(m.group(2), m.group(2))
            key = f"steps.{row_of[int(m.group(1))]}.{field}"
        elif key.startswith("match."):  # match.categories.0, match.fields.1.value: the editor's one box for each
            key = key.split(".")[1]
        out.setdefault(key, message)
    return out
